# edition = "2026"
let { body = 1; }
