let s = scopedImport { } ./scoped-2026.nix; in [ s.v s.d builtins.langVersion ]
