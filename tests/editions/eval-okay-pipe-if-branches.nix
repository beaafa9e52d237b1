# edition = "2026"
let f = x: x * 3; in [ (if true then 2 |> f else 0) (if false then 0 else f <| 4) ]
