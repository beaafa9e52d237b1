# edition = "2026"
__curPos
