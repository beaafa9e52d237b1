//! The printer against the reference: every `parse-okay-*.nix` of the shared conformance suite,
//! lowered and printed, must equal its `.exp` (the reference's `nix-instantiate --parse`), with
//! the suite's directory shown as `/pwd`. Known failures are listed, with a reason, in
//! `print-expected-failures.txt`; a listed test that passes fails this test, so the list only
//! shrinks.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use lix_editions::Edition;
use lix_hir::{lower, print_nix, LowerConfig};

fn shared() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).canonicalize().expect("the crate directory exists");
    manifest.join("../../shared").canonicalize().expect("../shared lies beside the workspace")
}

#[test]
fn parse_okay_prints_as_the_reference() {
    let lang = shared().join("conformance/nix/lang");
    let parent = lang.parent().expect("lang has a parent").to_string_lossy().into_owned();
    let expected_failures: BTreeMap<String, String> =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/print-expected-failures.txt"))
            .unwrap_or_default()
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
            .map(|l| {
                let (name, reason) = l.split_once(' ').unwrap_or((l, ""));
                (name.to_string(), reason.trim().to_string())
            })
            .collect();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&lang)
        .expect("the conformance suite is there")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            let name = p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            name.starts_with("parse-okay-") && name.ends_with(".nix")
        })
        .collect();
    files.sort();
    let (mut passed, mut failed) = (0, 0);
    let mut problems = Vec::new();
    for file in &files {
        let name = file.file_stem().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let bytes = std::fs::read(file).expect("readable");
        let text = lix_syntax::source::decode(&bytes).expect("decodable").into_owned();
        let expected = std::fs::read_to_string(file.with_extension("exp")).expect("an .exp beside each test");
        let parse = lix_syntax::parse(&text);
        let config = LowerConfig {
            edition: Edition::E2024,
            base_dir: lang.to_string_lossy().into_owned(),
            home: Some("/home/user".to_string()),
        };
        let lowered = lower(&parse.root(), &config);
        let printed = print_nix(&lowered.body).replace(&parent, "/pwd");
        let ok = printed.trim_end() == expected.trim_end();
        if ok {
            passed += 1;
        } else {
            failed += 1;
        }
        match (ok, expected_failures.contains_key(&name)) {
            (true, true) => problems.push(format!("{name} passes now: remove it from print-expected-failures.txt")),
            (false, false) => problems.push(format!("{name}:\n  expected {}\n  printed  {}", expected.trim_end(), printed)),
            _ => {}
        }
    }
    eprintln!("parse-okay print: {passed} passed, {failed} failed");
    assert!(files.len() >= 13, "found only {} parse-okay tests", files.len());
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
