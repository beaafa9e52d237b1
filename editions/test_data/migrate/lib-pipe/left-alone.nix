{ lib, other, xs }:
{
  # Not nixpkgs' lib, a default, an empty list, a comment inside, a spliced element.
  a = other.pipe xs [ f ];
  b = (lib.pipe or (x: fs: x)) xs [ f ];
  c = lib.pipe xs [ ];
  d = lib.pipe xs [
    # keep me
    f
  ];
  e = lib.pipe xs [ inherit (lib) [ tail ] ];
}
