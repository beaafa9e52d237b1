# edition = "2026"
let x = { a = 1; b = 2; }; in [ (builtins.attrNames (inherit (x) { b a })) (builtins.length (inherit (x) [ a b ])) ]
