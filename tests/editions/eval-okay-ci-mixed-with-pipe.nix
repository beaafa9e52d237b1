# edition = "2026"
let x = { a = 1; b = 2; }; in inherit (x) [ a b ] |> map (v: v * 10)
