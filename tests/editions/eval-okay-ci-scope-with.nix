# edition = "2026"
with { a = 7; }; inherit [ a ]
