map (x: 1) [ 1 2 ]
