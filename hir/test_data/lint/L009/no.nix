let
  a = a;
  b = 1;
in
rec { c = c; d = [ a b ]; }
