let or_ = 1; or = 2; in f or
