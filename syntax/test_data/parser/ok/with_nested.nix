with a; with b; c
