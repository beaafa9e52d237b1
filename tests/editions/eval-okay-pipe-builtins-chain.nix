# edition = "2026"
[ 1 2 3 4 ] |> builtins.filter (x: x > 2) |> map (x: x * 10)
