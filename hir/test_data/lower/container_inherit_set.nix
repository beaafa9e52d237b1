# edition = "2026"
e: let a = 1; in [ (inherit (e) { x y }) (inherit { a }) { inherit (e) { z }; w = 1; } ]
