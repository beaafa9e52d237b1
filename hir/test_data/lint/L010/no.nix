lib: {
  a = lib.b;
  c = lib.c or null;
  d = (f lib).d;
  e.f = lib.f;
}
