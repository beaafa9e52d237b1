# edition = "2026"
rec { inherit (s) { a }; s = { a = 5; }; b = a + 1; }
