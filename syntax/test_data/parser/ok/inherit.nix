{ inherit a b; inherit (x) c "d" or; }
