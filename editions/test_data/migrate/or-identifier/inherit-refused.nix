let or = 1; f = x: x; in { inherit or; v = f or; }
