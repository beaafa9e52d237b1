{ v = builtins.langVersion; }
