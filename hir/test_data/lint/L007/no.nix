with { x = 2; }; x
