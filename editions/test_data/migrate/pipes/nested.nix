f (g (h (i (j x)))) (a (b (c y)))
