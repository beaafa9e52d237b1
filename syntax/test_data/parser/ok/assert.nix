assert a -> b; c
