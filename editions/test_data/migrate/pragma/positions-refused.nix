let s = { a = 1; }; in builtins.unsafeGetAttrPos "a" s
