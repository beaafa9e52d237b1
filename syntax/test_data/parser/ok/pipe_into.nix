x |> f |> g
