{ f = x: x; g.h = y: y; i = (z: z); }
