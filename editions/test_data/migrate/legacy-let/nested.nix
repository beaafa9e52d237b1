let { a = let { body = 2; }; body = let { b = a; body = b; }; }
