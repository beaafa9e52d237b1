//! Fetchers through `lixc eval` against values recorded from CppNix 2.8 on the same inputs:
//! `fetchurl` and `fetchTarball` from `file://` URLs, `fetchGit` of a local repository with
//! fixed commit dates, the `builtin:fetchurl` derivations of `<nix/fetchurl.nix>`, and the
//! errors for network URLs and hash mismatches. With `LIXC_NIX_INSTANTIATE` set, each value is
//! also recomputed with `nix-instantiate`.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A scratch directory `/tmp/lixc-fetch-<pid>-<tag>` (absolute paths enter the expressions, not
/// the results) with `data.txt`, `pkg.tar.gz` (holding `pkg-1.0/`) and a git repository `repo`
/// with two commits dated 2020-01-01.
fn fixture(tag: &str) -> Option<PathBuf> {
    let tools = ["git", "tar"].iter().all(|t| Command::new(t).arg("--version").output().is_ok_and(|o| o.status.success()));
    if !tools {
        eprintln!("skipped: the fetcher tests need the git and tar binaries");
        return None;
    }
    let dir = std::env::temp_dir().join(format!("lixc-fetch-{}-{tag}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("pkg-1.0/bin")).expect("mkdir");
    std::fs::write(dir.join("data.txt"), "payload\n").expect("write");
    std::fs::write(dir.join("pkg-1.0/bin/hi"), "#!/bin/sh\necho hi\n").expect("write");
    std::fs::set_permissions(dir.join("pkg-1.0/bin/hi"), std::fs::Permissions::from_mode(0o755)).expect("chmod");
    std::fs::write(dir.join("pkg-1.0/README"), "readme\n").expect("write");
    let status = Command::new("tar").args(["czf", "pkg.tar.gz", "pkg-1.0"]).current_dir(&dir).status().expect("tar");
    assert!(status.success());
    let repo = dir.join("repo");
    std::fs::create_dir_all(repo.join("d")).expect("mkdir");
    std::fs::write(repo.join("a.nix"), "a\n").expect("write");
    std::fs::write(repo.join("d/b"), "b\n").expect("write");
    let git = |args: &[&str]| {
        let out = Command::new("git")
            .args(args)
            .current_dir(&repo)
            .envs([
                ("GIT_AUTHOR_NAME", "t"),
                ("GIT_AUTHOR_EMAIL", "t@e"),
                ("GIT_COMMITTER_NAME", "t"),
                ("GIT_COMMITTER_EMAIL", "t@e"),
                ("GIT_AUTHOR_DATE", "2020-01-01T00:00:00Z"),
                ("GIT_COMMITTER_DATE", "2020-01-01T00:00:00Z"),
                ("GIT_CONFIG_GLOBAL", "/dev/null"),
                ("GIT_CONFIG_NOSYSTEM", "1"),
            ])
            .output()
            .expect("git");
        assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    };
    git(&["init", "-q", "-b", "main"]);
    git(&["add", "-A"]);
    git(&["commit", "-q", "-m", "one"]);
    std::fs::write(repo.join("c"), "c\n").expect("write");
    git(&["add", "c"]);
    git(&["commit", "-q", "-m", "two"]);
    Some(dir)
}

fn lixc_eval(dir: &Path, expr: &str) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_lixc"))
        .args(["eval", "--strict", "--error-format", "nix", "-E", expr])
        .current_dir(dir)
        .env_remove("NIX_STORE_DIR")
        .output()
        .expect("lixc runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).trim_end().to_string(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `nix-instantiate --eval --strict` of `expr` into a scratch store, when configured.
fn reference(dir: &Path, expr: &str) -> Option<String> {
    let nix = std::env::var_os("LIXC_NIX_INSTANTIATE")?;
    let out = Command::new(nix)
        .arg("--store")
        .arg(dir.join("nix-store"))
        .args(["--extra-experimental-features", "flakes", "--eval", "--strict", "-E", expr])
        .current_dir(dir)
        .env_remove("NIX_STORE_DIR")
        .output()
        .expect("nix-instantiate runs");
    assert!(out.status.success(), "nix-instantiate: {}", String::from_utf8_lossy(&out.stderr));
    Some(String::from_utf8_lossy(&out.stdout).trim_end().to_string())
}

fn check(dir: &Path, cases: &[(String, &str)]) {
    for (expr, expected) in cases {
        let (code, out, err) = lixc_eval(dir, expr);
        assert_eq!(code, 0, "{expr}: {err}");
        assert_eq!(out, *expected, "{expr}");
        if let Some(theirs) = reference(dir, expr) {
            assert_eq!(out, theirs, "{expr}: differs from nix-instantiate");
        }
    }
}

#[test]
fn file_urls_match_cppnix() {
    let Some(dir) = fixture("urls") else { return };
    let d = dir.display();
    check(
        &dir,
        &[
            (format!(r#"builtins.fetchurl "file://{d}/data.txt""#), r#""/nix/store/387mbq1b1nywkcvy28f2srknfh2r8i4a-data.txt""#),
            (
                format!(r#"builtins.fetchurl {{ url = "file://{d}/data.txt"; name = "renamed"; sha256 = builtins.hashFile "sha256" {d}/data.txt; }}"#),
                r#""/nix/store/0zbxry04wv0jq8id1r268wf07j1dwdym-renamed""#,
            ),
            (format!(r#"fetchTarball "file://{d}/pkg.tar.gz""#), r#""/nix/store/h0hd8w0c6lpan3fc1fwrvbpl42vmycvb-source""#),
            (
                format!(r#"fetchTarball {{ url = "file://{d}/pkg.tar.gz"; name = "pkg"; }}"#),
                r#""/nix/store/qi48x38likiivyvmd4i64h5lhgvgxj5z-pkg""#,
            ),
            (
                format!(r#"builtins.getContext (builtins.fetchurl "file://{d}/data.txt")"#),
                r#"{ "/nix/store/387mbq1b1nywkcvy28f2srknfh2r8i4a-data.txt" = { path = true; }; }"#,
            ),
        ],
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn fetch_git_matches_cppnix() {
    let Some(dir) = fixture("git") else { return };
    let d = dir.display();
    check(
        &dir,
        &[
            (
                format!("builtins.fetchGit {d}/repo"),
                r#"{ lastModified = 1577836800; lastModifiedDate = "20200101000000"; narHash = "sha256-co4CbXG3TCnJ8TPGvJMbqy+0p7QMdj7R3AQ2kdNtxl0="; outPath = "/nix/store/s52q2ybhasz6kncmvbi975w7axcnnbd2-source"; rev = "f5c39e8166b0395638571c10d8c1270c2cdcf59b"; revCount = 2; shortRev = "f5c39e8"; submodules = false; }"#,
            ),
            (
                format!(r#"builtins.fetchGit {{ url = "file://{d}/repo"; rev = "ec94a8c6882d184ea8a4f7a0b324f9141de76d69"; }}"#),
                r#"{ lastModified = 1577836800; lastModifiedDate = "20200101000000"; narHash = "sha256-I1XWBlzhxkMRip1hpI04/94T9ZhVjOnyr3l+qyglGg0="; outPath = "/nix/store/6zm6m5013fi8nfmaydzycycpavrpang3-source"; rev = "ec94a8c6882d184ea8a4f7a0b324f9141de76d69"; revCount = 1; shortRev = "ec94a8c"; submodules = false; }"#,
            ),
        ],
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn fetch_tree_matches_cppnix() {
    let Some(dir) = fixture("tree") else { return };
    let d = dir.display();
    let tarball = r#"{ narHash = "sha256-9uvntq0HconLLHwfF+lbWpUW5flhFJEpaZjDuJ1Em7A="; outPath = "/nix/store/h0hd8w0c6lpan3fc1fwrvbpl42vmycvb-source"; }"#;
    check(
        &dir,
        &[
            (format!(r#"builtins.fetchTree {{ type = "tarball"; url = "file://{d}/pkg.tar.gz"; }}"#), tarball),
            (format!(r#"builtins.fetchTree "file://{d}/pkg.tar.gz""#), tarball),
            (
                format!(r#"builtins.fetchTree "git+file://{d}/repo""#),
                r#"{ lastModified = 1577836800; lastModifiedDate = "20200101000000"; narHash = "sha256-co4CbXG3TCnJ8TPGvJMbqy+0p7QMdj7R3AQ2kdNtxl0="; outPath = "/nix/store/s52q2ybhasz6kncmvbi975w7axcnnbd2-source"; rev = "f5c39e8166b0395638571c10d8c1270c2cdcf59b"; revCount = 2; shortRev = "f5c39e8"; submodules = false; }"#,
            ),
            // The modification time is the fixture's, so only the rest is recorded.
            (
                format!(r#"let t = builtins.fetchTree {{ type = "path"; path = "{d}/pkg-1.0"; }}; in [ (removeAttrs t [ "lastModified" "lastModifiedDate" ]) (builtins.isInt t.lastModified) ]"#),
                r#"[ { narHash = "sha256-9uvntq0HconLLHwfF+lbWpUW5flhFJEpaZjDuJ1Em7A="; outPath = "/nix/store/h0hd8w0c6lpan3fc1fwrvbpl42vmycvb-source"; } true ]"#,
            ),
        ],
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn fetchurl_nix_derivations_match_cppnix() {
    let Some(dir) = fixture("corepkgs") else { return };
    check(
        &dir,
        &[
            (
                r#"(import <nix/fetchurl.nix> { url = "https://example.com/foo-1.0.tar.gz"; sha256 = "1xmr8jicvzszfzpz46g37mlpvbzjl2wpwvl2b05psipssyp1sm8h"; }).drvPath"#.to_string(),
                r#""/nix/store/qb7r7i7vq1l7kvpgwsip69grs90n6cg1-foo-1.0.tar.gz.drv""#,
            ),
            (
                r#"(import <nix/fetchurl.nix> { url = "https://example.com/foo-1.0.tar.gz"; hash = "sha512-z4PhNX7vuL3xVChQ1m2AB9Yg5AULVxXcg/SpIdNs6c5H0NE8XYXysP+DGNKHfuwvY7kxvUdBeoGlODJ6+SfaPg=="; executable = true; name = "foo"; }).drvPath"#.to_string(),
                r#""/nix/store/bg0l0qb7mycrd4sspn6jyv57591m6akf-foo.drv""#,
            ),
            (
                r#"(import <nix/fetchurl.nix> { url = "https://example.com/foo-1.0.tar.gz"; sha256 = "1xmr8jicvzszfzpz46g37mlpvbzjl2wpwvl2b05psipssyp1sm8h"; unpack = true; system = "x86_64-linux"; }).drvPath"#.to_string(),
                r#""/nix/store/k936ri0dc5warqarxqznz9v9yxlayr4v-foo-1.0.tar.gz.drv""#,
            ),
            (
                "builtins.functionArgs (import <nix/fetchurl.nix>)".to_string(),
                "{ executable = true; hash = true; md5 = true; name = true; outputHash = true; outputHashAlgo = true; sha1 = true; sha256 = true; sha512 = true; system = true; unpack = true; url = false; }",
            ),
        ],
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn errors() {
    let Some(dir) = fixture("errors") else { return };
    let d = dir.display();
    for (expr, message) in [
        (
            r#"builtins.fetchurl "https://example.com/x.tar.gz""#.to_string(),
            "error: cannot fetch 'https://example.com/x.tar.gz': lixc does not download (only file:// URLs and local git repositories can be fetched)",
        ),
        (
            format!(r#"builtins.fetchurl {{ url = "file://{d}/data.txt"; sha256 = "sha256-co4CbXG3TCnJ8TPGvJMbqy+0p7QMdj7R3AQ2kdNtxl0="; }}"#),
            "error: hash mismatch in file downloaded from",
        ),
        (format!(r#"fetchTarball "file://{d}/data.txt""#), "cannot unpack"),
        (format!(r#"builtins.fetchurl "file://{d}/missing""#), "missing"),
        (r#"builtins.fetchGit "https://example.com/repo.git""#.to_string(), "lixc does not download"),
        (format!(r#"builtins.fetchGit {{ url = "{d}/repo"; rev = "0000000000000000000000000000000000000001"; }}"#), "git: "),
        (r#"builtins.fetchurl { url = "file:///x"; hash = "y"; }"#.to_string(), "unsupported argument 'hash' to 'fetchurl'"),
    ] {
        let (code, _, err) = lixc_eval(&dir, &expr);
        assert_eq!(code, 1, "{expr}");
        assert!(err.contains(message), "{expr}: {err}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
