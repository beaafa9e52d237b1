{ a = builtins.attrValues { inherit (x) a b c; }; b = builtins.attrValues { inherit (x) c a; }; c = __attrValues { inherit p q; }; }
