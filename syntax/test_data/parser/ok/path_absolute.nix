/abs/b/c.nix
