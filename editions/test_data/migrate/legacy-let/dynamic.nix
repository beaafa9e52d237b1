let { ${"a"} = 1; body = 2; }
