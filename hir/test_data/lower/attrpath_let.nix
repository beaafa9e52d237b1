let a.b = 1; a.c = a.b; in a
