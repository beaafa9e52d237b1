[ ./a ../a/b ./a.nix ./. ]
