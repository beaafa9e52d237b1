{ inherit (x) [ a b ]; }
