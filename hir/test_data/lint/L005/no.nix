{ version }:
rec {
  inherit version;
  src = version;
}
