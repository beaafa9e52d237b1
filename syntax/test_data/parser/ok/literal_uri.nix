[ http://example.org/a?b=c&d=e mirror://gnu/hello x:x ]
