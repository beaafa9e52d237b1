# edition = "2026"
let x = { a = 1; b = 2; }; inherit (x) { a b }; in a + b
