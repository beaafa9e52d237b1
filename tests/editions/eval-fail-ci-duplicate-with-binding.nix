# edition = "2026"
let x = { a = 1; }; in { a = 2; inherit (x) { a }; }
