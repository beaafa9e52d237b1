let { body.x = 1; body.y = 2; }
