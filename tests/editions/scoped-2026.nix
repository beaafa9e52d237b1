# edition = "2026"
{ v = builtins.langVersion; d = dbg 5; }
