# edition = "2026"
let x = { a = 1; b = throw "bad b"; }; in
  inherit (x) [
    a
    b
  ]
