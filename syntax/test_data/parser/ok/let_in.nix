let a = 1; b = a; in a + b
