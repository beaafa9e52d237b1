let a = 1; in { inherit a; b = 2; }
