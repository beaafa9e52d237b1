{ lib, xs }:
[ (lib.pipe xs [ lib.tail ]) (builtins.unsafeGetAttrPos "a" { a = 1; }) ]
