inherit (x) { a b }
