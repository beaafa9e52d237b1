# edition = "2026"
let x = { a = 1; b = 2; }; in inherit (x) { a } // { c = 3; }
