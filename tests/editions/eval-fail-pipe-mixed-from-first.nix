# edition = "2026"
let f = x: x; in f <| 1 |> f
