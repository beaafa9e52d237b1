# edition = "2026"
[ 3 1 2 ] |> builtins.sort builtins.lessThan
