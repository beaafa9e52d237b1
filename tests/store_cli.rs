//! `lixc store`: adding paths (paths as `nix-store --add` / `--add-fixed` compute them), path
//! info, NAR dumps, bad NARs and store path strings rejected without writing anything, and
//! `verify` finding damage.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

fn fixture(tag: &str) -> PathBuf {
    common::source_tree("store-cli", tag)
}

/// `lixc store --store <dir>/store ARGS` with `stdin`: exit code, stdout bytes, stderr.
fn store(dir: &Path, args: &[&str], stdin: &[u8]) -> (i32, Vec<u8>, String) {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_lixc"))
        .arg("store")
        .arg("--store")
        .arg(dir.join("store"))
        .args(args)
        .current_dir(dir)
        .env_remove("NIX_STORE_DIR")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("lixc runs");
    if let Some(mut i) = child.stdin.take() {
        let _ = i.write_all(stdin);
    }
    let out = child.wait_with_output().expect("lixc runs");
    (out.status.code().unwrap_or(-1), out.stdout, String::from_utf8_lossy(&out.stderr).into_owned())
}

fn ok(dir: &Path, args: &[&str]) -> String {
    let (code, out, err) = store(dir, args, b"");
    assert_eq!(code, 0, "{args:?}: {err}");
    String::from_utf8(out).expect("utf-8")
}

