let dbg = x: x + 1; in dbg 1
