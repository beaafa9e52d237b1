with { or = 1; }; f or
