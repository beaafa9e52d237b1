//! The lints, driven by data: each `test_data/lint/<CODE>/*.nix` is checked (edition from its
//! pragma, else 2024) and its findings, their fixes and the text after `--fix` (safe fixes,
//! applied until stable) are snapshotted beside it. Every lint has a directory with positive
//! (`yes*.nix`), negative (`no*.nix`) and fixed cases; the fixed text must parse and must no
//! longer have the findings that were fixed. Where unsafe fixes (`--fix-unsafe`) change more,
//! that text is snapshotted too.

use std::path::Path;

use lix_editions::Edition;
use lix_hir::lint::{self, Lint, LintOptions, Safety};
use lix_hir::{lower, LowerConfig};

fn edition_of(text: &str) -> Edition {
    match lix_editions::pragma(text) {
        Some((Ok(edition), _)) => edition,
        _ => Edition::E2024,
    }
}

fn report(text: &str, edition: Edition) -> lint::LintReport {
    let parse = lix_syntax::parse(text);
    assert!(parse.is_ok(), "test input must parse: {:?}", parse.errors());
    let root = parse.root();
    let config = LowerConfig { edition, base_dir: "/base".into(), home: None };
    let lowered = lower(&root, &config);
    lint::check(&parse.syntax(), &lowered, edition, LintOptions::default())
}

fn render(text: &str, report: &lint::LintReport) -> String {
    let mut out = String::new();
    let snippet = |r: lix_syntax::TextRange| text[usize::from(r.start())..usize::from(r.end())].replace('\n', "⏎");
    for d in &report.lints {
        out.push_str(&format!(
            "{} {} {:?} `{}`: {}\n",
            d.lint.code(),
            d.lint.default_severity().name(),
            d.range,
            snippet(d.range),
            d.message
        ));
        for (r, note) in &d.notes {
            out.push_str(&format!("    note {:?} `{}`: {note}\n", r, snippet(*r)));
        }
        if let Some(fix) = &d.fix {
            let safety = match fix.safety {
                Safety::Safe => "safe",
                Safety::Unsafe => "unsafe",
            };
            out.push_str(&format!("    fix ({safety}): {}\n", fix.message));
        }
    }
    for (r, s) in &report.suggestions {
        out.push_str(&format!("suggestion {:?} `{}`: did you mean '{s}'?\n", r, snippet(*r)));
    }
    out
}

#[test]
fn lint_snapshots() {
    insta::glob!("../test_data/lint", "*/*.nix", |path| {
        let text = std::fs::read_to_string(path).expect("readable");
        let edition = edition_of(&text);
        let before = report(&text, edition);
        let mut out = render(&text, &before);
        let fixed = lint::fix_text(&text, edition, LintOptions::default(), &|d| d.fix.as_ref().is_some_and(|f| f.safety == Safety::Safe));
        assert!(!fixed.unfinished, "{}: fixing did not reach a fixed point", path.display());
        if fixed.text != text {
            assert!(lix_syntax::parse(&fixed.text).is_ok(), "{}: fixed text does not parse", path.display());
            let after = report(&fixed.text, edition);
            let safe_left = after.lints.iter().filter(|d| d.fix.as_ref().is_some_and(|f| f.safety == Safety::Safe)).count();
            assert_eq!(safe_left, 0, "{}: safe fixes left after fixing:\n{}", path.display(), render(&fixed.text, &after));
            out.push_str(&format!("--- fixed ({} applied) ---\n{}", fixed.applied, fixed.text));
        } else {
            out.push_str("--- no fix applies ---\n");
        }
        let unsafe_fixed = lint::fix_text(&text, edition, LintOptions::default(), &|d| d.fix.is_some());
        if unsafe_fixed.text != fixed.text {
            assert!(lix_syntax::parse(&unsafe_fixed.text).is_ok(), "{}: unsafely fixed text does not parse", path.display());
            out.push_str(&format!("--- fixed with unsafe fixes ({} applied) ---\n{}", unsafe_fixed.applied, unsafe_fixed.text));
        }
        insta::assert_snapshot!(out);
    });
}

#[test]
fn every_lint_has_positive_and_negative_cases() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("test_data/lint");
    for lint in Lint::ALL {
        let sub = dir.join(lint.code());
        let names: Vec<String> = std::fs::read_dir(&sub)
            .unwrap_or_else(|_| panic!("no test directory for {}", lint.code()))
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        assert!(names.iter().any(|n| n.starts_with("yes")), "{}: no positive case", lint.code());
        assert!(names.iter().any(|n| n.starts_with("no")), "{}: no negative case", lint.code());
        // The positive cases really find the lint, and the negative ones do not.
        for name in names {
            let text = std::fs::read_to_string(sub.join(&name)).expect("readable");
            let found = report(&text, edition_of(&text)).lints.iter().any(|d| d.lint == *lint);
            assert_eq!(found, name.starts_with("yes"), "{}/{name}", lint.code());
        }
    }
}

fn nix_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            nix_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "nix") {
            out.push(path);
        }
    }
}

/// On every known file that parses, all fixes (unsafe ones too) reach a fixed point, the result
/// parses, and linting never panics, in both editions.
#[test]
fn fixing_known_files_terminates_and_parses() {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).canonicalize().expect("the crate directory exists");
    let mut files = Vec::new();
    for dir in ["../../shared/conformance", "../../shared/bench", "../syntax/test_data", "test_data"] {
        nix_files(&manifest.join(dir), &mut files);
    }
    let mut fixed = 0;
    for file in &files {
        let Ok(text) = std::fs::read_to_string(file) else { continue };
        if !lix_syntax::parse(&text).is_ok() {
            continue;
        }
        for edition in [Edition::E2024, Edition::E2026] {
            // Each fix alone keeps the file parsable (the fixer would drop one that does not).
            for d in report(&text, edition).lints {
                if let Some(fix) = &d.fix {
                    let after = lint::apply_edits(&text, &fix.edits);
                    assert!(
                        lix_syntax::parse(&after).is_ok(),
                        "{}: the fix of {} at {:?} breaks the parse:\n{after}",
                        file.display(),
                        d.lint.code(),
                        d.range
                    );
                }
            }
            let outcome = lint::fix_text(&text, edition, LintOptions::default(), &|d| d.fix.is_some());
            assert!(!outcome.unfinished, "{}: no fixed point", file.display());
            assert!(lix_syntax::parse(&outcome.text).is_ok(), "{}: fixed text does not parse:\n{}", file.display(), outcome.text);
            fixed += usize::from(outcome.text != text);
        }
    }
    assert!(fixed > 50, "only {fixed} files changed");
}
