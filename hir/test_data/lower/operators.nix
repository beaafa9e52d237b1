a: b: [ (-a) (a - b) (a < b) (a > b) (a <= b) (a >= b) (a + b * b / b) (a ++ b) (a // b) (a == b) (a != b) (a && b || !b) (a -> b) ]
