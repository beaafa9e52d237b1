# edition = "2026"
(x: x) <| throw "boom"
