# edition = "2026"
1
|> (x: x + "a")
