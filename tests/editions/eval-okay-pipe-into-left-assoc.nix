# edition = "2026"
"a" |> (s: s + "b") |> (s: s + "c")
