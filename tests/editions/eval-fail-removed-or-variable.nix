# edition = "2026"
let or = 1; f = x: x; in f or
