# edition = "2026"
[ 1 ] ++ [ 2 ] |> builtins.length
