# errors: 2
[ 1 % 2 ] ++ { a = 1 }
