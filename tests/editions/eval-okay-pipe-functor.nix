# edition = "2026"
{ __functor = self: x: x + 10; } <| 1
