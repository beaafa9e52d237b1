//! Lowering, driven by data: each `test_data/lower/*.nix` is lowered (base directory `/base`,
//! home `/home/user`; a first line `# edition = "2026"` picks the edition) and its HIR dump,
//! printed form and errors are snapshotted beside it. Also: lowering never panics, on any file
//! of the shared suites and the parser's test data, broken ones included, nor on deep trees.

use std::path::{Path, PathBuf};

use lix_editions::Edition;
use lix_hir::{dump, lower, print_nix, LowerConfig, Lowered};

fn config(edition: Edition) -> LowerConfig {
    LowerConfig { edition, base_dir: "/base".to_string(), home: Some("/home/user".to_string()) }
}

fn lower_text(text: &str, edition: Edition) -> Lowered {
    let parse = lix_syntax::parse(text);
    let root = parse.root();
    let lowered = lower(&root, &config(edition));
    drop(root);
    lowered
}

fn edition_of(text: &str) -> Edition {
    match lix_editions::pragma(text) {
        Some((Ok(edition), _)) => edition,
        _ => Edition::E2024,
    }
}

#[test]
fn lower_snapshots() {
    insta::glob!("../test_data/lower", "*.nix", |path| {
        let text = std::fs::read_to_string(path).expect("readable");
        let lowered = lower_text(&text, edition_of(&text));
        let mut out = dump(&lowered.body);
        out.push_str("---\n");
        out.push_str(&print_nix(&lowered.body));
        out.push('\n');
        for error in &lowered.errors {
            out.push_str(&format!("error {:?}: {}\n", error.range, error.message));
        }
        insta::assert_snapshot!(out);
    });
}

fn nix_files(dir: &Path, out: &mut Vec<PathBuf>) {
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

#[test]
fn lowering_never_panics_on_known_files() {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).canonicalize().expect("the crate directory exists");
    let mut files = Vec::new();
    for dir in ["../../shared/conformance", "../../shared/bench", "../syntax/test_data"] {
        nix_files(&manifest.join(dir), &mut files);
    }
    assert!(files.len() > 100, "found only {} files", files.len());
    for file in files {
        let bytes = std::fs::read(&file).expect("readable");
        let Ok(text) = lix_syntax::source::decode(&bytes) else { continue };
        for edition in [Edition::E2024, Edition::E2026] {
            let lowered = lower_text(&text, edition);
            assert_eq!(lowered.body.exprs.len(), lowered.body.spans.len(), "{}", file.display());
            print_nix(&lowered.body);
            dump(&lowered.body);
        }
    }
}

/// Runs `f` on a thread with a stack of `size` bytes.
fn on_stack<T: Send + 'static>(size: usize, f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new().stack_size(size).spawn(f).expect("spawn").join().expect("no panic, no overflow")
}

#[test]
fn deep_trees_do_not_overflow_the_stack() {
    // Deep but within the parser's bound (sets and `let` take two levels per nesting). Long
    // attribute paths and chains of `-` are shorter: the parser is slow on them.
    let (deep, long) = (40_000, 3_000);
    let cases = [
        format!("{}1{}", "(".repeat(deep), ")".repeat(deep)),
        format!("{}1{}", "[".repeat(deep), "]".repeat(deep)),
        format!("{}x", "x: ".repeat(deep)),
        format!("{}1{}", "{ a = ".repeat(deep), "; }".repeat(deep)),
        format!("{}1{}", "rec { a = ".repeat(deep), "; }".repeat(deep)),
        format!("f{}", " a".repeat(deep)),
        format!("1{}", " + 1".repeat(deep)),
        format!("{}1{}", "let a = ".repeat(deep), "; in a".repeat(deep)),
        format!("{{ {} = 1; }}", vec!["a"; long].join(".")),
        format!("{}1", "-".repeat(long)),
    ];
    for src in cases {
        // The parser gets the large stack the binary gives it; lowering and printing run on a
        // small one and must grow their own.
        let parse = on_stack(256 << 20, move || lix_syntax::parse(&src));
        let (parse, printed) = on_stack(256 * 1024, move || {
            assert!(parse.is_ok(), "{:?}", &parse.errors()[..1]);
            let root = parse.root();
            let lowered = lower(&root, &config(Edition::E2024));
            drop(root);
            let printed = print_nix(&lowered.body);
            dump(&lowered.body);
            (parse, printed)
        });
        assert!(!printed.is_empty());
        on_stack(256 << 20, move || drop(parse));
    }
}

mod random {
    use super::*;
    use proptest::prelude::*;

    const WORDS: &[&str] = &[
        "{", "}", "${", "\"", "''", "(", ")", "[", "]", "./a/", "../b", "/abs", "~/h", "<p>", "let", "in",
        "rec", "inherit", "with", "assert", "if", "then", "else", "or", "=", ";", ":", ",", ".", "...", "@",
        "?", "!", "+", "-", "<", ">=", "//", "++", "|>", "<|", "a", "b", "x", "1", "2.5", "a.b", "body",
        "__curPos", "\"s${x}\"", "''i${y}''",
    ];

    proptest! {
        #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

        #[test]
        fn token_soup_lowers(words in proptest::collection::vec(proptest::sample::select(WORDS), 0..40)) {
            let src = words.join(" ");
            for edition in [Edition::E2024, Edition::E2026] {
                let lowered = lower_text(&src, edition);
                print_nix(&lowered.body);
                dump(&lowered.body);
            }
        }
    }
}
