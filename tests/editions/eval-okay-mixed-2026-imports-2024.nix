# edition = "2026"
[ builtins.langVersion (import ./lib-2024.nix) ]
