# edition = "2024"
{ a = 1; }
