# edition = "2026"
2 |> dbg |> (x: x * 2)
