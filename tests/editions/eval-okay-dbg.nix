# edition = "2026"
[ (dbg (1 + 2)) (dbg { a = "x"; }) ]
