# edition = "2026"
(x: x * 2) <| 3
