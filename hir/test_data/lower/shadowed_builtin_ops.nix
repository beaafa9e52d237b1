let __sub = x: y: 0; __lessThan = 1; in [ (-1) (2 < 3) ]
