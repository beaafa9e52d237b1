{ version }:
rec {
  version = "2";
  src = version;
}
