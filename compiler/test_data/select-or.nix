let s = { a.b = 1; }; k = "a"; in [ (s.a.b or 0) (s.${k}.c or 2) (s ? a.b) (s ? ${k}) ]
