let
  sys = "x86_64-linux";
  a = derivation { name = "a"; builder = "/bin/sh"; system = sys; args = [ "-c" "echo a > $out" ]; };
  multi = derivation { name = "multi"; builder = "/bin/sh"; system = sys; outputs = [ "out" "dev" "lib" ]; };
  fodFlat = derivation { name = "fod"; builder = "/bin/sh"; system = sys; outputHash = "sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="; };
  fodRec = derivation { name = "fodr"; builder = "/bin/sh"; system = sys; outputHashMode = "recursive"; outputHashAlgo = "sha256"; outputHash = "1xmr8jicvzszfzpz46g37mlpvbzjl2wpwvl2b05psipssyp1sm8h"; };
  structured = derivation { name = "structured"; builder = "/bin/sh"; system = sys; __structuredAttrs = true; outputs = [ "out" "doc" ]; deps = [ a multi.dev ]; n = 3; f = 1.5; s = { y = "b"; x = [ true null ]; }; };
  passAsFile = derivation { name = "pass"; builder = "/bin/sh"; system = sys; passAsFile = [ "big" "other" ]; big = "lots of text ${a}"; other = "x"; };
  dep = derivation { name = "dep"; builder = "${a}/bin/sh"; system = sys; inherit multi; lib = multi.lib; src = fodFlat; r = fodRec; x = null; __ignoreNulls = true; };
  script = builtins.toFile "script.sh" "echo ${./src/a.txt} ${builtins.toFile "x" "y"}\n";
  filtered = builtins.path { path = ./src; name = "filtered"; filter = p: t: builtins.match ".*\\.log" p == null; };
  flat = builtins.path { path = ./src/a.txt; recursive = false; };
  fs = builtins.filterSource (p: t: t != "directory") ./src;
  withSrc = derivation { name = "with-src"; builder = "/bin/sh"; system = sys; args = [ script ./src filtered flat fs ]; p = builtins.placeholder "out"; };
  deep = derivation { name = "deep"; builder = "/bin/sh"; system = sys; d = builtins.unsafeDiscardOutputDependency dep.drvPath; };
in {
  inherit a multi fodFlat fodRec structured passAsFile dep withSrc;
  multiDev = multi.dev;
  nested = { recurseForDerivations = true; inherit deep; };
  skipped = { x = a; };
  list = [ a multi.lib ];
}
