[ (f or) (f x or) ]
