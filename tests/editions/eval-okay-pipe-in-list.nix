# edition = "2026"
[ (1 |> toString) (toString <| 2) ]
