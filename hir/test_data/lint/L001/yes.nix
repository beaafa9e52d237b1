let
  used = 1;
  unused = 2;
  inherit (builtins) head tail;
in
used + head [ 1 ]
