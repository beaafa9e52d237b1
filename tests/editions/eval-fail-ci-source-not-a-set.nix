# edition = "2026"
inherit (1) [ a ]
