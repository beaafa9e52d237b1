# edition = "2026"
let x = 1; in x
