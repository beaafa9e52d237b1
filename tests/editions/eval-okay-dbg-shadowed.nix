# edition = "2026"
let dbg = x: x * 2; in dbg 2
