f: g: [ (map (x: toString x) [ 1 ]) (y: f g y) ]
