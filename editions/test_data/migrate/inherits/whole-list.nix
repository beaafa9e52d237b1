{ l = [ x.a x.b ]; n = [ [ x.a x.b ] ]; f = g [ x.a x.b ]; }
