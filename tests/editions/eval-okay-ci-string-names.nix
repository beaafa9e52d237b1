# edition = "2026"
let x = { a = 1; "b-c" = 2; }; in inherit (x) [ "a" "b-c" ]
