{
  # the mirror
  src = mirror://gnu/hello-2.12.tar.gz; # trailing
  x = f http://a.b;
}
