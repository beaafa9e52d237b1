//! Golden tests: store paths, `.drv` bytes, output paths and NAR hashes computed by lix-store,
//! compared with what CppNix 2.8 computes for the same input.
//!
//! The values were recorded with `nix-instantiate --eval --strict` (read-only: nothing is
//! written) and the `.drv` files in `golden/` with `nix-instantiate --store 'local?root=DIR'`.
//! When `LIXC_NIX_INSTANTIATE` names a `nix-instantiate` binary, `differential_*` tests recompute
//! every value with it (and `nix-store`/`nix-hash` beside it) instead of trusting the record.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use lix_store::content_address::{ContentAddress, FileIngestionMethod};
use lix_store::nar::{dump_path, nar_hash_path};
use lix_store::{
    Derivation, DerivationOutput, DrvHash, DrvHashes, Hash, HashAlgo, NarNode, StoreDir, StorePath,
};

/// One derivation of the corpus: its Nix expression (evaluated inside `let <all cases> in`, so it
/// may name other cases) and what CppNix 2.8 computed for it.
struct Case {
    /// The let-binding name, and the `.drv` file in `golden/` (`<drv name>.drv`).
    key: &'static str,
    drv_name: &'static str,
    nix: &'static str,
    drv_path: &'static str,
    outputs: &'static [(&'static str, &'static str)],
}

const SYSTEM: &str = "x86_64-linux";

