[ http://example.org/a?b=c&d=e https://x.y/z ftp://f.g ]
