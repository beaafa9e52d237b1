//! Tidy checks for the store crate: every Rust file starts with a `//!` line saying what it owns,
//! and no line ends in whitespace.

use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn every_module_documents_itself_and_has_no_trailing_whitespace() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    rust_files(&root.join("src"), &mut files);
    rust_files(&root.join("tests"), &mut files);
    assert!(files.len() >= 8, "found too few sources: {files:?}");
    let mut bad = Vec::new();
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        if !text.trim_start().starts_with("//!") {
            bad.push(format!("{}: no `//!` line at the top", path.display()));
        }
        for (i, line) in text.lines().enumerate() {
            if line.ends_with(' ') || line.ends_with('\t') {
                bad.push(format!("{}:{}: trailing whitespace", path.display(), i + 1));
            }
        }
    }
    assert!(bad.is_empty(), "{bad:#?}");
}
