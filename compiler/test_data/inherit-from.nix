let src = { a = 1; b = 2; }; in { inherit (src) a b; c = src.a; }
