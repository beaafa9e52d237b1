# `builtins.name` is one op (`SelectGlobal`), the rest of a longer path selects as usual; a
# default, a computed name or a shadowed `builtins` compile as any other selection.
let
  a = builtins.length [ 1 ];
  b = builtins.builtins.map;
  c = builtins.nope or null;
  d = let n = "length"; in builtins.${n};
  e = let builtins = { length = 1; }; in builtins.length;
in [ a b c d e ]
