# edition = "2026"
let x = { a = 1; b = 2; }; in [ 0 (inherit (x) [ a b ]) 3 ]
