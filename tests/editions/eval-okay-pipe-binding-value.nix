# edition = "2026"
{ a = 1 |> toString; b = toString <| 2; }
