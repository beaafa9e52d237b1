# edition = "2026"
let a = 1; in inherit { a }
