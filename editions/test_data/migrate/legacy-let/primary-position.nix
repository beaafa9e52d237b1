[ let { body = 1; } (f let { x = 2; body = x; }) ]
