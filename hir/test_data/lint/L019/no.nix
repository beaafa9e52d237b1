{
  a = { b = 1; c = 2; };
  d = rec { e = 1; };
  f = { inherit g; };
  # keep
  h = { i = 1; /* why */ };
}
