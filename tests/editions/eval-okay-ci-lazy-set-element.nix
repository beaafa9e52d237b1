# edition = "2026"
let x = { a = 1; b = throw "not forced"; }; in (inherit (x) { a b }).a
