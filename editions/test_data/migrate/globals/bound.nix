let dbg = x: x; in dbg 1
