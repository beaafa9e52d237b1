# edition = "2026"
(x: 2) <| throw "not forced"
