{ inherit (x) { a b }; }
