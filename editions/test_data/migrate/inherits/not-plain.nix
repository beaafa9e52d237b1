[ x.a x.b.c y.a x.d or 1 x.e ]
