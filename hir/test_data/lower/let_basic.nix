let a = b; b = 1; in a + b
