with { map = 1; }; map
