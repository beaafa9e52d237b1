f: xs: {
  a = (f xs);
  b = map (f) (xs);
  c = f(xs);
  d = "${(toString 1)}";
  e = ((1 + 2)) * 3;
}
