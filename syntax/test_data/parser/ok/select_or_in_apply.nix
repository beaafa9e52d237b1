f a.b or c
