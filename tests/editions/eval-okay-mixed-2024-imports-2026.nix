[ builtins.langVersion (import ./lib-2026.nix) ]