/// In dependency order: each case only names cases above it.
const CORPUS: &[Case] = &[
    Case {
        key: "simple",
        drv_name: "simple",
        nix: r#"derivation { name = "simple"; builder = "/bin/sh"; system = "x86_64-linux"; args = [ "-c" "echo hello > $out" ]; }"#,
        drv_path: "/nix/store/3ghsl9sd83mc26i81adpa2fzf3yw4f68-simple.drv",
        outputs: &[("out", "/nix/store/94f9f6i31zwzwbf0kclq1naqxxi4c7v9-simple")],
    },
    Case {
        key: "multi",
        drv_name: "multi",
        nix: r#"derivation { name = "multi"; builder = "/bin/sh"; system = "x86_64-linux"; outputs = [ "out" "dev" "lib" ]; args = [ "-c" "true" ]; }"#,
        drv_path: "/nix/store/mnjxjzmmfip5fyy68ljris8cqvix037m-multi.drv",
        outputs: &[
            (
                "dev",
                "/nix/store/h21hqkmjfi6kmyqdn5lsl2vl4mij4x78-multi-dev",
            ),
            (
                "lib",
                "/nix/store/38zkcbgl3a69sk5dxg60iym23bli3yw4-multi-lib",
            ),
            ("out", "/nix/store/kycc2gnajibbp04nyc8vlwlf0ikxdayf-multi"),
        ],
    },
    Case {
        key: "fodFlat",
        drv_name: "fod-flat",
        nix: r#"derivation { name = "fod-flat"; builder = "/bin/sh"; system = "x86_64-linux"; outputHashMode = "flat"; outputHashAlgo = "sha256"; outputHash = "98ea6e4f216f2fb4b69fff9b3a44842c38686ca685f3f55dc48c5d3fb1107be4"; }"#,
        drv_path: "/nix/store/az4gnybkw1z07zxsjvwl99z3snhbglnb-fod-flat.drv",
        outputs: &[(
            "out",
            "/nix/store/xz6hn7hcym5yz7rbkyjc8z3s7clspq2z-fod-flat",
        )],
    },
    Case {
        key: "fodRec",
        drv_name: "fod-rec",
        nix: r#"derivation { name = "fod-rec"; builder = "/bin/sh"; system = "x86_64-linux"; outputHashMode = "recursive"; outputHashAlgo = "sha256"; outputHash = "1xmr8jicvzszfzpz46g37mlpvbzjl2wpwvl2b05psipssyp1sm8h"; }"#,
        drv_path: "/nix/store/92p74z8frbcvrw99w8y8hj3dlgwrhy9n-fod-rec.drv",
        outputs: &[("out", "/nix/store/ycz4b5vrd8c1flnv8gs50ly5n89844jr-fod-rec")],
    },
    Case {
        key: "fodSha1",
        drv_name: "fod-sha1",
        nix: r#"derivation { name = "fod-sha1"; builder = "/bin/sh"; system = "x86_64-linux"; outputHashMode = "recursive"; outputHashAlgo = "sha1"; outputHash = "0000000000000000000000000000000000000000"; }"#,
        drv_path: "/nix/store/n0bgzka5lsrdjp9r2mizvhdxnz0jn73w-fod-sha1.drv",
        outputs: &[(
            "out",
            "/nix/store/zvbc2hk2nkjis592rdq4zdw0yfg8qdr0-fod-sha1",
        )],
    },
    Case {
        key: "fodMd5",
        drv_name: "fod-md5",
        nix: r#"derivation { name = "fod-md5"; builder = "/bin/sh"; system = "x86_64-linux"; outputHashAlgo = "md5"; outputHash = "d41d8cd98f00b204e9800998ecf8427e"; }"#,
        drv_path: "/nix/store/mrp9gxklzzgac7f6fg4a7niy7y6b1pdb-fod-md5.drv",
        outputs: &[("out", "/nix/store/rif4vwpx11wz7zcxrj94qf69vjzz653a-fod-md5")],
    },
    Case {
        key: "dep",
        drv_name: "dep",
        nix: r#"derivation { name = "dep"; builder = "/bin/sh"; system = "x86_64-linux"; args = [ "-c" "${multi.dev}/x ${multi.lib}" ]; src = fodFlat; tool = simple; }"#,
        drv_path: "/nix/store/ml9mym3xz0bczk4l8vc2v4qqlvk0l0kl-dep.drv",
        outputs: &[("out", "/nix/store/c1l3xp3cq3wl7kmhj7i8db9qknndg3kr-dep")],
    },
    Case {
        key: "escapes",
        drv_name: "escapes",
        nix: r#"derivation { name = "escapes"; builder = "/bin/sh"; system = "x86_64-linux"; args = [ "a\"b" "c\\d" "e\nf\tg\rh" ]; weird = "$ {} ' \" \\ \n"; }"#,
        drv_path: "/nix/store/3kgwr6yh15gq8aarnvz61kgz0zwp6mnp-escapes.drv",
        outputs: &[("out", "/nix/store/7cv4vhm3afkrncgf4qfamnnhi00fg72x-escapes")],
    },
    Case {
        key: "withSrc",
        drv_name: "with-src",
        nix: r#"derivation { name = "with-src"; builder = "/bin/sh"; system = "x86_64-linux"; script = builtins.toFile "script.sh" "echo hi\n"; }"#,
        drv_path: "/nix/store/gf8bijyxd6n3l3dmhpqs9zdqrprv5wqg-with-src.drv",
        outputs: &[(
            "out",
            "/nix/store/bf7rf53lbar1r0n6q9mlvh8jczr3qcjr-with-src",
        )],
    },
    Case {
        key: "structured",
        drv_name: "structured",
        nix: r#"derivation { name = "structured"; builder = "/bin/sh"; system = "x86_64-linux"; __structuredAttrs = true; outputs = [ "out" "doc" ]; list = [ 1 "two" true null ]; set = { b = 2; a = "x\ny"; }; num = 3; }"#,
        drv_path: "/nix/store/p40wwwir70v2942vzs5a98a41pcwmrac-structured.drv",
        outputs: &[
            (
                "doc",
                "/nix/store/5pagwsfcgwqkk2lnm1i1xh3mckpn9j2n-structured-doc",
            ),
            (
                "out",
                "/nix/store/yg1jh5rif4w2daqvzs1hzqx6kxycya3k-structured",
            ),
        ],
    },
    Case {
        key: "depRec",
        drv_name: "dep-rec",
        nix: r#"derivation { name = "dep-rec"; builder = "/bin/sh"; system = "x86_64-linux"; inputs = [ dep fodRec fodSha1 ]; }"#,
        drv_path: "/nix/store/yd98gp4ryl117ylzdq60k7q05xwxdwms-dep-rec.drv",
        outputs: &[("out", "/nix/store/5xcy9glwycxxr1gnm6fcxgsxnz2xaz0s-dep-rec")],
    },
];

