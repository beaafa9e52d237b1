//! `derivation`, `derivationStrict` and the store-path builtins through the `lixc` binary,
//! against values recorded from CppNix 2.8 (`nix-instantiate --eval --strict`, read-only).
//! The file-system inputs (`src/`) are created by the test, so the paths that hash them are
//! reproducible.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

/// A scratch directory with `src/a.txt` (executable), `src/sub/b.txt` and `src/c.log`.
fn fixture(tag: &str) -> PathBuf {
    common::source_tree("derivations", tag)
}

/// `lixc eval --strict` of `expr` in `dir`: exit code, stdout, stderr.
fn eval(dir: &Path, expr: &str, env: &[(&str, &str)]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_lixc"))
        .args(["eval", "--strict", "-E", expr])
        .current_dir(dir)
        .env_remove("NIX_STORE_DIR")
        .envs(env.iter().copied())
        .output()
        .expect("lixc runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).trim_end().to_string(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

const LET: &str = r#"let
  sys = "x86_64-linux";
  a = derivation { name = "a"; builder = "/bin/sh"; system = sys; args = [ "-c" "echo a > $out" ]; };
  m = derivation { name = "m"; builder = "/bin/sh"; system = sys; outputs = [ "out" "dev" "lib" ]; };
  fodFlat = derivation { name = "fod"; builder = "/bin/sh"; system = sys; outputHash = "sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="; };
  fodRec = derivation { name = "fodr"; builder = "/bin/sh"; system = sys; outputHashMode = "recursive"; outputHashAlgo = "sha256"; outputHash = "1xmr8jicvzszfzpz46g37mlpvbzjl2wpwvl2b05psipssyp1sm8h"; };
  dep = derivation { name = "dep"; builder = "${a}/bin/sh"; system = sys; inherit m; lib = m.lib; src = fodFlat; x = null; __ignoreNulls = true; };
  file = builtins.toFile "script.sh" "echo ${builtins.toFile "x" "y"} ${./src/a.txt}\n";
  withFile = derivation { name = "with-file"; builder = "/bin/sh"; system = sys; args = [ file ./src ]; p = builtins.placeholder "out"; };
  structured = derivation { name = "structured"; builder = "/bin/sh"; system = sys; __structuredAttrs = true; outputs = [ "out" "doc" ]; deps = [ a m.dev ]; n = 3; f = 1.5; s = { y = "b"; x = [ true null ]; }; };
  filtered = builtins.path { path = ./src; name = "filtered"; filter = p: t: builtins.match ".*\\.log" p == null; };
  flat = builtins.path { path = ./src/a.txt; recursive = false; };
  shape = derivation { name = "x"; builder = "/bin/sh"; system = "s"; outputs = [ "dev" "out" ]; __structuredAttrs = false; v = 1; l = [ 1 "a" [ ] null true ]; };
in "#;

/// (expression after `LET`, what CppNix 2.8 prints).
const CASES: &[(&str, &str)] = &[
    ("a.drvPath", "/nix/store/h0qb3wmwhkx4nsnnlp5janwnw1bz9ng8-a.drv"),
    ("a.outPath", "/nix/store/ggbqg8lqjwj75wznkv03h0x2bjr2in0j-a"),
    ("m.drvPath", "/nix/store/86yc8f53ykcfw07ggzv2r8n28jrzbcj8-m.drv"),
    ("m.dev.outPath", "/nix/store/kp6whmhwvfw7j5v69jxj0kiidhaq5ljm-m-dev"),
    ("m.lib.outPath", "/nix/store/150srg096g6qd7civqwia4ja0xpcfda1-m-lib"),
    ("m.out.outPath", "/nix/store/8z4y9x8xzskziqamz6k6pfp9vds4a4pk-m"),
    ("fodFlat.drvPath", "/nix/store/c2lqp3mv556mp61rbjhr5p3sj68viqcz-fod.drv"),
    ("fodFlat.outPath", "/nix/store/4yfk9q43irhw1r79i1pvbva1zd0677j1-fod"),
    ("fodRec.drvPath", "/nix/store/ig8nyibfgzh48m94y3j0h5wgdc440w44-fodr.drv"),
    ("fodRec.outPath", "/nix/store/g1di2hjcyfim78jab1a9m0715y41hxfv-fodr"),
    ("dep.drvPath", "/nix/store/l6zw03n3jq8ymnwvkrk509z0s6l3rlk2-dep.drv"),
    ("dep.outPath", "/nix/store/ja5xj4ixfcgh0j2ylqcnh7i5nrf7j7mk-dep"),
    ("file", "/nix/store/ncnsazj929jjiklmla7dh6rf4m3k6f01-script.sh"),
    ("withFile.drvPath", "/nix/store/6jyc4g0abni42hjzhviq9ppd82lffizl-with-file.drv"),
    ("withFile.outPath", "/nix/store/gzkn8wnzhmqgjf3b6fm8pd7fxlav3z3y-with-file"),
    ("structured.drvPath", "/nix/store/c1xqkjdxzz2kwl1rqyy5qyy5ayijhaj5-structured.drv"),
    ("structured.doc.outPath", "/nix/store/k903d4fss07ql7kwsxxj5m3kz06hn547-structured-doc"),
    ("structured.outPath", "/nix/store/dxki0p6c4parf2kg78qk2hghwlsn7mv9-structured"),
    ("filtered", "/nix/store/70ddvrg84h1gsji2d5gvqy5g78qjf0za-filtered"),
    ("flat", "/nix/store/fdwm55r4skpypx1gwzb7x69ckav1rv09-a.txt"),
    ("builtins.filterSource (p: t: t != \"directory\") ./src", "/nix/store/2ywf6lmy1kpdqv8a89msb4j9xjvgbg5y-src"),
    ("\"${./src}\"", "/nix/store/ij6a7vzc3ylwkckampxbv3qrmk6m827g-src"),
    ("builtins.placeholder \"dev\"", "/02qcpld1y6xhs5gz9bchpxaw0xdhmsp5dv88lh25r2ss44kh8dxz"),
    ("shape.drvPath", "/nix/store/grkx5z8v7yllmygv7lzrh3mzzxr2pjrb-x.drv"),
    ("shape.outPath", "/nix/store/xwqcjn56cx8mk81zks9mkxa8f5zpi65d-x-dev"),
    ("shape.out.outPath", "/nix/store/nyylxsnmzhjsf3zjg6apdfzzkp491sqj-x"),
];

#[test]
fn paths_match_cppnix() {
    let dir = fixture("paths");
    // All at once, so derivations share one store's memo as in a real evaluation.
    let list: Vec<String> = CASES.iter().map(|(e, _)| format!("({e})")).collect();
    let (code, out, err) = eval(&dir, &format!("{LET}[ {} ]", list.join(" ")), &[]);
    assert_eq!(code, 0, "{err}");
    let expected: Vec<String> = CASES.iter().map(|(_, v)| format!("\"{v}\"")).collect();
    assert_eq!(out, format!("[ {} ]", expected.join(" ")));
    // And each alone: nothing depends on evaluation order.
    for (e, v) in CASES {
        let (code, out, err) = eval(&dir, &format!("{LET}{e}"), &[]);
        assert_eq!(code, 0, "{e}: {err}");
        assert_eq!(out, format!("\"{v}\""), "{e}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn derivation_shape_matches_cppnix() {
    let dir = fixture("shape");
    let (code, out, err) = eval(
        &dir,
        &format!(
            "{LET}{{ names = builtins.attrNames shape; ctx = builtins.getContext shape.drvPath; \
             ctx2 = builtins.getContext \"${{shape}}\"; t = builtins.typeOf derivation; o = shape.outputName; \
             all = map (x: x.outputName) shape.all; attrs = shape.drvAttrs; }}"
        ),
        &[],
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out,
        r#"{ all = [ "dev" "out" ]; attrs = { __structuredAttrs = false; builder = "/bin/sh"; l = [ 1 "a" [ ] null true ]; name = "x"; outputs = [ "dev" "out" ]; system = "s"; v = 1; }; ctx = { "/nix/store/grkx5z8v7yllmygv7lzrh3mzzxr2pjrb-x.drv" = { allOutputs = true; }; }; ctx2 = { "/nix/store/grkx5z8v7yllmygv7lzrh3mzzxr2pjrb-x.drv" = { outputs = [ "dev" ]; }; }; names = [ "__structuredAttrs" "all" "builder" "dev" "drvAttrs" "drvPath" "l" "name" "out" "outPath" "outputName" "outputs" "system" "type" "v" ]; o = "dev"; t = "lambda"; }"#
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn store_dir_from_environment() {
    let dir = fixture("storedir");
    // NIX_STORE_DIR=/foo/store nix-instantiate --eval -E '…'
    let (code, out, err) = eval(
        &dir,
        r#"(derivation { name = "x"; builder = "/bin/sh"; system = "s"; }).drvPath"#,
        &[("NIX_STORE_DIR", "/foo/store")],
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, "\"/foo/store/hcvr87byfa0z6pig9r077vns4zn137ac-x.drv\"");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn errors() {
    let dir = fixture("errors");
    for (expr, message) in [
        (r#"derivationStrict { }"#, "error: attribute 'name' missing"),
        (r#"derivationStrict { name = "a"; }"#, "error: required attribute 'builder' missing"),
        (r#"derivationStrict { name = "a"; builder = "b"; }"#, "error: required attribute 'system' missing"),
        (
            r#"derivationStrict { name = "~a"; builder = "b"; system = "s"; }"#,
            "error: invalid derivation name: name '~a' contains illegal character '~'. Please pass a different 'name'.",
        ),
        (
            r#"derivationStrict { name = "a"; builder = "b"; system = "s"; outputs = [ "out" "dev" ]; outputHash = "sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="; }"#,
            "error: multiple outputs are not supported in fixed-output derivations",
        ),
        (
            r#"let d = derivation { name = "a"; builder = "b"; system = "s"; }; in builtins.toFile "f" "${d}""#,
            "error: files created by builtins.toFile may not reference derivations",
        ),
        (
            r#"builtins.path { path = ./src; sha256 = "0000000000000000000000000000000000000000000000000000"; }"#,
            "error: store path mismatch in (possibly filtered) path added from",
        ),
    ] {
        let (code, _, err) = eval(&dir, expr, &[]);
        assert_eq!(code, 1, "{expr}: {err}");
        assert!(err.contains(message), "{expr}: {err}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
