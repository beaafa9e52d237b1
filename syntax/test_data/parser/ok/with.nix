with pkgs; [ hello ]
