# edition = "2026"
1 < 2 |> (b: if b then "yes" else "no")
