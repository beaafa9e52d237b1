{ lib, stdenv, fetchurl ? null }:
stdenv.mkDerivation { name = lib.version; }
