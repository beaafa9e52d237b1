//! End-to-end tests of the `lixc` binary: output (snapshotted) and exit codes.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

struct Run {
    dir: PathBuf,
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    /// Exit code, stdout and stderr as one text for a snapshot.
    /// The test directory's path is shown as `$DIR`.
    fn render(&self) -> String {
        let text = format!("exit: {}\n--- stdout\n{}--- stderr\n{}", self.code, self.stdout, self.stderr);
        text.replace(&self.dir.display().to_string(), "$DIR")
    }
}

fn lixc(dir: &Path, args: &[&str], stdin: Option<&[u8]>) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_lixc"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("lixc runs");
    let mut input = child.stdin.take().expect("stdin");
    input.write_all(stdin.unwrap_or_default()).expect("write stdin");
    drop(input);
    let out = child.wait_with_output().expect("lixc finishes");
    Run {
        dir: dir.to_path_buf(),
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// A fresh directory with the given files.
fn tree(name: &str, files: &[(&str, &[u8])]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("lixc-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    for (path, content) in files {
        let path = dir.join(path);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, content).expect("write");
    }
    dir
}

#[test]
fn parse_prints_the_tree() {
    let dir = tree("parse-ok", &[("a.nix", b"{ a = 1; } # end\n")]);
    insta::assert_snapshot!(lixc(&dir, &["parse", "a.nix"], None).render());
}

#[test]
fn parse_reports_errors_and_exits_1() {
    let dir = tree("parse-err", &[("a.nix", b"let\n  a = 1\n  b = ;\nin a\n")]);
    insta::assert_snapshot!(lixc(&dir, &["parse", "a.nix"], None).render());
}

#[test]
fn parse_json_from_stdin() {
    let run = lixc(Path::new("."), &["parse", "--format", "json", "-"], Some(b"x: x.y or 1"));
    assert_eq!(run.code, 0);
    let value: serde_json::Value = serde_json::from_str(&run.stdout).expect("valid JSON");
    insta::assert_json_snapshot!(value);
}

#[test]
fn parse_missing_file_is_a_usage_error() {
    let run = lixc(Path::new("."), &["parse", "/nonexistent/x.nix"], None);
    assert_eq!(run.code, 2, "{}", run.render());
    assert!(run.stderr.contains("cannot read /nonexistent/x.nix"));
}

#[test]
fn unknown_flag_value_is_a_usage_error() {
    let run = lixc(Path::new("."), &["check", "--edition", "1999", "."], None);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("unknown edition \"1999\""), "{}", run.stderr);
}

#[test]
fn check_walks_directories_and_honours_gitignore() {
    let dir = tree("check-walk", &[
        (".gitignore", b"ignored/\n"),
        ("ok.nix", b"{ a = 1; }\n"),
        ("sub/bad.nix", b"{ a = 1; a = 2; b = [ 1 2; c = x: y; }\n"),
        ("sub/not-nix.txt", b"{{{{"),
        ("ignored/bad.nix", b"((("),
    ]);
    let run = lixc(&dir, &["check"], None);
    insta::assert_snapshot!(run.render());
    let run = lixc(&dir, &["check", "--format", "json", "ok.nix", "sub"], None);
    assert_eq!(run.code, 1);
    let value: serde_json::Value = serde_json::from_str(&run.stdout).expect("valid JSON");
    insta::assert_json_snapshot!(value);
}

#[test]
fn check_clean_tree_exits_0() {
    let dir = tree("check-clean", &[("a.nix", b"{ x, ... }: x\n"), ("b/c.nix", b"[ 1 2 3 ]\n")]);
    let run = lixc(&dir, &["check"], None);
    assert_eq!(run.code, 0, "{}", run.render());
    assert_eq!(run.stdout, "");
    assert_eq!(run.stderr, "checked 2 files: 0 errors\n");
}

#[test]
fn check_editions() {
    let dir = tree("check-editions", &[
        ("old.nix", b"x: x |> builtins.toString\n"),
        ("new.nix", b"# edition = \"2026\"\n[ http://example.org (f: let { body = f; }) ]\n"),
        ("unknown.nix", b"# edition = \"2030\"\n1\n"),
        ("proj/lix.toml", b"edition = \"2026\"\n"),
        ("proj/pipes.nix", b"x: x |> builtins.toString |> dbg\n"),
    ]);
    insta::assert_snapshot!(lixc(&dir, &["check", "--verbose"], None).render());
    // The flag applies only to files that name no edition themselves.
    let run = lixc(&dir, &["check", "--edition", "2026", "old.nix"], None);
    assert_eq!(run.code, 0, "{}", run.render());
}

#[test]
fn check_missing_path_exits_2() {
    let dir = tree("check-missing", &[("a.nix", b"1\n")]);
    let run = lixc(&dir, &["check", "a.nix", "nope"], None);
    assert_eq!(run.code, 2, "{}", run.render());
}

#[test]
fn bad_input_never_crashes() {
    let dir = tree("check-bad", &[
        ("binary.nix", &[0u8, 159, 146, 150, 0xff, 0, 1, 2, 3]),
        ("bytes-in-string.nix", b"\"caf\xe9\"\n"),
        ("overflow.nix", b"9223372036854775808\n"),
    ]);
    let run = lixc(&dir, &["check"], None);
    insta::assert_snapshot!(run.render());
}

#[test]
fn deep_nesting_is_a_located_error() {
    let deep = format!("{}1{}", "(".repeat(120_000), ")".repeat(120_000));
    let dir = tree("check-deep", &[("deep.nix", deep.as_bytes())]);
    let run = lixc(&dir, &["check", "--format", "json"], None);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let value: serde_json::Value = serde_json::from_str(&run.stdout).expect("valid JSON");
    assert_eq!(value[0]["code"], "E011");
    assert_eq!(value[0]["range"]["start"], lix_syntax::MAX_DEPTH - 1);
    // Nesting under the bound is parsed, not refused.
    let ok = format!("{}1{}", "(".repeat(50_000), ")".repeat(50_000));
    let run = lixc(&dir, &["parse", "--format", "json", "-"], Some(ok.as_bytes()));
    assert_eq!(run.code, 0, "{}", run.stderr);
}
