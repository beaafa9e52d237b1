{ lib, xs }:
{
  names = lib.pipe xs [
    (map (x: x.name))
    (builtins.filter (n: n != ""))
    lib.unique
  ];
  one = lib.pipe 1 [ (x: x + 1) ];
  asArgument = builtins.length (lib.pipe xs [ lib.tail ]);
}
