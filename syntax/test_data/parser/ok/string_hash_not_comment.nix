"# not a comment /* */"
