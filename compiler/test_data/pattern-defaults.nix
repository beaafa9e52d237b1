# A default that captures nothing (a literal) needs no `CaptureDefault`, nor does a variable from
# outside the function (`d ? k`: bound to `k`'s value as it is, no thunk); one that reads
# another field captures once every field is bound.
let
  k = 10;
  f = { a, b ? 1, c ? a + b, d ? k, ... }: [ a b c d ];
in f { a = 2; }
