https://example.org/a?b
