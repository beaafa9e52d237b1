{ src = "https://example.org/a.tar.gz"; }
