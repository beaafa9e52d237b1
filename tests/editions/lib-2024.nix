# a helper read under edition 2024 (no pragma)
let {
  url = http://example.org;
  body = { inherit url; version = builtins.langVersion; imported = import ./lib-2026.nix; };
}
