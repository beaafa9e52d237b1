x: [ (isNull x) (builtins.isNull x) (builtins.toPath "/a") ]
