# edition = "2026"
builtins.length (inherit (throw "not forced") [ a b ])
