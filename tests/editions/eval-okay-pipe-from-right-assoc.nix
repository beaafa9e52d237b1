# edition = "2026"
(s: s + "c") <| (s: s + "b") <| "a"
