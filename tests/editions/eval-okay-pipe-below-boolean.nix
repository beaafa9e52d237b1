# edition = "2026"
true || false |> (b: !b)
