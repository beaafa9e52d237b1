let
  _ignored = 1;
  a = 1;
  b = a;
in
b
