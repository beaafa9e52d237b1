with import ./lib.nix; dbg 1
