[ 1 x.a x.b x.c 2 y.a y.b ]
