f: a: b: [ (f a b) ((f a) b) ((-a) b) ]
