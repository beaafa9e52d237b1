{
  services = { nginx.enable = true; };
  a = { b = 1; };
}
