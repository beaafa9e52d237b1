let { x = 1; # note
  body = x;}
