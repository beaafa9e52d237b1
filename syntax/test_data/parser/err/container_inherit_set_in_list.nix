[ 1 inherit (e) { a b } 4 ]