/// Text paths: `(nix expression, name, contents, references, path)`, as
/// `nix-instantiate --eval -E '<expression>'` prints them (toFile computes its path without
/// writing in read-only mode). The reference of `uses-ref` comes from its string's context.
const TEXT_PATHS: &[(&str, &str, &str, &[&str], &str)] = &[
    (
        r#"builtins.toFile "hello.txt" "hi\n""#,
        "hello.txt",
        "hi\n",
        &[],
        "/nix/store/0n8rj1cflhzhh0min74l7ml0ck57hkcc-hello.txt",
    ),
    (
        r#"builtins.toFile "empty" """#,
        "empty",
        "",
        &[],
        "/nix/store/wflv0hgb0qb1ddc5nxmsg0y9zjjhfvmh-empty",
    ),
    (
        r#"builtins.toFile "script.sh" "echo hi\n""#,
        "script.sh",
        "echo hi\n",
        &[],
        "/nix/store/2mpbzsibf4yhqm9g1wjd1y3h8rbd44gp-script.sh",
    ),
    (
        r#"builtins.toFile ".a" "x""#,
        ".a",
        "x",
        &[],
        "/nix/store/asd5znqvqny47n2kaa06zr46k6b2hx9h-.a",
    ),
    (
        r#"builtins.toFile "uses-ref" "see ${builtins.toFile "a" "b"}""#,
        "uses-ref",
        "see /nix/store/g76zcpqc540lrc8i6g7xy6ip0npn2hnp-a",
        &["/nix/store/g76zcpqc540lrc8i6g7xy6ip0npn2hnp-a"],
        "/nix/store/v323ib04rj2p05nssmgqn253zkb78cra-uses-ref",
    ),
];

fn dir() -> StoreDir {
    StoreDir::default()
}

fn path(s: &str) -> StorePath {
    dir()
        .parse(s)
        .unwrap_or_else(|e| panic!("golden path {s}: {e}"))
}

fn env_of(pairs: &[(&str, &str)]) -> BTreeMap<Vec<u8>, Vec<u8>> {
    pairs
        .iter()
        .map(|(k, v)| (k.as_bytes().to_vec(), v.as_bytes().to_vec()))
        .collect()
}

fn base(name: &str, outputs: &[&str]) -> Derivation {
    Derivation {
        name: name.to_owned(),
        outputs: outputs
            .iter()
            .map(|o| (o.to_string(), DerivationOutput::Deferred))
            .collect(),
        platform: SYSTEM.into(),
        builder: b"/bin/sh".to_vec(),
        env: env_of(&[("builder", "/bin/sh"), ("name", name), ("system", SYSTEM)]),
        ..Derivation::default()
    }
}

fn fixed(
    name: &str,
    method: FileIngestionMethod,
    algo: HashAlgo,
    hash: &str,
    mode: Option<&str>,
) -> Derivation {
    let mut d = base(name, &["out"]);
    let hash = Hash::parse_any(hash, Some(algo)).expect("golden hash");
    d.outputs.insert(
        "out".into(),
        DerivationOutput::Fixed(ContentAddress {
            method,
            hash: hash.clone(),
        }),
    );
    d.env.extend(env_of(&[("outputHashAlgo", algo.name())]));
    if let Some(mode) = mode {
        d.env.extend(env_of(&[("outputHashMode", mode)]));
    }
    d
}

