x: assert x; if x then with x; a else null
