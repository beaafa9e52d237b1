# edition = "2026"
http://example.org
