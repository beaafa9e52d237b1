# edition = "2026"
1 |> if true then (x: x) else (x: x)
