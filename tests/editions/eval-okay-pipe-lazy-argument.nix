# edition = "2026"
throw "not forced" |> (x: 1)
