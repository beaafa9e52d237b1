x: {
  a = if x == 1 then true else false;
  b = if x then false else true;
  c = if x.y then true else false;
}
