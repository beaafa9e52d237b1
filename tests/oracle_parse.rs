//! Differential test against the reference parser: for the conformance files and a few thousand
//! random inputs, lixc must accept exactly what `nix-instantiate --parse` accepts (syntax,
//! parse-time checks and name resolution), and group what it accepts the same way: the text
//! with every expression parenthesised as lixc's tree groups it must give the reference the same
//! AST as the original text.
//!
//! Runs when `LIXC_NIX_INSTANTIATE` names the reference binary (CI installs CppNix and sets it);
//! otherwise it says so and passes. Known, explained differences are listed in
//! `tests/oracle/parse-known-differences.txt`.

mod common;

use common::Rng;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use lix_editions::Edition;
use lix_syntax::ast::{AstNode, Expr};
use lix_syntax::{SyntaxKind, SyntaxNode};
use rowan::NodeOrToken;

/// Whether lixc accepts `text` as a 2024-edition file.
fn lixc_accepts(text: &str) -> bool {
    let parse = lix_syntax::parse(text);
    if !parse.is_ok() {
        return false;
    }
    let root = parse.syntax();
    lix_editions::check(&root, Edition::E2024).is_empty() && lix_hir::undefined_variables(&root, Edition::E2024).is_empty()
}

/// The reference's printed AST of `text`, if it accepts it.
fn reference_ast(nix: &Path, text: &[u8]) -> Option<String> {
    let mut child = Command::new(nix)
        .args(["--parse", "-"])
        .env("NIX_STORE_DIR", "/nix/store")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the reference runs");
    let mut stdin = child.stdin.take().expect("stdin");
    let _ = stdin.write_all(text);
    drop(stdin);
    let out = child.wait_with_output().expect("the reference finishes");
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// `node`'s text with every expression in parentheses, as lixc's tree groups it. The reference
/// prints the same AST for this text as for the original exactly when both parsers group the
/// original the same way.
fn parenthesize(node: &SyntaxNode) -> String {
    let mut out = String::new();
    for element in node.children_with_tokens() {
        match element {
            NodeOrToken::Token(t) => out.push_str(t.text()),
            NodeOrToken::Node(n) => {
                let or_variable = n.kind() == SyntaxKind::VARIABLE && n.first_token().is_some_and(|t| t.kind() == SyntaxKind::OR_KW);
                // Attribute names are no expressions, even when they are strings.
                let name_position = matches!(node.kind(), SyntaxKind::ATTRPATH | SyntaxKind::INHERIT | SyntaxKind::CONTAINER_INHERIT);
                if Expr::can_cast(n.kind()) && !or_variable && !name_position {
                    out.push('(');
                    out.push_str(&parenthesize(&n));
                    out.push(')');
                } else {
                    out.push_str(&parenthesize(&n));
                }
            }
        }
    }
    out
}

/// Token fragments random inputs are made of: every token kind, and the spots where the
/// lexer's modes and the grammar's precedence meet.
const VOCABULARY: &[&str] = &[
    "x", "y", "or", "a.b", "1", "2.5", ".5", "\"s\"", "\"${x}\"", "''i''", "./p", "./p/${x}", "<n>",
    "u:v", "{", "}", "[", "]", "(", ")", ";", ":", ",", ".", "...", "=", "@", "?", "!", "+", "-",
    "*", "/", "//", "++", "<", ">", "<=", ">=", "==", "!=", "&&", "||", "->", "${", "let", "in",
    "rec", "inherit", "if", "then", "else", "with", "assert", "x:", "{ x, ... }:", "a = 1;",
    "inherit x;", " ", " ", " ", "\n", "# c\n", "/* c */",
];

/// A random expression that is mostly valid Nix, built from operators of every precedence level
/// without parentheses, so that precedence and associativity decide whether it parses.
fn expression(rng: &mut Rng, depth: usize) -> String {
    const ATOMS: &[&str] = &["x", "1", "2.5", "\"s${x}\"", "./p", "[ x 1 ]", "{ a = x; }", "(x)", "x.a", "x.a or 1", "or"];
    const BINARY: &[&str] = &["+", "-", "*", "/", "//", "++", "<", ">", "<=", ">=", "==", "!=", "&&", "||", "->", "?"];
    const PREFIX: &[&str] = &["!", "-", "x: ", "{ x ? 1 }: ", "let a = x; in ", "with x; ", "assert x; ", "if x then x else "];
    if depth == 0 {
        return ATOMS[rng.below(ATOMS.len())].to_string();
    }
    match rng.below(5) {
        0 => format!("{}{}", PREFIX[rng.below(PREFIX.len())], expression(rng, depth - 1)),
        1 => format!("{} {}", expression(rng, depth - 1), ATOMS[rng.below(ATOMS.len())]),
        4 => ATOMS[rng.below(ATOMS.len())].to_string(),
        _ => {
            let op = BINARY[rng.below(BINARY.len())];
            let rhs = if op == "?" { "a".to_string() } else { expression(rng, depth - 1) };
            format!("{} {op} {rhs}", expression(rng, depth - 1))
        }
    }
}

fn expected_differences() -> BTreeMap<String, String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/oracle/parse-known-differences.txt");
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .filter_map(|l| l.split_once('\t').map(|(k, v)| (k.to_string(), v.to_string())))
        .collect()
}

fn conformance_files() -> Vec<PathBuf> {
    let dir = std::env::var_os("LIXC_CONFORMANCE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/conformance"));
    let Ok(entries) = std::fs::read_dir(dir.join("nix/lang")) else { return Vec::new() };
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            p.extension().is_some_and(|e| e == "nix") && (name.starts_with("parse-") || name.starts_with("eval-"))
        })
        .collect();
    files.sort();
    files
}

