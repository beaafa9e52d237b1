# edition = "2026"
assert true; 1 |> (x: x + 1)
