#!/usr/bin/env python3
"""Generates a tree of nixpkgs-like Nix files for benchmarking `lixc check`.

    scripts/gen-tree.py OUT [COUNT]      (COUNT defaults to 40000)

The files imitate nixpkgs: `pkgs/by-name/<xx>/<name>/package.nix` derivations (pattern
arguments, `rec` sets, `fetchurl`, `meta = with lib; { ... }`, `let` blocks, string
interpolation, lists of inputs), a few `lib`-style files of functions and NixOS-style modules.
Some carry the mistakes the linter finds (unused arguments and bindings, `a = a;`, useless
parentheses), roughly as often as real trees do. Output is deterministic for a given COUNT.
"""

import os
import random
import sys

WORDS = "alpha beta gamma delta omega lib zlib curl ssl xml json yaml glib gtk qt python perl ruby rust go node lua tcl fmt log net http ftp mail dns sql db kv cache queue stream audio video image font icon theme shell term edit view tool util core base extra".split()
INPUTS = "openssl zlib curl libxml2 glib gtk3 qt5 python3 perl ruby ncurses readline sqlite libpng libjpeg freetype fontconfig pcre2 libffi gettext".split()
NATIVE = "pkg-config cmake meson ninja autoreconfHook makeWrapper installShellFiles".split()
LICENSES = "mit gpl2Plus gpl3Only asl20 bsd3 lgpl21Plus mpl20".split()


def name(rng):
    return "-".join(rng.sample(WORDS, rng.randint(1, 3))) + str(rng.randint(0, 99))


def package(rng, pname):
    inputs = rng.sample(INPUTS, rng.randint(1, 6))
    native = rng.sample(NATIVE, rng.randint(0, 3))
    args = ["lib", "stdenv", "fetchurl"] + inputs + native
    if rng.random() < 0.05:
        args.append("unusedArg")
    version = f"{rng.randint(0, 9)}.{rng.randint(0, 30)}.{rng.randint(0, 9)}"
    lines = ["{ " + ", ".join(args) + " }:", ""]
    lets = []
    if rng.random() < 0.3:
        lets.append(f'  majorVersion = lib.versions.major "{version}";')
    if rng.random() < 0.04:
        lets.append("  unused = 42;")
    if lets:
        lines += ["let"] + lets + ["in"]
    lines += [
        "stdenv.mkDerivation rec {",
        f'  pname = "{pname}";',
        f'  version = "{version}";',
        "",
        "  src = fetchurl {",
        f'    url = "https://example.org/releases/${{pname}}-${{version}}.tar.gz";',
        f'    hash = "sha256-{"".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef0123456789") for _ in range(43))}=";',
        "  };",
        "",
    ]
    if native:
        lines += ["  nativeBuildInputs = [", *[f"    {n}" for n in native], "  ];", ""]
    lines += ["  buildInputs = [", *[f"    {i}" for i in inputs], "  ];", ""]
    if rng.random() < 0.5:
        flags = [f'"--enable-{rng.choice(WORDS)}"' for _ in range(rng.randint(1, 5))]
        lines += ["  configureFlags = [", *[f"    {f}" for f in flags]]
        if rng.random() < 0.3:
            lines.append(f'    (lib.enableFeature stdenv.hostPlatform.isLinux "{rng.choice(WORDS)}")')
        lines += ["  ];", ""]
    if rng.random() < 0.3:
        lines += [
            "  postInstall = ''",
            "    mkdir -p $out/share/doc/${pname}",
            "    cp README* $out/share/doc/${pname}/",
            "  '';",
            "",
        ]
    if rng.random() < 0.05:
        lines += ["  doCheck = (true);", ""]
    if lets and "majorVersion" in lets[0]:
        lines += ['  passthru.series = majorVersion;', ""]
    lines += [
        "  meta = with lib; {",
        f'    description = "The {rng.choice(WORDS)} {rng.choice(WORDS)} library";',
        f'    homepage = "https://example.org/{pname}";',
        f"    license = licenses.{rng.choice(LICENSES)};",
        "    platforms = platforms.unix;",
        "    maintainers = with maintainers; [ ];",
        "  };",
        "}",
    ]
    return "\n".join(lines) + "\n"


def library(rng):
    out = ["{ lib }:", "", "let", "  inherit (lib) foldl' concatMap attrNames;", "in", "rec {"]
    for i in range(rng.randint(5, 25)):
        f = f"{rng.choice(WORDS)}{i}"
        kind = rng.randint(0, 3)
        if kind == 0:
            out.append(f"  {f} = xs: foldl' (acc: x: acc + x) 0 xs;")
        elif kind == 1:
            out.append(f"  {f} = set: concatMap (n: [ n set.${{n}} ]) (attrNames set);")
        elif kind == 2:
            out.append(f"  {f} = {{ name, value ? null }}: if value == null then name else \"${{name}}=${{toString value}}\";")
        else:
            out.append(f"  {f} = a: b: if a < b then a else b;")
    out.append("}")
    return "\n".join(out) + "\n"


def module(rng, svc):
    return f"""{{ config, lib, pkgs, ... }}:

let
  cfg = config.services.{svc};
in
{{
  options.services.{svc} = {{
    enable = lib.mkEnableOption "{svc}";
    port = lib.mkOption {{
      type = lib.types.port;
      default = {rng.randint(1024, 65535)};
      description = "Port of {svc}.";
    }};
  }};

  config = lib.mkIf cfg.enable {{
    systemd.services.{svc} = {{
      wantedBy = [ "multi-user.target" ];
      serviceConfig.ExecStart = "${{pkgs.hello}}/bin/hello --port ${{toString cfg.port}}";
    }};
  }};
}}
"""


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    out = sys.argv[1]
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 40000
    rng = random.Random(count)
    for i in range(count):
        r = i % 20
        if r == 0:
            path = os.path.join(out, "lib", f"{i:05}", "default.nix")
            text = library(rng)
        elif r == 1:
            svc = name(rng).replace("-", "")
            path = os.path.join(out, "nixos", "modules", f"{i:05}-{svc}.nix")
            text = module(rng, svc)
        else:
            pname = name(rng)
            path = os.path.join(out, "pkgs", "by-name", pname[:2], f"{pname}-{i}", "package.nix")
            text = package(rng, pname)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)


if __name__ == "__main__":
    main()
