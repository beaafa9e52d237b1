# edition = "2026"
x: f: g: [ (x |> f |> g) (g <| f <| x) (x |> f 1) ]
