# edition = "2026"
{ a.b = 5; } |> (s: s.a.b)
