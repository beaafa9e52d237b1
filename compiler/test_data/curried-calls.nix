# `f a b`: one Call2 (a curried lambda runs its inner body at once), then CallBelow for any
# other function. The second argument is speculated only when f's inner lambda forces it.
let
  add = a: b: a + b;
  keep = a: b: [ b ];
  x = 1;
in [ (add x (x + 1)) (keep x (x + 1)) (add 1 2 3) ]
