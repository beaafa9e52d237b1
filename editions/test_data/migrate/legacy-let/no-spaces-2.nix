{ a = let {x=1;body=x;}; b = let {x = 1;body = {y = x;};}; }
