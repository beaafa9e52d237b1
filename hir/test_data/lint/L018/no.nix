map: [ (builtins.map map) builtins.head (builtins.toString or 1) ]
