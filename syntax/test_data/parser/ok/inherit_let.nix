let inherit (pkgs) lib; in lib
