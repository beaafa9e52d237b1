with { y = 1; }; x: [ x y map builtins z ]
