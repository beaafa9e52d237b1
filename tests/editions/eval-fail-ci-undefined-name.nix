# edition = "2026"
inherit [ zz ]
