inherit (x) [ a b ]
