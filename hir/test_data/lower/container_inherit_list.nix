# edition = "2026"
e: [ 1 inherit (e) [ a b ] 4 (inherit (e) [ c ]) ]
