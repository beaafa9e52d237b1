x: y: assert x -> y; x && y || !x
