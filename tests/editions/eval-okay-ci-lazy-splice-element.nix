# edition = "2026"
let x = { a = 1; b = throw "not forced"; }; in builtins.elemAt [ 0 inherit (x) [ a b ] ] 1
