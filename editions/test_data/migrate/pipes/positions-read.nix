let s = f (g (h { a = 1; })); in builtins.unsafeGetAttrPos "a" s
