{ a.b = 1; a = rec { c = d; d = 3; }; }