/// What the evaluator's `derivationStrict` must produce for each case, built by hand; `built`
/// holds the finished earlier cases.
fn build(key: &str, built: &BTreeMap<&str, (Derivation, StorePath)>) -> Derivation {
    let out_of = |k: &str, o: &str| -> String {
        let (d, _) = &built[k];
        dir().print(&d.output_path(&dir(), o).expect("path").expect("known"))
    };
    let drv_of = |k: &str| built[k].1.clone();
    match key {
        "simple" => Derivation {
            args: vec![b"-c".to_vec(), b"echo hello > $out".to_vec()],
            ..base("simple", &["out"])
        },
        "multi" => {
            let mut d = base("multi", &["out", "dev", "lib"]);
            d.args = vec![b"-c".to_vec(), b"true".to_vec()];
            d.env.extend(env_of(&[("outputs", "out dev lib")]));
            d
        }
        "fodFlat" => {
            let h = "98ea6e4f216f2fb4b69fff9b3a44842c38686ca685f3f55dc48c5d3fb1107be4";
            let mut d = fixed(
                "fod-flat",
                FileIngestionMethod::Flat,
                HashAlgo::Sha256,
                h,
                Some("flat"),
            );
            d.env.extend(env_of(&[("outputHash", h)]));
            d
        }
        "fodRec" => {
            let h = "1xmr8jicvzszfzpz46g37mlpvbzjl2wpwvl2b05psipssyp1sm8h";
            let mut d = fixed(
                "fod-rec",
                FileIngestionMethod::Recursive,
                HashAlgo::Sha256,
                h,
                Some("recursive"),
            );
            d.env.extend(env_of(&[("outputHash", h)]));
            d
        }
        "fodSha1" => {
            let h = "0000000000000000000000000000000000000000";
            let mut d = fixed(
                "fod-sha1",
                FileIngestionMethod::Recursive,
                HashAlgo::Sha1,
                h,
                Some("recursive"),
            );
            d.env.extend(env_of(&[("outputHash", h)]));
            d
        }
        "fodMd5" => {
            let h = "d41d8cd98f00b204e9800998ecf8427e";
            let mut d = fixed("fod-md5", FileIngestionMethod::Flat, HashAlgo::Md5, h, None);
            d.env.extend(env_of(&[("outputHash", h)]));
            d
        }
        "dep" => {
            let mut d = base("dep", &["out"]);
            let arg = format!("{}/x {}", out_of("multi", "dev"), out_of("multi", "lib"));
            d.args = vec![b"-c".to_vec(), arg.into_bytes()];
            d.env.extend(env_of(&[
                ("src", &out_of("fodFlat", "out")),
                ("tool", &out_of("simple", "out")),
            ]));
            d.input_drvs
                .insert(drv_of("simple"), BTreeSet::from(["out".to_owned()]));
            d.input_drvs
                .insert(drv_of("fodFlat"), BTreeSet::from(["out".to_owned()]));
            d.input_drvs.insert(
                drv_of("multi"),
                BTreeSet::from(["dev".to_owned(), "lib".to_owned()]),
            );
            d
        }
        "escapes" => {
            let mut d = base("escapes", &["out"]);
            d.args = vec![b"a\"b".to_vec(), b"c\\d".to_vec(), b"e\nf\tg\rh".to_vec()];
            d.env.extend(env_of(&[("weird", "$ {} ' \" \\ \n")]));
            d
        }
        "withSrc" => {
            let mut d = base("with-src", &["out"]);
            let script = dir()
                .text_path_for("script.sh", b"echo hi\n", &BTreeSet::new())
                .expect("path");
            d.env.extend(env_of(&[("script", &dir().print(&script))]));
            d.input_srcs.insert(script);
            d
        }
        "structured" => {
            // With `__structuredAttrs`, the attributes travel as one JSON object in `__json`
            // (keys sorted, compact, `__structuredAttrs` itself left out), and the environment
            // holds only it and the outputs.
            let mut d = base("structured", &["out", "doc"]);
            let json = serde_json::json!({
                "builder": "/bin/sh", "list": [1, "two", true, null], "name": "structured", "num": 3,
                "outputs": ["out", "doc"], "set": { "b": 2, "a": "x\ny" }, "system": SYSTEM,
            });
            let text = serde_json::to_string(&json).expect("json");
            assert_eq!(
                text,
                r#"{"builder":"/bin/sh","list":[1,"two",true,null],"name":"structured","num":3,"outputs":["out","doc"],"set":{"a":"x\ny","b":2},"system":"x86_64-linux"}"#
            );
            d.env = env_of(&[("__json", &text)]);
            d
        }
        "depRec" => {
            let mut d = base("dep-rec", &["out"]);
            let inputs = format!(
                "{} {} {}",
                out_of("dep", "out"),
                out_of("fodRec", "out"),
                out_of("fodSha1", "out")
            );
            d.env.extend(env_of(&[("inputs", &inputs)]));
            for k in ["dep", "fodRec", "fodSha1"] {
                d.input_drvs
                    .insert(drv_of(k), BTreeSet::from(["out".to_owned()]));
            }
            d
        }
        other => panic!("no builder for case {other}"),
    }
}

fn golden_file(drv_name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(format!("{drv_name}.drv"))
}

/// Instantiates the whole corpus the way the evaluator will: output paths, then the `.drv`
/// path, then the unmasked hash recorded for dependents.
fn instantiate_corpus() -> BTreeMap<&'static str, (Derivation, StorePath)> {
    let mut hashes = DrvHashes::new();
    let mut built = BTreeMap::new();
    for case in CORPUS {
        let mut d = build(case.key, &built);
        d.compute_output_paths(&dir(), &mut hashes, &lix_store::derivation::NoDerivations)
            .unwrap_or_else(|e| panic!("{}: {e}", case.key));
        let drv_path = d.drv_path(&dir()).expect("drv path");
        let h = d
            .hash_modulo(
                &dir(),
                false,
                &mut hashes,
                &lix_store::derivation::NoDerivations,
            )
            .expect("hash");
        hashes.insert(drv_path.clone(), h);
        built.insert(case.key, (d, drv_path));
    }
    built
}

