lib:
let
  mkIf = lib.mkIf;
  concat = lib.strings.concat;
in
{
  inherit mkIf concat;
  mapAttrs = builtins.mapAttrs;
}
