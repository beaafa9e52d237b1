//! `lixc instantiate` against CppNix 2.8's `nix-instantiate`: what it prints, and every object it
//! writes into the store (`.drv` files, `toFile` texts, copied and filtered sources), compared by
//! NAR hash with manifests recorded from `nix-instantiate --store DIR` (`tests/golden/`). When
//! `LIXC_NIX_INSTANTIATE` names a `nix-instantiate`, both run on the same input and the two store
//! trees are compared byte for byte. `LIXC_RECORD_GOLDEN=1` (with it) rewrites the manifests.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

const CORPUS: &str = include_str!("instantiate/corpus.nix");

/// A scratch directory with `corpus.nix` and its sources: `src/a.txt` (executable),
/// `src/sub/b.txt`, `src/c.log`.
fn fixture(tag: &str) -> PathBuf {
    let dir = common::source_tree("instantiate", tag);
    std::fs::write(dir.join("corpus.nix"), CORPUS).expect("write");
    dir
}

fn lixc(dir: &Path, args: &[&str]) -> (i32, String, String) {
    lixc_env(dir, args, &[])
}

fn lixc_env(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_lixc"))
        .args(args)
        .envs(env.iter().copied())
        .current_dir(dir)
        .env_remove("NIX_STORE_DIR")
        .env_remove("LIXC_STORE")
        .output()
        .expect("lixc runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `<base name> <sha256 of the NAR, base 32>` for every object in the store under `root`, sorted
/// (CppNix's `.links` directory and our temporaries left out).
fn manifest(root: &Path) -> String {
    let store = root.join("nix/store");
    let mut names: Vec<String> = std::fs::read_dir(&store)
        .expect("store dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with('.'))
        .collect();
    names.sort();
    let mut out = String::new();
    for n in names {
        let (hash, _) = lix_store::nar::nar_hash_path(&store.join(&n)).expect("hash");
        out.push_str(&format!("{n} {}\n", hash.to_base32()));
    }
    out
}

fn golden(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden").join(name)
}

fn reference() -> Option<PathBuf> {
    let r = std::env::var_os("LIXC_NIX_INSTANTIATE").map(PathBuf::from);
    if r.is_none() {
        eprintln!("skipped the live comparison: set LIXC_NIX_INSTANTIATE to a nix-instantiate binary");
    }
    r
}

/// Runs `lixc instantiate` and (when available) `nix-instantiate` on `args` in `dir`; checks
/// stdout and the store against the recorded goldens `<tag>.out` / `<tag>.manifest` and against
/// the live reference.
fn check(dir: &Path, tag: &str, args: &[&str], env: &[(&str, &str)]) {
    let ours = dir.join("store-lixc");
    let ours_s = ours.to_string_lossy().into_owned();
    let mut full = vec!["instantiate", "--store", &ours_s];
    full.extend_from_slice(args);
    let (code, out, err) = lixc_env(dir, &full, env);
    assert_eq!(code, 0, "{err}");
    let ours_manifest = manifest(&ours);
    let (out_file, manifest_file) = (golden(&format!("{tag}.out")), golden(&format!("{tag}.manifest")));
    if let Some(nix) = reference() {
        let theirs = dir.join("store-nix");
        let o = Command::new(&nix)
            .arg("--store")
            .arg(&theirs)
            .args(args)
            .current_dir(dir)
            .env_remove("NIX_STORE_DIR")
            .output()
            .expect("nix-instantiate runs");
        assert!(o.status.success(), "nix-instantiate failed: {}", String::from_utf8_lossy(&o.stderr));
        let their_out = String::from_utf8_lossy(&o.stdout).into_owned();
        let their_manifest = manifest(&theirs);
        if std::env::var_os("LIXC_RECORD_GOLDEN").is_some() {
            std::fs::write(&out_file, &their_out).expect("record");
            std::fs::write(&manifest_file, &their_manifest).expect("record");
        }
        assert_eq!(out, their_out, "stdout differs from nix-instantiate");
        assert_eq!(ours_manifest, their_manifest, "store contents differ from nix-instantiate's");
        // The database agrees with CppNix's: references and content addresses of every path
        // (for the small corpus; one `nix-store` call per path).
        let nix_store = nix.with_file_name("nix-store");
        if ours_manifest.lines().count() < 50 && nix_store.exists() {
            for line in ours_manifest.lines() {
                let name = line.split(' ').next().unwrap_or_default();
                let p = format!("/nix/store/{name}");
                let q = Command::new(&nix_store).arg("--store").arg(&theirs).args(["-q", "--references", &p]).output().expect("nix-store");
                let mut theirs_refs: Vec<String> = String::from_utf8_lossy(&q.stdout).lines().map(String::from).collect();
                theirs_refs.sort();
                let (code, info, err) = lixc(dir, &["store", "--store", &ours_s, "path-info", "--json", &p]);
                assert_eq!(code, 0, "{err}");
                let info: serde_json::Value = serde_json::from_str(&info).expect("json");
                let ours_refs: Vec<String> = info[0]["references"].as_array().expect("refs").iter().map(|r| r.as_str().unwrap_or_default().to_string()).collect();
                assert_eq!(ours_refs, theirs_refs, "references of {p}");
            }
        }
        // Byte for byte, not only by hash: every file of every object.
        for line in ours_manifest.lines() {
            let name = line.split(' ').next().unwrap_or_default();
            let (a, b) = (ours.join("nix/store").join(name), theirs.join("nix/store").join(name));
            if a.is_file() {
                assert_eq!(std::fs::read(&a).expect("read"), std::fs::read(&b).expect("read"), "{name}");
            }
        }
    }
    let recorded_out = std::fs::read_to_string(&out_file).expect("recorded stdout");
    let recorded_manifest = std::fs::read_to_string(&manifest_file).expect("recorded manifest");
    assert_eq!(out, recorded_out);
    assert_eq!(ours_manifest, recorded_manifest);
    // What was written is registered and intact.
    let (code, out, err) = lixc(dir, &["store", "--store", &ours_s, "verify"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.ends_with(" damaged\n") && out.contains(", 0 damaged"), "{out}");
}

#[test]
fn corpus_matches_nix_instantiate() {
    let dir = fixture("corpus");
    check(&dir, "instantiate-corpus", &["corpus.nix"], &[]);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn corpus_under_gc_stress() {
    let dir = fixture("stress");
    let store = dir.join("store").to_string_lossy().into_owned();
    let out = Command::new(env!("CARGO_BIN_EXE_lixc"))
        .args(["instantiate", "--store", &store, "corpus.nix"])
        .current_dir(&dir)
        .env_remove("NIX_STORE_DIR")
        .env("LIXC_GC_STRESS", "1")
        .output()
        .expect("lixc runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let recorded = std::fs::read_to_string(golden("instantiate-corpus.out")).expect("recorded");
    assert_eq!(String::from_utf8_lossy(&out.stdout), recorded);
    assert_eq!(manifest(&dir.join("store")), std::fs::read_to_string(golden("instantiate-corpus.manifest")).expect("recorded"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn attribute_selection_and_arguments() {
    let dir = fixture("attrs");
    let store = dir.join("store").to_string_lossy().into_owned();
    let (code, out, err) = lixc(&dir, &["instantiate", "--store", &store, "corpus.nix", "-A", "multiDev", "-A", "a"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out,
        "/nix/store/v27a425rg4n7prwzpyyw0y1fw2ssc46f-multi.drv!dev\n/nix/store/h0qb3wmwhkx4nsnnlp5janwnw1bz9ng8-a.drv\n"
    );
    let (code, out, err) = lixc(
        &dir,
        &[
            "instantiate",
            "--store",
            &store,
            "-E",
            "{ n, s }: derivation { name = s; builder = \"/bin/sh\"; system = \"x\"; inherit n; }",
            "--arg",
            "n",
            "1 + 2",
            "--argstr",
            "s",
            "hi",
        ],
    );
    assert_eq!(code, 0, "{err}");
    // nix-instantiate --arg n '1 + 2' --argstr s hi -E '…'
    assert_eq!(out, "/nix/store/yswwafasm8zgh89g45w63b6988np9jpb-hi.drv\n");
    let (code, _, err) = lixc(&dir, &["instantiate", "--store", &store, "-E", "1"]);
    assert_eq!(code, 1);
    assert!(err.contains("does not evaluate to a derivation"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn eval_writes_nothing() {
    let dir = fixture("eval");
    let store = dir.join("store");
    let out = Command::new(env!("CARGO_BIN_EXE_lixc"))
        .args(["eval", "-A", "a.drvPath", "corpus.nix"])
        .current_dir(&dir)
        .env("LIXC_STORE", &store)
        .env("HOME", &dir)
        .env_remove("XDG_DATA_HOME")
        .output()
        .expect("lixc runs");
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout), "\"/nix/store/h0qb3wmwhkx4nsnnlp5janwnw1bz9ng8-a.drv\"\n");
    assert!(!store.exists() && !dir.join(".local").exists(), "lixc eval created a store");
    let _ = std::fs::remove_dir_all(&dir);
}

/// `../shared/bench/derivations.nix`: 1001 `.drv` files, byte-identical with CppNix's, and the
/// top one is the `.exp` drvPath.
#[test]
fn bench_derivations_match_nix_instantiate() {
    let bench = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/bench/derivations.nix");
    if !bench.exists() {
        eprintln!("skipped: {} is missing", bench.display());
        return;
    }
    let dir = fixture("bench");
    // The file evaluates to a string (the top drvPath); forcing it writes every derivation.
    let expr = format!("builtins.seq (import {}) {{ }}", bench.display());
    // With fsync: the run is one batch (a `syncfs` and a transaction per 512 paths).
    check(&dir, "instantiate-bench", &["-E", &expr], &[]);
    let exp = std::fs::read_to_string(bench.with_extension("exp")).expect("exp");
    let top = exp.trim().trim_matches('"').trim_start_matches("/nix/store/");
    assert!(dir.join("store-lixc/nix/store").join(top).is_file(), "{top} was not written");
    let _ = std::fs::remove_dir_all(&dir);
}

/// The logical store directory enters every hash and decides where objects go under the root;
/// a root keeps the store directory it was made with.
#[test]
fn store_dir_is_settable() {
    let dir = fixture("storedir");
    let store = dir.join("store").to_string_lossy().into_owned();
    let expr = r#"derivation { name = "x"; builder = "/bin/sh"; system = "s"; }"#;
    let (code, out, err) = lixc(&dir, &["instantiate", "--store", &store, "--store-dir", "/foo/store", "-E", expr]);
    assert_eq!(code, 0, "{err}");
    // NIX_STORE_DIR=/foo/store nix-instantiate -E '…'
    assert_eq!(out, "/foo/store/hcvr87byfa0z6pig9r077vns4zn137ac-x.drv\n");
    assert!(dir.join("store/foo/store/hcvr87byfa0z6pig9r077vns4zn137ac-x.drv").is_file());
    let (code, _, err) = lixc(&dir, &["instantiate", "--store", &store, "-E", expr]);
    assert_eq!(code, 2);
    assert!(err.contains("holds paths for the store directory '/foo/store', not '/nix/store'"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// `lixc instantiate` killed after its batch's paths are renamed into place but before they
/// are registered: `lixc store verify` finds nothing damaged (the `.drv` files are only
/// unregistered), and a rerun registers everything and prints the same as an uninterrupted run.
#[test]
fn instantiate_killed_before_registering_its_batch() {
    let dir = fixture("batchcrash");
    let store = dir.join("store").to_string_lossy().into_owned();
    let args = ["instantiate", "--store", store.as_str(), "corpus.nix"];
    let (code, _, _) = lixc_env(&dir, &args, &[("LIXC_STORE_CRASH_AT", "batch-registering")]);
    assert_ne!(code, 0, "the run should have aborted");
    let verify = ["store", "--store", store.as_str(), "verify", "--json"];
    let (code, out, err) = lixc(&dir, &verify);
    assert_eq!(code, 0, "{out}{err}");
    let report: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(report["checked"], 0, "{out}");
    let leftovers = report["unregistered"].as_array().expect("list").len();
    assert!(leftovers > 0, "{out}");
    let (code, rerun, err) = lixc(&dir, &args);
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = lixc(&dir, &verify);
    assert_eq!(code, 0, "{out}{err}");
    let report: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(report["checked"], leftovers, "{out}");
    assert_eq!(report["damaged"].as_array().map(Vec::len), Some(0), "{out}");
    assert_eq!(report["unregistered"].as_array().map(Vec::len), Some(0), "{out}");
    let fresh = dir.join("fresh").to_string_lossy().into_owned();
    let (code, expected, err) = lixc(&dir, &["instantiate", "--store", fresh.as_str(), "corpus.nix"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(rerun, expected);
    let _ = std::fs::remove_dir_all(&dir);
}
