assert x; y: y
