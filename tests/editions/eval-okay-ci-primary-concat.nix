# edition = "2026"
let x = { a = 1; }; in inherit (x) [ a ] ++ [ 9 ]
