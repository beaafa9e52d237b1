{ f = dbg: dbg 2; }
