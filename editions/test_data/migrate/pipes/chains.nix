{
  a = f (g (h x));
  b = f (g x);
  c = map toString (filter odd (lib.range 1 10));
  d = 1 + f (g (h x));
  e = [ (f (g (h x))) ];
}
