# Training workload for the profile-guided release build (scripts/pgo-build): everyday Nix
# library code, written for this purpose and independent of ../shared/bench (which measures the
# result). Each part is sized to run for a fraction of a second.
let
  lib = rec {
    id = x: x;
    const = x: _: x;
    flip = f: a: b: f b a;
    fix = f: let x = f x; in x;
    extends = f: rattrs: self: let super = rattrs self; in super // f self super;
    foldr = op: nul: list:
      let len = builtins.length list; go = n: if n == len then nul else op (builtins.elemAt list n) (go (n + 1));
      in go 0;
    range = a: b: if a > b then [ ] else builtins.genList (n: a + n) (b - a + 1);
    concatMap = f: l: builtins.concatLists (map f l);
    concatStrings = builtins.concatStringsSep "";
    concatMapStrings = f: l: concatStrings (map f l);
    optional = c: x: if c then [ x ] else [ ];
    optionalString = c: s: if c then s else "";
    hasPrefix = p: s: builtins.substring 0 (builtins.stringLength p) s == p;
    splitString = sep: s: builtins.filter builtins.isString (builtins.split sep s);
    mapAttrs' = f: set: builtins.listToAttrs (map (n: f n set.${n}) (builtins.attrNames set));
    nameValuePair = name: value: { inherit name value; };
    filterAttrs = pred: set: builtins.removeAttrs set (builtins.filter (n: !pred n set.${n}) (builtins.attrNames set));
    recursiveUpdate = lhs: rhs:
      let merge = l: r: l // builtins.mapAttrs (n: v: if builtins.isAttrs v && builtins.isAttrs (l.${n} or null) then merge l.${n} v else v) r;
      in merge lhs rhs;
    collect = pred: v:
      if pred v then [ v ] else if builtins.isAttrs v then concatMap (collect pred) (builtins.attrValues v) else [ ];
    unique = l: builtins.attrNames (builtins.listToAttrs (map (x: nameValuePair x true) l));
    versionAtLeast = a: b: builtins.compareVersions a b >= 0;
  };

  # Modules-like option merging: many small definitions merged by name.
  defs = builtins.genList (i: {
    services."svc${toString (i - i / 40 * 40)}" = { enable = i - i / 3 * 3 == 0; port = 1000 + i; tags = [ "t${toString i}" ]; };
    environment.variables."V${toString i}" = "value-${toString i}";
  }) 4000;
  merged = builtins.foldl' lib.recursiveUpdate { } defs;
  enabled = lib.filterAttrs (n: s: s.enable) merged.services;

  # A package set with overrides, versions and dependency closures.
  pkgs = lib.fix (lib.extends overlay base);
  base = self: builtins.listToAttrs (builtins.genList (i: lib.nameValuePair "pkg${toString i}" {
    pname = "pkg${toString i}";
    version = "${toString (i / 10)}.${toString (i - i / 10 * 10)}";
    deps = map (j: self."pkg${toString j}") (builtins.filter (j: j >= 0) [ (i - 1) (i - 7) (i / 2) ]);
  }) 3000);
  overlay = self: super: lib.mapAttrs' (n: p: lib.nameValuePair n (p // {
    name = "${p.pname}-${p.version}";
    isNew = lib.versionAtLeast p.version "100.0";
  })) super;
  closure = builtins.genericClosure {
    startSet = [ { key = "pkg2999"; } ];
    operator = item: map (d: { key = d.pname; }) pkgs.${item.key}.deps;
  };

  # Text processing: splitting, matching, JSON round trips and sorting with a comparator.
  text = lib.concatMapStrings (i: "line ${toString i}: key${toString (i * 7 - i * 7 / 13 * 13)}=value\n") (lib.range 1 6000);
  lines = lib.splitString "\n" text;
  keyed = builtins.filter (m: m != null) (map (builtins.match "line ([0-9]+): (key[0-9]+)=(.*)") lines);
  json = builtins.fromJSON (builtins.toJSON (map (m: { n = builtins.elemAt m 0; k = builtins.elemAt m 1; }) keyed));
  sorted = builtins.sort (a: b: a.k < b.k || (a.k == b.k && builtins.stringLength a.n < builtins.stringLength b.n)) json;

  # Derivations: a chain with two outputs each, and the paths of its last one.
  drvs = builtins.genList (i: derivation {
    name = "train-${toString i}";
    system = "x86_64-linux";
    builder = "/bin/sh";
    args = [ "-c" "echo ${toString i} > $out; mkdir $lib" ];
    outputs = [ "out" "lib" ];
    deps = lib.optional (i > 0) (builtins.elemAt drvs (i - 1)).lib ++ lib.optional (i > 1) (builtins.elemAt drvs (i / 2));
    flags = [ "-O${toString (i - i / 3 * 3)}" "--name=train-${toString i}" ];
  }) 2000;
  lastDrv = builtins.elemAt drvs 1999;

  # Plain recursion and arithmetic.
  ack = m: n: if m == 0 then n + 1 else if n == 0 then ack (m - 1) 1 else ack (m - 1) (ack m (n - 1));
  sumRight = lib.foldr (a: b: a + b) 0 (lib.range 1 20000);
in
{
  services = builtins.length (builtins.attrNames enabled);
  variables = builtins.length (builtins.attrNames merged.environment.variables);
  names = builtins.length (lib.unique (map (p: p.name) (builtins.attrValues pkgs)));
  newest = (pkgs.pkg2999).name;
  closure = builtins.length closure;
  keys = builtins.length (lib.unique (map (e: e.k) sorted));
  first = (builtins.head sorted).n;
  ack = ack 2 300;
  inherit sumRight;
  drv = builtins.substring 0 8 (baseNameOf lastDrv.drvPath);
  lib = builtins.stringLength lastDrv.lib.outPath;
}
