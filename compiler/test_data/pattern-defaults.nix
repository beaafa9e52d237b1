# A default that captures nothing (a literal) needs no `CaptureDefault`; one that reads another
# field, or anything else in scope, captures once every field is bound.
let
  k = 10;
  f = { a, b ? 1, c ? a + b, d ? k, ... }: [ a b c d ];
in f { a = 2; }
