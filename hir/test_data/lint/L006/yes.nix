let lib = { }; in
with lib; x: x + 1