#[test]
fn drv_paths_and_output_paths_match_cppnix() {
    let built = instantiate_corpus();
    for case in CORPUS {
        let (d, drv_path) = &built[case.key];
        assert_eq!(
            dir().print(drv_path),
            case.drv_path,
            "drvPath of {}",
            case.key
        );
        let outs: Vec<(String, String)> = d
            .output_paths(&dir())
            .expect("outputs")
            .into_iter()
            .map(|(o, p)| (o, dir().print(&p)))
            .collect();
        let expected: Vec<(String, String)> = case
            .outputs
            .iter()
            .map(|(o, p)| (o.to_string(), p.to_string()))
            .collect();
        assert_eq!(outs, expected, "output paths of {}", case.key);
    }
}

#[test]
fn drv_bytes_match_cppnix_and_round_trip() {
    let built = instantiate_corpus();
    for case in CORPUS {
        let golden = std::fs::read(golden_file(case.drv_name)).expect("golden .drv");
        let (d, _) = &built[case.key];
        let ours = d.to_aterm(&dir()).expect("aterm");
        assert_eq!(
            String::from_utf8_lossy(&ours),
            String::from_utf8_lossy(&golden),
            "{}.drv",
            case.drv_name
        );
        let parsed = Derivation::from_aterm(&dir(), case.drv_name, &golden).expect("parses");
        assert_eq!(&parsed, d, "parsed {}.drv", case.drv_name);
        assert_eq!(parsed.to_aterm(&dir()).expect("aterm"), golden);
    }
}

/// `drv_path_and_hash_modulo`, which prints the shared parts of the two ATerms once, gives what
/// `drv_path` and the unmasked `hash_modulo` give, for every derivation of the corpus.
#[test]
fn drv_path_and_hash_modulo_agree_with_the_separate_computations() {
    let built = instantiate_corpus();
    let mut hashes = DrvHashes::new();
    for case in CORPUS {
        let (d, drv_path) = &built[case.key];
        let source = &lix_store::derivation::NoDerivations;
        let (p, h) = d
            .drv_path_and_hash_modulo(&dir(), &mut hashes, source)
            .unwrap_or_else(|e| panic!("{}: {e}", case.key));
        assert_eq!(&p, drv_path, "drvPath of {}", case.key);
        let expected = d.hash_modulo(&dir(), false, &mut hashes, source).expect("hash");
        assert_eq!(h, expected, "modulo hash of {}", case.key);
        hashes.insert(p, h);
    }
}

/// Hashing reads missing inputs from a `DerivationSource`, as it will from the store: starting
/// with an empty cache, the deepest derivation still gets the right output path.
#[test]
fn hash_modulo_reads_inputs_from_source() {
    let mut source = BTreeMap::new();
    for case in CORPUS {
        let text = std::fs::read(golden_file(case.drv_name)).expect("golden .drv");
        source.insert(
            path(case.drv_path),
            Derivation::from_aterm(&dir(), case.drv_name, &text).expect("parses"),
        );
    }
    let top = &source[&path("/nix/store/yd98gp4ryl117ylzdq60k7q05xwxdwms-dep-rec.drv")];
    let mut hashes = DrvHashes::new();
    let DrvHash::Modulo(h) = top
        .hash_modulo(&dir(), true, &mut hashes, &source)
        .expect("hash")
    else {
        panic!("dep-rec is input-addressed");
    };
    let out = dir().make_output_path("out", &h, "dep-rec").expect("path");
    assert_eq!(
        dir().print(&out),
        "/nix/store/5xcy9glwycxxr1gnm6fcxgsxnz2xaz0s-dep-rec"
    );
    // Inputs were hashed and remembered along the way, fixed-output ones per output.
    assert!(matches!(
        hashes.get(&path(CORPUS[6].drv_path)),
        Some(DrvHash::Modulo(_))
    ));
    assert!(matches!(
        hashes.get(&path(CORPUS[3].drv_path)),
        Some(DrvHash::Fixed(_))
    ));
    // Without a source, an unknown input is a clear error.
    let err = top.hash_modulo(
        &dir(),
        true,
        &mut DrvHashes::new(),
        &lix_store::derivation::NoDerivations,
    );
    assert!(err.is_err_and(|e| e.to_string().contains("is not known")));
}

