# A recursive group's values are stored in order: one that reads only bindings stored before it
# captures at once (`Thunk`, `Closure`); one that reads itself or a later binding is made empty
# and captures after the group (`ThunkLate`, `ClosureLate`, then `Capture`).
let
  a = 1;
  b = a + 1;
  c = d + 1;
  d = b * 2;
  xs = [ 1 xs ];
  f = n: if n == 0 then b else f (n - 1);
  g = n: c + n;
in [ c (builtins.elemAt xs 0) (f 3) (g 1) ]
