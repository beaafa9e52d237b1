<nixpkgs/>
