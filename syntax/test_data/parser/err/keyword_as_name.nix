let in = 1; in in