#[test]
fn accepts_what_the_reference_accepts() {
    let Some(nix) = std::env::var_os("LIXC_NIX_INSTANTIATE").map(PathBuf::from) else {
        println!("LIXC_NIX_INSTANTIATE is not set; skipping the differential test");
        return;
    };
    let known = expected_differences();
    let mut disagreements = Vec::new();
    let (mut checked, mut accepted) = (0, 0);
    let mut compare = |label: String, text: &[u8]| {
        checked += 1;
        let decoded = lix_syntax::source::decode(text).ok();
        let ours = decoded.as_deref().is_some_and(lixc_accepts);
        let theirs = reference_ast(&nix, text);
        accepted += usize::from(theirs.is_some());
        // The reference prints a set's attributes in the order it first saw their names, which
        // regrouping can change; so grouping is compared on the generated expressions only.
        let structural = label.starts_with("expr ");
        if let (true, true, Some(theirs), Some(decoded)) = (structural, ours, &theirs, &decoded) {
            let grouped = parenthesize(&lix_syntax::parse(decoded).syntax());
            let regrouped = reference_ast(&nix, &lix_syntax::source::encode(&grouped));
            if regrouped.as_ref() != Some(theirs) && !known.contains_key(&label) {
                disagreements.push(format!("{label}: grouped differently; lixc's grouping {grouped:?} reads as {regrouped:?}, the original as {theirs:?}"));
            }
            return;
        }
        let theirs = theirs.is_some();
        if ours != theirs && !known.contains_key(&label) {
            disagreements.push(format!(
                "{label}: lixc {}, reference {}",
                if ours { "accepts" } else { "rejects" },
                if theirs { "accepts" } else { "rejects" }
            ));
        }
    };
    for path in conformance_files() {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_string();
        compare(format!("file {name}"), &std::fs::read(&path).unwrap_or_default());
    }
    let mut rng = Rng(0x5eed_1234_abcd_0001);
    for _ in 0..1000 {
        let len = 1 + rng.below(8);
        let text: String = (0..len).map(|_| VOCABULARY[rng.below(VOCABULARY.len())]).collect::<Vec<_>>().join(" ");
        compare(format!("soup {text:?}"), text.as_bytes());
    }
    for _ in 0..1000 {
        let text = expression(&mut rng, 4);
        compare(format!("expr {text:?}"), text.as_bytes());
    }
    println!("{checked} inputs compared with the reference, {accepted} of them accepted by it");
    // Both answers must occur, or the comparison says nothing.
    assert!(accepted > checked / 10 && accepted < checked * 9 / 10, "{accepted} of {checked} accepted");
    assert!(disagreements.is_empty(), "{} disagreements:\n{}", disagreements.len(), disagreements.join("\n"));
}

/// Decodes a string as `nix-instantiate --eval` prints it.
fn printed_string(out: &str) -> Option<String> {
    let inner = out.trim_end().strip_prefix('"')?.strip_suffix('"')?;
    let mut value = String::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            value.push(c);
            continue;
        }
        match chars.next()? {
            'n' => value.push('\n'),
            'r' => value.push('\r'),
            't' => value.push('\t'),
            other => value.push(other),
        }
    }
    Some(value)
}

/// The values of string literals without interpolation (escapes, and the indentation rules of
/// `''...''`) must be the reference's.
#[test]
fn string_values_match_the_reference() {
    let Some(nix) = std::env::var_os("LIXC_NIX_INSTANTIATE").map(PathBuf::from) else {
        println!("LIXC_NIX_INSTANTIATE is not set; skipping the differential test");
        return;
    };
    const PIECES: &[&str] = &[" ", "  ", "    ", "\n", "\n  ", "\n    ", "\t", "a", "b c", "''$", "'''", "''\\n", "''\\t", "$", "'", "$$", "x'y", "\\n"];
    let mut rng = Rng(0x0123_4567_89ab_cdef);
    let mut cases: Vec<String> = Vec::new();
    for _ in 0..150 {
        let len = 1 + rng.below(10);
        let body: String = (0..len).map(|_| PIECES[rng.below(PIECES.len())]).collect();
        cases.push(format!("''{body}''"));
        // Plain strings: escapes, and a literal `$` that no `{` follows.
        let plain: String = body.replace("''", "").replace('"', "");
        cases.push(format!("\"{}\"", plain.replace("${", "$ {")));
    }
    let mut mismatches = Vec::new();
    for case in &cases {
        let parse = lix_syntax::parse(case);
        let ours = match parse.root().expr() {
            Some(Expr::Str(string)) if parse.is_ok() => string.static_value(),
            _ => None,
        };
        let out = Command::new(&nix).args(["--eval", "--expr", case]).output().expect("the reference runs");
        let theirs = out.status.success().then(|| printed_string(&String::from_utf8_lossy(&out.stdout))).flatten();
        if ours != theirs {
            mismatches.push(format!("{case:?}: lixc {ours:?}, reference {theirs:?}"));
        }
    }
    let accepted = cases.iter().filter(|c| lix_syntax::parse(c).is_ok()).count();
    println!("{} string literals compared with the reference, {accepted} valid", cases.len());
    assert!(accepted > cases.len() / 2, "too few valid cases to say anything: {accepted}");
    assert!(mismatches.is_empty(), "{} mismatches:\n{}", mismatches.len(), mismatches.join("\n"));
}
