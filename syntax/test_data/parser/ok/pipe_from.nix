g <| f <| x
