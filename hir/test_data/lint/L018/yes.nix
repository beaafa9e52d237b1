xs: builtins.map toString (builtins.filter (x: x != null) xs)
