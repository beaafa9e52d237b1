{ a, b ? a + 1, ... }@args: [ a b args.c ]
