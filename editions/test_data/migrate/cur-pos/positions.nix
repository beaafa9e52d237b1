# Bla
let
  x = __curPos;
    y = __curPos;
in [ x.line x.column y ]
