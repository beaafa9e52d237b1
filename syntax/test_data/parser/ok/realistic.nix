{ lib, stdenv, fetchurl, ... }@args:

let
  inherit (lib) optional;
  version = "2.12";
in
stdenv.mkDerivation rec {
  pname = "hello";
  inherit version;
  src = fetchurl {
    url = "mirror://gnu/hello/${pname}-${version}.tar.gz";
    sha256 = "1ayhp9v4m4rdhjmnl2bq3cibrbqqkgjbl3s7yk2nhlh8vj3ay16g";
  };
  doCheck = stdenv.buildPlatform == stdenv.hostPlatform;
  buildInputs = optional (args ? extra) args.extra ++ [ ];
  postInstall = ''
    mkdir -p $out/share
    echo ${lib.escapeShellArg pname} > $out/share/name
  '';
  meta = with lib; {
    description = "A program that produces a familiar, friendly greeting";
    license = licenses.gpl3Plus;
    platforms = platforms.all;
  };
}
