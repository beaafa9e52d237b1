//! Data-driven parser tests: every `test_data/parser/ok/*.nix` must parse without errors, every
//! `test_data/parser/err/*.nix` with at least one; each file's tree and errors are snapshotted.
//!
//! A first line `# errors: N` asks for exactly N errors: one error must not hide another.
//!
//! Adding a test means adding a file; `INSTA_UPDATE=always cargo test -p lix-syntax --test
//! snapshots` writes the new snapshot, which must then be read and checked by hand.

use std::fmt::Write as _;
use std::fs;
use std::path::Path;

/// Whether a file is expected to parse cleanly.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Expect {
    Ok,
    Err,
}

impl Expect {
    /// The snapshot name, so that `ok/x.nix` and `err/x.nix` never share a snapshot.
    fn name(self) -> &'static str {
        match self {
            Expect::Ok => "ok",
            Expect::Err => "err",
        }
    }
}

/// The tree dump followed by one line per error (and one per note), and the error count.
fn render(src: &str) -> (String, usize) {
    let parse = lix_syntax::parse(src);
    let root = parse.syntax();
    assert_eq!(root.to_string(), src, "the tree must hold every byte of the input");
    let mut out = format!("{root:#?}");
    if !parse.errors().is_empty() {
        out.push_str("\nerrors:\n");
    }
    for error in parse.errors() {
        let range = &error.range;
        assert!(range.start <= range.end && range.end as usize <= src.len(), "{error:?} out of bounds");
        writeln!(out, "{}..{}: {} [{}]", range.start, range.end, error.message, error.kind.code()).unwrap();
        for (note_range, note) in &error.notes {
            writeln!(out, "  note {}..{}: {}", note_range.start, note_range.end, note).unwrap();
        }
    }
    (out, parse.errors().len())
}

fn check(path: &Path, expect: Expect) {
    let src = fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let (dump, errors) = render(&src);
    match expect {
        Expect::Ok => assert_eq!(errors, 0, "{}: expected no errors\n{dump}", path.display()),
        Expect::Err => assert!(errors > 0, "{}: expected an error\n{dump}", path.display()),
    }
    if let Some(count) = src.lines().next().and_then(|l| l.strip_prefix("# errors: ")) {
        let count: usize = count.trim().parse().expect("'# errors: N' takes a number");
        assert_eq!(errors, count, "{}: expected exactly {count} errors\n{dump}", path.display());
    }
    insta::with_settings!({ description => src.clone(), omit_expression => true }, {
        insta::assert_snapshot!(expect.name(), dump);
    });
}

#[test]
fn parser_ok() {
    insta::glob!("../test_data/parser/ok", "*.nix", |path| check(path, Expect::Ok));
}

#[test]
fn parser_err() {
    insta::glob!("../test_data/parser/err", "*.nix", |path| check(path, Expect::Err));
}
