# edition = "2026"
map (x: x + 1) <| [ 1 2 ]
