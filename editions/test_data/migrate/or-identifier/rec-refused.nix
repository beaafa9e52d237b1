rec { or = 1; x = f or; }
