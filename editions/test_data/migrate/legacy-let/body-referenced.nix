let { a = 1; body = { inherit a; b = body.a; }; }
