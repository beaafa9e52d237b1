a: b: {
  a = a;
  c = { b = b; };
}
