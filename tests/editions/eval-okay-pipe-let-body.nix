# edition = "2026"
let f = x: x + 1; in 1 |> f |> f
