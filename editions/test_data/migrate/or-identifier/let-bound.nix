let
  or = x: x + 1; # cursed
  f = g: g;
in
[ (f or) (map or [ 1 ]) { or = 3; }.or ]