#[test]
fn text_paths_match_cppnix() {
    for (_, name, contents, refs, expected) in TEXT_PATHS {
        let refs: BTreeSet<StorePath> = refs.iter().map(|r| path(r)).collect();
        let p = dir()
            .text_path_for(name, contents.as_bytes(), &refs)
            .expect("path");
        assert_eq!(dir().print(&p), *expected, "toFile {name}");
    }
    // The reference of `uses-ref` is itself `builtins.toFile "a" "b"`.
    let a = dir()
        .text_path_for("a", b"b", &BTreeSet::new())
        .expect("path");
    assert_eq!(dir().print(&a), TEXT_PATHS[4].3[0]);
}

/// The tree NAR goldens were recorded on, built fresh in a temporary directory:
/// files (one executable, one empty, names that sort by byte: `B` < `a` < `a-b` < `a.b`),
/// a relative and a dangling symlink, nested and empty directories.
fn make_tree(root: &Path) {
    use std::os::unix::fs::{symlink, PermissionsExt};
    let w = |p: &str, c: &[u8]| std::fs::write(root.join(p), c).expect("write");
    std::fs::create_dir_all(root.join("sub/deeper")).expect("mkdir");
    std::fs::create_dir_all(root.join("empty-dir")).expect("mkdir");
    w("a", b"hello\n");
    w("sub/run.sh", b"#!/bin/sh\necho hi\n");
    let run = root.join("sub/run.sh");
    let mut perms = std::fs::metadata(&run).expect("stat").permissions();
    perms.set_mode(0o755);
    std::fs::set_permissions(&run, perms).expect("chmod");
    w("empty", b"");
    w("B", b"x");
    w("a.b", b"12345678");
    w("a-b", b"123456789");
    symlink("../a", root.join("sub/link")).expect("symlink");
    symlink("/nonexistent/target", root.join("sub/deeper/dangling")).expect("symlink");
}

/// `(path in the tree, nix-hash --type sha256 --base32, NAR size from nix-store --dump | wc -c)`.
const NAR_GOLDENS: &[(&str, &str, Option<u64>)] = &[
    (
        "",
        "02wiylyf611csvfyjzlmbk8bb0c52fcjsg4inyignvjnr4mynwqs",
        Some(2208),
    ),
    (
        "sub/run.sh",
        "183p8jhjfcpk6kac6hxwp4gzp9brkvkibylz27jfbvgd5kqcq2jy",
        None,
    ),
    (
        "sub/link",
        "17yy26jqjy0nvac4xxjbpdgdhaan92vx4a8p8lk5swyjq20dkx44",
        None,
    ),
];

#[test]
fn nar_hashes_match_cppnix() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path().join("tree");
    std::fs::create_dir(&root).expect("mkdir");
    make_tree(&root);
    for (rel, expected, size) in NAR_GOLDENS {
        let p = if rel.is_empty() {
            root.clone()
        } else {
            root.join(rel)
        };
        let (h, n) = nar_hash_path(&p).expect("nar hash");
        assert_eq!(h.to_base32(), *expected, "NAR hash of '{rel}'");
        if let Some(size) = size {
            assert_eq!(n, *size, "NAR size of '{rel}'");
        }
        // The in-memory tree serialises to the same bytes, and they parse back to it.
        let mut streamed = Vec::new();
        dump_path(&p, &mut streamed).expect("dump");
        let node = NarNode::from_path(&p).expect("read");
        assert_eq!(node.to_nar_bytes(), streamed);
        assert_eq!(NarNode::from_nar_bytes(&streamed).expect("parse"), node);
    }
    // `builtins.path { path = <tree>; name = "tree"; }` is the source path of the NAR hash.
    let (h, _) = nar_hash_path(&root).expect("nar hash");
    let ca = ContentAddress {
        method: FileIngestionMethod::Recursive,
        hash: h,
    };
    let p = dir()
        .make_fixed_output_path(&ca, "tree", &BTreeSet::new(), false)
        .expect("path");
    assert_eq!(
        dir().print(&p),
        "/nix/store/x0g4l7vg0js21naklyn49fwabg8472cj-tree"
    );
    // `"${<tree>/a}"` copies the file: recursive, named after the file.
    let (h, _) = nar_hash_path(&root.join("a")).expect("nar hash");
    let ca = ContentAddress {
        method: FileIngestionMethod::Recursive,
        hash: h,
    };
    let p = dir()
        .make_fixed_output_path(&ca, "a", &BTreeSet::new(), false)
        .expect("path");
    assert_eq!(
        dir().print(&p),
        "/nix/store/wsapfasykqjyaw5h4glxcsgprzxp7bjd-a"
    );
    // `builtins.path { path = <tree>/a; name = "a-flat"; recursive = false; }`: flat sha256.
    let flat = Hash::digest(HashAlgo::Sha256, b"hello\n");
    let ca = ContentAddress {
        method: FileIngestionMethod::Flat,
        hash: flat,
    };
    let p = dir()
        .make_fixed_output_path(&ca, "a-flat", &BTreeSet::new(), false)
        .expect("path");
    assert_eq!(
        dir().print(&p),
        "/nix/store/30a1f553jsg14yz7v1cb2mwpwc9kycff-a-flat"
    );
}

