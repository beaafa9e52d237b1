x: { inherit (x) a b; inherit (x.y) c; }
