rec { a = 1; b = a + 1; c = [ a b ]; d = { inherit a; e = c; }; }