#[test]
fn add_info_dump_and_cat() {
    let dir = fixture("add");
    // nix-store --add src; nix-store --add-fixed sha256 src/a.txt
    assert_eq!(ok(&dir, &["add", "src"]), "/nix/store/ij6a7vzc3ylwkckampxbv3qrmk6m827g-src\n");
    assert_eq!(ok(&dir, &["add", "--flat", "src/a.txt"]), "/nix/store/fdwm55r4skpypx1gwzb7x69ckav1rv09-a.txt\n");
    let src = "/nix/store/ij6a7vzc3ylwkckampxbv3qrmk6m827g-src";
    // Paths inside a store object name the object.
    assert_eq!(ok(&dir, &["path-info", &format!("{src}/sub/b.txt")]), format!("{src}\n"));
    // As `nix path-info --json` prints it (CppNix 2.8), but for the time.
    let json = ok(&dir, &["path-info", "--json", src]);
    let time = json.split("\"registrationTime\":").nth(1).and_then(|t| t.split('}').next()).expect("time");
    assert_eq!(
        json.replace(&format!(":{time}}}"), ":0}"),
        format!("[{{\"path\":\"{src}\",\"narHash\":\"sha256-4m0Um5Jkmh4Y1/S9xw/KlOtF7EGzI4H3MQF6gu05nRA=\",\"narSize\":872,\
         \"references\":[],\"ca\":\"fixed:r:sha256:044x77nq4yh167vq28xk87n4bswlr87wggglswc1x6k4jadi8vg2\",\"registrationTime\":0}}]\n")
    );
    // The NAR dump hashes to the recorded NAR hash, and its files can be read back.
    let nar = {
        let (code, out, err) = store(&dir, &["dump-nar", src], b"");
        assert_eq!(code, 0, "{err}");
        out
    };
    // Live: CppNix archives the source directory to the same bytes and adds it to the same paths.
    if let Some(nix) = std::env::var_os("LIXC_NIX_INSTANTIATE") {
        let nix_store = PathBuf::from(nix).with_file_name("nix-store");
        let dump = Command::new(&nix_store).arg("--dump").arg(dir.join("src")).output().expect("nix-store");
        assert!(dump.status.success());
        assert_eq!(dump.stdout, nar, "nix-store --dump differs");
        for args in [&["--add", "src"][..], &["--add-fixed", "sha256", "src/a.txt"][..]] {
            let out = Command::new(&nix_store)
                .arg("--store")
                .arg(dir.join("nix-store"))
                .args(args)
                .current_dir(&dir)
                .env_remove("NIX_STORE_DIR")
                .output()
                .expect("nix-store");
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
            let ours = ok(&dir, &[&["add"][..], if args[0] == "--add" { &["src"][..] } else { &["--flat", "src/a.txt"][..] }].concat());
            assert_eq!(String::from_utf8_lossy(&out.stdout), ours, "nix-store {args:?}");
        }
    }
    let h = lix_store::Hash::digest(lix_store::HashAlgo::Sha256, &nar);
    assert_eq!(h.to_base32(), "044x77nq4yh167vq28xk87n4bswlr87wggglswc1x6k4jadi8vg2");
    let (code, out, err) = store(&dir, &["cat-nar", "-", "/sub/b.txt"], &nar);
    assert_eq!((code, out.as_slice()), (0, &b"keep\n"[..]), "{err}");
    let (code, _, err) = store(&dir, &["cat-nar", "-", "/nope"], &nar);
    assert_eq!(code, 1);
    assert!(err.contains("'/nope' does not exist in the archive"), "{err}");
    // The NAR added back is the same path.
    let (code, out, err) = store(&dir, &["add-nar", "--name", "src", "-"], &nar);
    assert_eq!((code, String::from_utf8_lossy(&out).into_owned()), (0, format!("{src}\n")), "{err}");
    assert!(ok(&dir, &["verify"]).ends_with("checked 2 paths, 0 damaged\n"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn scanned_references() {
    let dir = fixture("refs");
    let src = ok(&dir, &["add", "src"]);
    std::fs::write(dir.join("script"), format!("exec {}/a.txt\n", src.trim())).expect("write");
    let script = ok(&dir, &["add", "--scan-references", "script"]);
    let json: serde_json::Value = serde_json::from_str(&ok(&dir, &["path-info", "--json", script.trim()])).expect("json");
    assert_eq!(json[0]["references"], serde_json::json!([src.trim()]));
    // Without scanning, the same contents are another path with no references.
    let plain = ok(&dir, &["add", "script"]);
    assert_ne!(plain, script);
    let _ = std::fs::remove_dir_all(&dir);
}

fn nar_of(tokens: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::new();
    for t in std::iter::once(&b"nix-archive-1"[..]).chain(tokens.iter().copied()) {
        out.extend_from_slice(&(t.len() as u64).to_le_bytes());
        out.extend_from_slice(t);
        out.resize(out.len().div_ceil(8) * 8, 0);
    }
    out
}

fn dir_with_entries(names: &[&[u8]]) -> Vec<u8> {
    let mut tokens: Vec<&[u8]> = vec![b"(", b"type", b"directory"];
    for n in names {
        tokens.extend_from_slice(&[
            b"entry", b"(", b"name", n, b"node", b"(", b"type", b"regular", b"contents", b"evil", b")", b")",
        ]);
    }
    tokens.push(b")");
    nar_of(&tokens)
}

#[test]
fn bad_input_writes_nothing() {
    let dir = fixture("bad");
    ok(&dir, &["verify"]);
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (dir_with_entries(&[b".."]), "invalid directory entry name '..'"),
        (dir_with_entries(&[b"."]), "invalid directory entry name '.'"),
        (dir_with_entries(&[b"/etc"]), "invalid directory entry name '/etc'"),
        (dir_with_entries(&[b"a/../../x"]), "invalid directory entry name 'a/../../x'"),
        (dir_with_entries(&[b"a", b"a"]), "directory entry 'a' is duplicated or out of order"),
        (dir_with_entries(&[b"b", b"a"]), "directory entry 'a' is duplicated or out of order"),
        (nar_of(&[b"(", b"type", b"regular", b"contents"]), "unexpected end of archive"),
        (b"not a nar".to_vec(), "malformed NAR"),
    ];
    for (nar, message) in cases {
        let (code, _, err) = store(&dir, &["add-nar", "--name", "evil", "-"], &nar);
        assert_eq!(code, 1, "{message}");
        assert!(err.starts_with("error: '-': malformed NAR: ") && err.contains(message), "{message}: {err}");
        let (code, _, err) = store(&dir, &["cat-nar", "-"], &nar);
        assert_eq!(code, 1);
        assert!(err.contains(message), "{err}");
    }
    // Nothing reached the store, nor beside it.
    let entries: Vec<_> = std::fs::read_dir(dir.join("store/nix/store")).expect("store").collect();
    assert!(entries.is_empty(), "{entries:?}");
    assert!(!dir.join("x").exists() && !dir.join("store/x").exists() && !dir.join("store/nix/x").exists());
    let mut listing: Vec<String> = std::fs::read_dir(&dir).expect("dir").map(|e| e.expect("e").file_name().to_string_lossy().into_owned()).collect();
    listing.sort();
    assert_eq!(listing, ["src", "store"]);

    for (path, message) in [
        ("/nix/store/abc", "invalid store path '/nix/store/abc': too short"),
        ("/nix/store/eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee-x", "the hash part is not Nix base 32"),
        ("/tmp/7g5giqf764p3y3zv7a8rqsy9sqqq5kw4-a", "not in the store directory '/nix/store'"),
        ("/nix/store/7g5giqf764p3y3zv7a8rqsy9sqqq5kw4-a b", "invalid store path"),
        ("/nix/store/7g5giqf764p3y3zv7a8rqsy9sqqq5kw4-a", "path '/nix/store/7g5giqf764p3y3zv7a8rqsy9sqqq5kw4-a' is not valid"),
    ] {
        for cmd in ["path-info", "dump-nar"] {
            let (code, out, err) = store(&dir, &[cmd, path], b"");
            assert_eq!((code, out.len()), (1, 0), "{cmd} {path}");
            assert!(err.starts_with("error: ") && err.contains(message), "{cmd} {path}: {err}");
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn verify_reports_damage() {
    let dir = fixture("damage");
    let p = ok(&dir, &["add", "src"]);
    let file = dir.join("store").join(p.trim().trim_start_matches('/')).join("sub/b.txt");
    let sub = file.parent().expect("parent").to_owned();
    std::fs::set_permissions(&sub, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    std::fs::write(&file, "changed\n").expect("write");
    let (code, out, _) = store(&dir, &["verify"], b"");
    let out = String::from_utf8_lossy(&out);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains(&format!("damaged: {}: NAR hash is sha256:", p.trim())), "{out}");
    assert!(out.ends_with("checked 1 paths, 1 damaged\n"), "{out}");
    std::fs::remove_file(&file).expect("rm");
    let (code, out, _) = store(&dir, &["verify", "--json"], b"");
    assert_eq!(code, 1);
    let json: serde_json::Value = serde_json::from_slice(&out).expect("json");
    assert_eq!(json["damaged"][0]["path"], p.trim());
    let _ = std::fs::remove_dir_all(&dir);
}
