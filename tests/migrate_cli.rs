//! End-to-end tests of `lixc migrate`: the summary, `--check`, `--diff`, `--write` (the files
//! written, unmigratable ones untouched) and `--modernize`, snapshotted with their exit codes.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Exit code, stdout and stderr of `lixc ARGS` in `dir`, as one text.
fn lixc(dir: &Path, args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_lixc")).args(args).current_dir(dir).output().expect("lixc runs");
    let code = out.status.code().unwrap_or(-1);
    let text = format!(
        "exit: {code}\n--- stdout\n{}--- stderr\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (code, text.replace(&dir.display().to_string(), "$DIR"))
}

/// A fresh directory holding a small project of 2024 files.
fn project(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("lixc-migrate-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("sub")).expect("mkdir");
    let files: &[(&str, &str)] = &[
        ("default.nix", "# the entry point\nlet {\n  src = http://example.org/src.tar.gz; # kept comment\n  body = rec { inherit src; parts = [ lib.a lib.b ]; lib = import ./sub/lib.nix; };\n}\n"),
        ("sub/lib.nix", "let or = x: x; in { a = map or [ 1 ]; b = builtins.length (builtins.filter (x: x > 1) (map (x: x + 1) [ 1 2 ])); }\n"),
        ("sub/clean.nix", "# edition = \"2026\"\n{ a = 1; }\n"),
        ("sub/positions.nix", "let s = { a = 1; }; in builtins.unsafeGetAttrPos \"a\" s\n"),
        ("sub/broken.nix", "{ a = ; }\n"),
    ];
    for (path, text) in files {
        std::fs::write(dir.join(path), text).expect("write");
    }
    dir
}

#[test]
fn summary_check_and_diff_change_nothing() {
    let dir = project("summary");
    let before = std::fs::read_to_string(dir.join("default.nix")).expect("read");
    let (code, summary) = lixc(&dir, &["migrate", "--to", "2026", "."]);
    assert_eq!(code, 1, "unmigratable files make the exit status 1");
    insta::assert_snapshot!("migrate_summary", summary);
    let (code, check) = lixc(&dir, &["migrate", "--check", "sub/clean.nix"]);
    assert_eq!(code, 0, "{check}");
    let (code, check) = lixc(&dir, &["migrate", "--check", "default.nix"]);
    assert_eq!(code, 1, "{check}");
    let (_, diff) = lixc(&dir, &["migrate", "--diff", "--modernize=pipes,inherits", "default.nix", "sub/lib.nix"]);
    insta::assert_snapshot!("migrate_diff", diff);
    assert_eq!(std::fs::read_to_string(dir.join("default.nix")).expect("read"), before);
}

#[test]
fn write_migrates_and_evaluates_the_same() {
    let dir = project("write");
    let eval = |dir: &Path| lixc(dir, &["eval", "--strict", "default.nix"]).1;
    let value_before = eval(&dir);
    assert!(value_before.starts_with("exit: 0"), "{value_before}");
    let positions_before = std::fs::read_to_string(dir.join("sub/positions.nix")).expect("read");
    let (code, out) = lixc(&dir, &["migrate", "--write", "--modernize=pipes,inherits", "."]);
    assert_eq!(code, 1, "{out}");
    insta::assert_snapshot!("migrate_write", out);
    insta::assert_snapshot!("migrate_written_default", std::fs::read_to_string(dir.join("default.nix")).expect("read"));
    assert_eq!(eval(&dir), value_before);
    assert_eq!(std::fs::read_to_string(dir.join("sub/positions.nix")).expect("read"), positions_before);
    let leftovers: Vec<_> = std::fs::read_dir(dir.join("sub"))
        .expect("list")
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with(".lixc-migrate"))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
    let (code, again) = lixc(&dir, &["migrate", "--check", "--modernize=pipes,inherits", "default.nix", "sub/lib.nix"]);
    assert_eq!(code, 0, "a second migration changes nothing: {again}");
}

#[test]
fn write_through_a_symbolic_link_replaces_its_target() {
    let dir = project("symlink");
    std::os::unix::fs::symlink("sub/lib.nix", dir.join("link.nix")).expect("symlink");
    let (code, out) = lixc(&dir, &["migrate", "--write", "link.nix"]);
    assert_eq!(code, 0, "{out}");
    assert!(std::fs::symlink_metadata(dir.join("link.nix")).expect("stat").file_type().is_symlink());
    let target = std::fs::read_to_string(dir.join("sub/lib.nix")).expect("read");
    assert!(target.starts_with("# edition = \"2026\"\n"), "{target}");
}

#[test]
fn usage_errors_exit_2() {
    let dir = project("usage");
    let (code, _) = lixc(&dir, &["migrate", "--to", "2030", "."]);
    assert_eq!(code, 2);
    let (code, _) = lixc(&dir, &["migrate", "--write", "--check", "."]);
    assert_eq!(code, 2);
    let (code, _) = lixc(&dir, &["migrate", "--modernize=everything", "."]);
    assert_eq!(code, 2);
    let (code, _) = lixc(&dir, &["migrate", "no/such/dir"]);
    assert_eq!(code, 2);
}

#[test]
fn lib_pipe_calls_become_pipes_with_the_same_value() {
    let dir = std::env::temp_dir().join(format!("lixc-migrate-lib-pipe-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("mkdir");
    // nixpkgs' definition of `pipe`, and calls whose intermediate values are sets, lists and
    // functions.
    let program = "let lib = { pipe = builtins.foldl' (x: f: f x); tail = builtins.tail; };\n\
                   in {\n  a = lib.pipe [ 1 2 3 ] [ lib.tail (map (x: x * 10)) (builtins.foldl' builtins.add 0) ];\n  \
                   b = lib.pipe { x = 1; } [ (s: s // { y = 2; }) builtins.attrNames ];\n  \
                   c = (lib.pipe (a: b: a - b) [ (f: f 10) ]) 3;\n}\n";
    std::fs::write(dir.join("default.nix"), program).expect("write");
    let eval = |dir: &Path| lixc(dir, &["eval", "--strict", "default.nix"]).1;
    let before = eval(&dir);
    assert!(before.contains("a = 50;"), "{before}");
    let (code, out) = lixc(&dir, &["migrate", "--write", "--modernize=lib-pipe", "default.nix"]);
    assert_eq!(code, 0, "{out}");
    let migrated = std::fs::read_to_string(dir.join("default.nix")).expect("read");
    assert!(!migrated.contains("lib.pipe"), "{migrated}");
    assert!(migrated.contains("[ 1 2 3 ] |> lib.tail |> (map (x: x * 10))"), "{migrated}");
    assert_eq!(eval(&dir), before);
}
