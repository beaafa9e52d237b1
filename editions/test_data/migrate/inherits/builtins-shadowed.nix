builtins: builtins.attrValues { inherit (x) a b; }
