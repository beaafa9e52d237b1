# edition = "2026"
1 + 2 |> (x: x * 10)
