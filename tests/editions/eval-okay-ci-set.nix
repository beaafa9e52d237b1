# edition = "2026"
let x = { a = 1; b = 2; c = 3; }; in inherit (x) { a b }
