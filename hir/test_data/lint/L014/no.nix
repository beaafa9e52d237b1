f: [ (x: f x x) (x: x.f x) (x: f) ]
