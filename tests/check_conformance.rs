//! `lixc check` over CppNix's language suite: every file that is not a parse-fail test is
//! checked without a crash, with the number of diagnostics per code snapshotted; and the safe
//! fixes never change a value: the suite's directory is copied twice, one copy fixed with
//! `lixc check --fix`, and every `eval-okay` test is evaluated in both copies with `lixc eval`,
//! with identical output required.
//!
//! The suite is found at `$LIXC_CONFORMANCE_DIR` or `../shared/conformance`; without it the
//! tests pass vacuously, except under `CI=true`, where it is required.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn suite() -> Option<PathBuf> {
    let dir = match std::env::var_os("LIXC_CONFORMANCE_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/conformance"),
    };
    if dir.is_dir() {
        return Some(dir);
    }
    assert!(std::env::var("CI").as_deref() != Ok("true"), "conformance suite not found; required under CI=true");
    None
}

fn nix_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let mut entries: Vec<PathBuf> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() && !path.is_symlink() {
            nix_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "nix") {
            out.push(path);
        }
    }
}

fn lixc(cwd: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lixc"))
        .args(args)
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .output()
        .expect("lixc runs")
}

#[test]
fn conformance_files_are_checked_without_a_crash() {
    let Some(suite) = suite() else { return };
    let mut files = Vec::new();
    nix_files(&suite, &mut files);
    let files: Vec<PathBuf> = files
        .into_iter()
        .filter(|f| !f.file_name().is_some_and(|n| n.to_string_lossy().starts_with("parse-fail")))
        .collect();
    assert!(files.len() > 300, "found only {} files", files.len());
    let mut args = vec!["check", "--format", "json", "--edition", "2024"];
    let names: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
    args.extend(names.iter().map(String::as_str));
    let out = lixc(&suite, &args);
    let code = out.status.code();
    assert!(matches!(code, Some(0 | 1)), "lixc check failed: {code:?}\n{}", String::from_utf8_lossy(&out.stderr));
    let value: serde_json::Value = serde_json::from_slice(&out.stdout).expect("valid JSON");
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for d in value.as_array().expect("an array") {
        *counts.entry(d["code"].as_str().unwrap_or("?").to_string()).or_default() += 1;
    }
    let text: String = counts.iter().map(|(code, n)| format!("{code}: {n}\n")).collect();
    insta::assert_snapshot!(format!("files: {}\n{text}", files.len()));
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("readable").filter_map(Result::ok) {
        let (src, dst) = (entry.path(), to.join(entry.file_name()));
        if src.is_symlink() {
            if let Ok(target) = std::fs::read_link(&src) {
                let _ = std::os::unix::fs::symlink(target, &dst);
            }
        } else if src.is_dir() {
            copy_dir(&src, &dst);
        } else {
            std::fs::copy(&src, &dst).expect("copy");
        }
    }
}

#[test]
fn safe_fixes_never_change_a_value() {
    let Some(suite) = suite() else { return };
    let lang = suite.join("nix/lang");
    if !lang.is_dir() {
        return;
    }
    let base = std::env::temp_dir().join(format!("lixc-fix-values-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&base);
    let (plain, fixed) = (base.join("p"), base.join("f"));
    copy_dir(&lang, &plain.join("lang"));
    copy_dir(&lang, &fixed.join("lang"));
    let out = lixc(&fixed, &["check", "--fix", "--edition", "2024", "--format", "json", "lang"]);
    assert!(matches!(out.status.code(), Some(0 | 1)), "{}", String::from_utf8_lossy(&out.stderr));
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();

    let mut tests: Vec<String> = std::fs::read_dir(&lang)
        .expect("readable")
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("eval-okay-") && n.ends_with(".nix"))
        .filter(|n| !lang.join(n.replace(".nix", ".flags")).exists())
        .collect();
    tests.sort();
    let (mut changed, mut compared) = (0, 0);
    let mut differences = Vec::new();
    for test in &tests {
        let before = std::fs::read(plain.join("lang").join(test)).expect("readable");
        let after = std::fs::read(fixed.join("lang").join(test)).expect("readable");
        let file = format!("lang/{test}");
        let run = |root: &Path| {
            let out = lixc(root, &["eval", "--strict", &file]);
            let text = format!("{:?}\n{}", out.status.code(), String::from_utf8_lossy(&out.stdout));
            text.replace(&root.display().to_string(), "$ROOT")
        };
        let (a, b) = (run(&plain), run(&fixed));
        compared += 1;
        if before != after {
            changed += 1;
        }
        if a != b {
            differences.push(format!("{test}:\n--- original\n{a}\n--- fixed\n{b}\n--- fixed text\n{}", String::from_utf8_lossy(&after)));
        }
    }
    let _ = std::fs::remove_dir_all(&base);
    assert!(differences.is_empty(), "fixes changed values:\n{}", differences.join("\n"));
    assert!(compared > 100, "compared only {compared} tests");
    assert!(changed > 10, "the fixer changed only {changed} eval-okay files; {stderr}");
}
