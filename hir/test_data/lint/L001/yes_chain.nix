# `b` is used only by `a`, which nothing uses: fixing removes both, then the empty `let`.
let
  a = b;
  b = 1;
  rec_self = x: rec_self x;
in
42
