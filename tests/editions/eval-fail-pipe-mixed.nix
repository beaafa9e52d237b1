# edition = "2026"
let f = x: x; in 1 |> f <| 2
