f: xs: {
  a = f (g xs);
  b = (1 + 2) * 3;
  c = [ (f xs) ];
  d = (x: x) 1;
  e = f (xs.a or 1);
}
