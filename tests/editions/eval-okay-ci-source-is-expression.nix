# edition = "2026"
let f = n: { a = n; b = n * 2; }; in inherit (f 3) [ b a ]