#[test]
fn store_dir_enters_every_hash() {
    let gnu = StoreDir::new("/gnu/store").expect("dir");
    let p = gnu
        .text_path_for("hello.txt", b"hi\n", &BTreeSet::new())
        .expect("path");
    assert!(gnu.print(&p).starts_with("/gnu/store/"));
    assert_ne!(p.hash_part(), path(TEXT_PATHS[0].4).hash_part());
}

// ---- differential tests against a live CppNix -------------------------------------------------

fn reference_binary() -> Option<PathBuf> {
    match std::env::var_os("LIXC_NIX_INSTANTIATE") {
        Some(p) => Some(PathBuf::from(p)),
        None => {
            eprintln!("skipped: set LIXC_NIX_INSTANTIATE to a nix-instantiate binary to recheck the goldens");
            None
        }
    }
}

fn run(cmd: &mut Command) -> String {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("running {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 output")
}

#[test]
fn differential_derivations_against_nix_instantiate() {
    let Some(nix) = reference_binary() else {
        return;
    };
    let bindings: String = CORPUS
        .iter()
        .map(|c| format!("  {} = {};\n", c.key, c.nix))
        .collect();
    let expr = format!(
        "let\n{bindings}in builtins.mapAttrs (n: d: {{ drvPath = d.drvPath; outs = builtins.listToAttrs \
         (map (o: {{ name = o; value = d.${{o}}.outPath; }}) (d.outputs or [ \"out\" ])); }}) {{ {} }}",
        CORPUS.iter().map(|c| format!("inherit {};", c.key)).collect::<Vec<_>>().join(" ")
    );
    let json = run(Command::new(&nix).args(["--eval", "--strict", "--json", "-E", &expr]));
    let value: serde_json::Value = serde_json::from_str(&json).expect("json");
    for case in CORPUS {
        let v = &value[case.key];
        assert_eq!(v["drvPath"], case.drv_path, "drvPath of {}", case.key);
        for (o, p) in case.outputs {
            assert_eq!(v["outs"][o], *p, "output {o} of {}", case.key);
        }
    }
    for (expr, name, _, _, expected) in TEXT_PATHS {
        let got = run(Command::new(&nix).args(["--eval", "-E", expr]));
        assert_eq!(got.trim(), format!("\"{expected}\""), "toFile {name}");
    }
}

#[test]
fn differential_nar_against_nix_store() {
    let Some(nix) = reference_binary() else {
        return;
    };
    let bin = nix.parent().map(Path::to_path_buf).unwrap_or_default();
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path().join("tree");
    std::fs::create_dir(&root).expect("mkdir");
    make_tree(&root);
    for (rel, expected, _) in NAR_GOLDENS {
        let p = if rel.is_empty() {
            root.clone()
        } else {
            root.join(rel)
        };
        let got = run(Command::new(bin.join("nix-hash"))
            .args(["--type", "sha256", "--base32"])
            .arg(&p));
        assert_eq!(got.trim(), *expected, "nix-hash of '{rel}'");
        let dumped = Command::new(bin.join("nix-store"))
            .arg("--dump")
            .arg(&p)
            .output()
            .expect("nix-store --dump");
        let mut ours = Vec::new();
        dump_path(&p, &mut ours).expect("dump");
        assert!(
            dumped.stdout == ours,
            "NAR bytes of '{rel}' differ from nix-store --dump"
        );
    }
}
