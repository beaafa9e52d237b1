# errors: 2
# the duplicate a is reported as well as the stray )
[ { a = 1; a = 2; } ] )
