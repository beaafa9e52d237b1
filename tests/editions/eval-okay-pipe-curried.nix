# edition = "2026"
let add = a: b: a + b; in 1 |> add 2 |> add 3
