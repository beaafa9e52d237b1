[ (a - b - c) (a / b / c) (f x - y) (f -1) ]
