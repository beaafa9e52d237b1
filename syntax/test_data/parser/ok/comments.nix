# leading comment
/* block */ {
  a = 1; # trailing
  /* inside */ b = /* before value */ 2;
  /** doc comment */
  c = 3;
}
# final
