# edition = "2026"
let x = { a = 1; b = 2; }; in { version = builtins.langVersion; piped = 1 |> (v: v + 1); inherited = inherit (x) [ a b ]; }
