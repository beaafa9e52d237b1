# edition = "2026"
# Edition 2026: pipe operators and container inherits.
let
  pkgs = { hello = "hello-2.12"; jq = "jq-1.7"; curl = "curl-8.5"; };
in
{
  names = inherit (pkgs) [ hello jq ];
  count = builtins.attrNames pkgs |> builtins.length;
  inherit (pkgs) { curl };
}
