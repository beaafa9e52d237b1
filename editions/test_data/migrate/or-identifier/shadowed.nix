let or = 1; in let g = x: x; in [ (g or) (let or = 2; in g or) ]
