//! Runs every `.nix` file of `../shared/conformance` through the parser, the edition check and
//! name resolution (the checks the reference makes while parsing), and compares with what the suite expects of it:
//!
//! - `parse-okay-*` must parse without error, `parse-fail-*` must be rejected;
//! - an `eval-fail-*` test whose expected error is one the reference reports while parsing
//!   (a syntax error, a duplicate attribute, ...) must be rejected;
//! - every other file (eval tests, the files they import) must parse without error;
//! - every file must round-trip: the tree's text is the input.
//!
//! Known failures are listed with a reason in `tests/conformance/parse-expected-failures.txt`.
//! The list is a ratchet: a listed test that passes fails the run, so the list only shrinks.
//! The suite is found at `$LIXC_CONFORMANCE_DIR` or `../shared/conformance`; without it the run
//! is skipped, except under `CI=true`, where it is required.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Messages of errors that the reference reports at parse time.
const PARSE_TIME_ERRORS: &[&str] = &[
    "syntax error",
    "already defined",
    "duplicate formal function argument",
    "dynamic attributes not allowed",
    "undefined variable",
    "invalid integer",
    "path has a trailing slash",
    "experimental Nix feature 'pipe-operators' is disabled",
    "URL literals are disallowed",
];

fn conformance_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("LIXC_CONFORMANCE_DIR") {
        return Some(PathBuf::from(dir));
    }
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/conformance");
    dir.is_dir().then_some(dir)
}

fn nix_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let mut entries: Vec<_> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() && !path.is_symlink() {
            nix_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "nix") {
            out.push(path);
        }
    }
}

/// Whether the file is a test of its own rather than a file that tests import.
fn is_test(path: &Path) -> bool {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
    ["parse-okay-", "parse-fail-", "eval-okay-", "eval-fail-"].iter().any(|p| name.starts_with(p))
}

/// Whether the suite expects the file to be rejected by the parser.
fn expects_rejection(path: &Path) -> bool {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
    if name.starts_with("parse-fail-") {
        return true;
    }
    if !name.starts_with("eval-fail-") {
        return false;
    }
    let expected = std::fs::read_to_string(path.with_extension("err.exp")).unwrap_or_default();
    let first_error = expected.lines().find(|l| l.starts_with("error:")).unwrap_or_default();
    PARSE_TIME_ERRORS.iter().any(|m| first_error.contains(m))
}

fn expected_failures() -> BTreeMap<String, String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conformance/parse-expected-failures.txt");
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| match l.split_once(char::is_whitespace) {
            Some((name, reason)) => (name.to_string(), reason.trim().to_string()),
            None => (l.to_string(), String::new()),
        })
        .collect()
}

fn main() -> ExitCode {
    let Some(dir) = conformance_dir() else {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            eprintln!("conformance suite not found (set LIXC_CONFORMANCE_DIR); it is required under CI=true");
            return ExitCode::FAILURE;
        }
        println!("conformance suite not found; skipping (set LIXC_CONFORMANCE_DIR)");
        return ExitCode::SUCCESS;
    };
    let mut files = Vec::new();
    nix_files(&dir, &mut files);
    if files.is_empty() {
        eprintln!("no .nix files under {}", dir.display());
        return ExitCode::FAILURE;
    }
    let expected = expected_failures();
    let (mut passed, mut failed) = (0, 0);
    let mut problems = Vec::new();
    for path in &files {
        let name = path.strip_prefix(&dir).unwrap_or(path).display().to_string();
        let bytes = match std::fs::read(path) {
            Ok(b) => b,
            Err(e) => {
                problems.push(format!("{name}: cannot read: {e}"));
                failed += 1;
                continue;
            }
        };
        let rejecting = expects_rejection(path);
        let outcome = match lix_syntax::source::decode(&bytes) {
            Err(e) => (!rejecting).then(|| e.to_string()),
            Ok(text) => {
                let text: &str = &text;
                let parse = lix_syntax::parse(text);
                let root = parse.syntax();
                let lossless = *lix_syntax::source::encode(&root.to_string()) == *bytes;
                let edition = lix_editions::detect(Some(path), text, None).map_or(lix_editions::Edition::DEFAULT, |e| e.0);
                let mut errors: Vec<String> = parse.errors().iter().map(|e| e.message.clone()).collect();
                errors.extend(lix_editions::check(&root, edition).into_iter().map(|v| v.message));
                // Files that tests only import may rely on the importer's scope (`scopedImport`).
                if parse.is_ok() && is_test(path) {
                    errors.extend(lix_hir::undefined_variables(&root, edition).iter().map(|u| u.message()));
                }
                if !lossless {
                    Some("the tree's text differs from the input".to_string())
                } else if rejecting && errors.is_empty() {
                    Some("accepted, but the suite expects a parse-time error".to_string())
                } else if !rejecting && !errors.is_empty() {
                    Some(format!("rejected: {}", errors.join("; ")))
                } else {
                    None
                }
            }
        };
        let listed = expected.get(&name);
        match (outcome, listed) {
            (None, None) => passed += 1,
            (None, Some(_)) => {
                passed += 1;
                problems.push(format!("{name}: passes now; remove it from parse-expected-failures.txt"));
            }
            (Some(why), Some(_)) => {
                failed += 1;
                println!("expected failure {name}: {why}");
            }
            (Some(why), None) => {
                failed += 1;
                problems.push(format!("{name}: {why}"));
            }
        }
    }
    for name in expected.keys() {
        if !files.iter().any(|p| p.strip_prefix(&dir).unwrap_or(p).display().to_string() == *name) {
            problems.push(format!("{name}: listed in parse-expected-failures.txt but not in the suite"));
        }
    }
    for problem in &problems {
        println!("FAIL {problem}");
    }
    println!("{} files, {} expected failures listed", files.len(), expected.len());
    println!("parse: {passed} passed, {failed} failed");
    if problems.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
