# `++` with a list literal on the right appends the literal's items (`Concat(n)`) without
# making the literal's list; any other `++` concatenates two lists (`Concat(0)`).
let
  xs = [ 1 2 ];
  unique = builtins.foldl' (acc: e: if builtins.elem e acc then acc else acc ++ [ e ]) [ ];
in
[ (xs ++ [ 3 (throw "lazy") ]) (xs ++ xs) ([ 0 ] ++ xs) ([ ] ++ [ ]) (unique xs) ]
