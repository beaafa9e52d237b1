# edition = "2026"
dbg 1
