# edition = "2026"
{ a = 1; } // { b = 2; } |> builtins.attrNames
