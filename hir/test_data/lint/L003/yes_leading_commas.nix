{ lib
, stdenv
, unused
}:
stdenv.mkDerivation { name = lib.version; }
