# edition = "2026"
[ builtins.langVersion __langVersion builtins.builtins.langVersion ]
