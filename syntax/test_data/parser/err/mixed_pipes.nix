a |> f <| b
