let
  cfg.a = 1;
  cfg.b = 2;
  keep = 3;
in
keep
