[ builtins.langVersion __langVersion ]
