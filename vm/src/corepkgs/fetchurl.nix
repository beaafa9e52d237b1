# <nix/fetchurl.nix>: a fixed-output derivation built by the store's built-in `fetchurl`
# builder. The arguments, the attribute names and their values are those CppNix 2.8 gives,
# so the .drv (and its path) is the same.
{
  # Accepted and ignored: the builder is built into the store, so the system is "builtin".
  system ? "",
  url,
  hash ? "",
  md5 ? "",
  sha1 ? "",
  sha256 ? "",
  sha512 ? "",
  # The first hash given, in the order hash, sha512, sha1, md5, sha256.
  outputHash ?
    if hash != "" then hash
    else if sha512 != "" then sha512
    else if sha1 != "" then sha1
    else if md5 != "" then md5
    else sha256,
  # Empty for an SRI `hash`, which names its own algorithm.
  outputHashAlgo ?
    if hash != "" then ""
    else if sha512 != "" then "sha512"
    else if sha1 != "" then "sha1"
    else if md5 != "" then "md5"
    else "sha256",
  executable ? false,
  unpack ? false,
  name ? baseNameOf (toString url),
}:

derivation {
  builder = "builtin:fetchurl";
  system = "builtin";
  # An executable or unpacked download is hashed as a NAR, a plain file by its bytes.
  outputHashMode = if unpack || executable then "recursive" else "flat";
  inherit name url executable unpack outputHash outputHashAlgo;
  urls = [ url ];
  # The proxy settings of the caller reach the download.
  impureEnvVars = [ "http_proxy" "https_proxy" "ftp_proxy" "all_proxy" "no_proxy" ];
  # Downloading is cheaper than asking a remote builder to do it.
  preferLocalBuild = true;
}
