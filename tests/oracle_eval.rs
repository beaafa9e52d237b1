//! Differential test of the evaluator against the reference: a generated corpus of expressions
//! over the builtins (each builtin applied to sample values of every type) is evaluated with
//! `lixc eval --strict` and with `nix-instantiate --eval --strict`; where the reference gives a
//! value, lixc must print the same value, and where it fails, lixc must fail too. A second
//! corpus (sharing shapes and `tests/oracle/lazy-corpus.txt`) is printed without `--strict`,
//! where what is still a thunk prints as `<CODE>`. A third corpus of random programs (a fixed
//! seed) is printed both ways.
//!
//! Runs when `LIXC_NIX_INSTANTIATE` names the reference binary (CI installs CppNix and sets it);
//! otherwise it says so and passes. The reference is CppNix 2.8, older than the conformance
//! suites: where its behaviour changed since (and lixc follows the newer one), the expression is
//! listed in `tests/oracle/eval-known-differences.txt` with the reason.

mod common;

use common::Rng;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

/// Sample arguments, one or more of each type.
const VALUES: &[&str] = &[
    "0",
    "3",
    "(-2)",
    "1.5",
    "\"\"",
    "\"abc\"",
    "\"a b,c\"",
    "true",
    "null",
    "[ ]",
    "[ 3 1 2 ]",
    "[ \"b\" \"a\" ]",
    "{ }",
    "{ a = 1; b = \"x\"; }",
    "{ name = \"n\"; value = 2; }",
    "(x: x)",
];

/// Builtins and how many arguments they take (those of the reference's 2.8 that need neither
/// the store, the network nor the file system).
const BUILTINS: &[(&str, usize)] = &[
    ("add", 2), ("all", 2), ("any", 2), ("attrNames", 1), ("attrValues", 1), ("bitAnd", 2),
    ("bitOr", 2), ("bitXor", 2), ("catAttrs", 2), ("ceil", 1), ("compareVersions", 2),
    ("concatLists", 1), ("concatMap", 2), ("concatStringsSep", 2), ("deepSeq", 2), ("div", 2),
    ("elem", 2), ("elemAt", 2), ("filter", 2), ("floor", 1), ("foldl'", 3), ("functionArgs", 1),
    ("genList", 2), ("getAttr", 2), ("groupBy", 2), ("hasAttr", 2), ("head", 1),
    ("intersectAttrs", 2), ("isAttrs", 1), ("isBool", 1), ("isFloat", 1), ("isFunction", 1),
    ("isInt", 1), ("isList", 1), ("isNull", 1), ("isPath", 1), ("isString", 1), ("length", 1),
    ("lessThan", 2), ("listToAttrs", 1), ("map", 2), ("mapAttrs", 2), ("mul", 2),
    ("parseDrvName", 1), ("partition", 2), ("removeAttrs", 2), ("replaceStrings", 3), ("seq", 2),
    ("sort", 2), ("splitVersion", 1), ("stringLength", 1), ("sub", 2), ("substring", 3),
    ("tail", 1), ("toJSON", 1), ("toString", 1), ("tryEval", 1), ("typeOf", 1),
    ("zipAttrsWith", 2), ("hashString", 2), ("match", 2), ("split", 2), ("fromJSON", 1),
    ("unsafeDiscardStringContext", 1), ("hasContext", 1), ("getContext", 1), ("toXML", 1),
];

/// Functions passed where a builtin expects one.
const FUNCTIONS: &[&str] = &["(x: x)", "(x: true)", "(a: b: a < b)", "(n: v: v)", "(x: [ x ])", "(x: \"k\")"];

/// The corpus: every builtin on a deterministic selection of argument tuples.
fn corpus() -> Vec<String> {
    let mut out = Vec::new();
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move |n: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % n as u64) as usize
    };
    for &(name, arity) in BUILTINS {
        for _ in 0..12 {
            let args: Vec<&str> = (0..arity)
                .map(|_| if next(3) == 0 { FUNCTIONS[next(FUNCTIONS.len())] } else { VALUES[next(VALUES.len())] })
                .collect();
            out.push(format!("builtins.{name} {}", args.join(" ")));
        }
    }
    out.sort();
    out.dedup();
    out
}

/// Values reached twice through variables, selections, calls and recursion, printed: where
/// the reference prints `«repeated»` depends on how it stores each value (lists of one or two
/// elements live inside the value that holds them), which these shapes exercise.
fn sharing_corpus() -> Vec<String> {
    const DEFINITIONS: &[&str] = &[
        "[ 1 ]",
        "[ 1 2 ]",
        "[ 1 2 3 ]",
        "{ a = 1; }",
        "(x: [ x ]) 1",
        "builtins.head [ [ 1 2 ] ]",
        "[ y ]",
        "[ y y y ]",
        "{ self = y; }",
        "builtins.genList (i: i) 2",
    ];
    const USES: &[&str] = &[
        "y",
        "[ y ]",
        "[ y y ]",
        "{ a = y; b = y; }",
        "[ s.a s.a ]",
        "[ (f y) (f y) ]",
        "[ y s.a y ]",
        "[ [ y ] [ y ] ]",
        "s",
        "[ s s ]",
    ];
    let mut out = Vec::new();
    for d in DEFINITIONS {
        for u in USES {
            out.push(format!("let y = {d}; s = {{ a = y; }}; f = x: x; in {u}"));
        }
    }
    out
}

/// Expressions to print without `--strict` (`tests/oracle/lazy-corpus.txt`).
fn lazy_corpus() -> Vec<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/oracle/lazy-corpus.txt");
    let text = std::fs::read_to_string(path).expect("tests/oracle/lazy-corpus.txt is readable");
    text.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty()).map(str::to_string).collect()
}

/// Leaves of the random programs: a value of each type, the `let`-bound names, a function, a
/// builtin and a failure.
const LEAVES: &[&str] = &[
    "0", "1", "2", "-1", "1.5", "\"s\"", "null", "true", "false", "x", "y", "z", "[ ]", "{ }", "[ 1 2 ]",
    "{ a = 1; b = \"c\"; }", "builtins.length", "(throw \"t\")", "(a: a)",
];

/// A random program of the given depth: operators (including `++` onto a list literal),
/// binding forms, pattern defaults, selection, interpolation and the builtins whose laziness
/// shows when printing.
fn random_expr(rng: &mut Rng, depth: usize) -> String {
    if depth == 0 || rng.below(4) == 0 {
        return LEAVES[rng.below(LEAVES.len())].to_string();
    }
    const OPS: &[&str] = &["+", "-", "*", "==", "!=", "<", ">=", "&&", "||", "++", "//"];
    let form = rng.below(26);
    let mut e = || random_expr(rng, depth - 1);
    match form {
        0 => {
            let (a, b) = (e(), e());
            format!("({a} {} {b})", OPS[(a.len() + b.len()) % OPS.len()])
        }
        1 => format!("({} ++ [ {} {} ])", e(), e(), e()),
        2 => format!("({} ++ [ {} ])", e(), e()),
        3 => format!("(let x = {}; w = {}; in {})", e(), e(), e()),
        4 => format!("(rec {{ x = {}; w = x; }})", e()),
        5 => format!("((x: {}) {})", e(), e()),
        6 => format!("(({{ x ? {}, w ? x, ... }}: [ x w ]) {{ }})", e()),
        7 => format!("(if {} then {} else {})", e(), e(), e()),
        8 => format!("({}.a or {})", e(), e()),
        9 => format!("({} ? a)", e()),
        10 => format!("[ {} {} ]", e(), e()),
        11 => format!("{{ a = {}; b = {}; }}", e(), e()),
        12 => format!("\"p${{{}}}q\"", e()),
        13 => format!("(builtins.tryEval {})", e()),
        14 => format!("(map (x: {}) [ {} 1 ])", e(), e()),
        15 => format!("(builtins.filter (x: {}) [ 1 2 {} ])", e(), e()),
        16 => format!("(builtins.foldl' (acc: x: {}) {} [ 1 2 ])", e(), e()),
        17 => format!("(builtins.elem {} [ {} 1 ])", e(), e()),
        18 => format!("(builtins.attrNames {})", e()),
        19 => format!("(builtins.mapAttrs (n: v: {}) {{ a = {}; }})", e(), e()),
        20 => format!("(builtins.seq {} {})", e(), e()),
        21 => format!("(toString {})", e()),
        22 => format!("(builtins.typeOf {})", e()),
        23 => format!("(builtins.listToAttrs [ {{ name = \"a\"; value = {}; }} ])", e()),
        24 => format!("(builtins.concatLists [ {} [ 1 ] ])", e()),
        _ => format!("(builtins.removeAttrs {} [ \"a\" ])", e()),
    }
}

/// Random programs (deterministic), each printed with and without `--strict`.
fn random_corpus() -> Vec<String> {
    let mut rng = Rng(0x0dd5_eed5_2026_1201);
    (0..150).map(|_| format!("let x = 1; y = {{ a = 2; }}; z = [ 3 ]; in {}", random_expr(&mut rng, 5))).collect()
}

/// Runs an evaluator on `expr`: `Ok(stdout)` or `Err(())` when it fails.
fn run(program: &str, prefix: &[&str], strict: bool, expr: &str) -> Result<String, ()> {
    let out = Command::new(program)
        .args(prefix)
        .args(if strict { &["--strict"][..] } else { &[] })
        .args(["-E", expr])
        .env("NIX_STORE_DIR", "/nix/store")
        .env("NIX_PATH", "")
        .output()
        .expect("the evaluator runs");
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).trim_end().to_string())
    } else {
        Err(())
    }
}

fn known_differences() -> BTreeMap<String, String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/oracle/eval-known-differences.txt");
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter_map(|l| l.split_once('\t').map(|(e, r)| (e.to_string(), r.to_string())))
        .collect()
}

#[test]
fn builtins_agree_with_the_reference() {
    let Some(nix) = std::env::var_os("LIXC_NIX_INSTANTIATE") else {
        eprintln!("LIXC_NIX_INSTANTIATE is not set: skipping the differential evaluation test");
        return;
    };
    let nix = nix.to_string_lossy().into_owned();
    let lixc = env!("CARGO_BIN_EXE_lixc");
    let known = known_differences();
    let mut differences = Vec::new();
    let mut stale = Vec::new();
    // Strict printing of everything; then printing without forcing, where thunks show.
    let strict = corpus().into_iter().chain(sharing_corpus()).chain(random_corpus()).map(|e| (true, e));
    let lazy = sharing_corpus().into_iter().chain(lazy_corpus()).chain(random_corpus()).map(|e| (false, e));
    let corpus: Vec<(bool, String)> = strict.chain(lazy).collect();
    let mut agreed = 0;
    for (strict, expr) in &corpus {
        let reference = run(&nix, &["--eval"], *strict, expr);
        let ours = run(lixc, &["eval", "--error-format", "nix"], *strict, expr);
        let mode = if *strict { "--strict" } else { "lazy" };
        let same = match (&reference, &ours) {
            (Ok(a), Ok(b)) => a == b,
            (Err(()), Err(())) => true,
            _ => false,
        };
        match (same, *strict && known.contains_key(expr)) {
            (true, false) => agreed += 1,
            (true, true) => stale.push(expr.clone()),
            (false, true) => {}
            (false, false) => {
                differences.push(format!("{expr} ({mode})\n    reference: {reference:?}\n    lixc:      {ours:?}"))
            }
        }
    }
    eprintln!("oracle eval: {agreed} agreed, {} known differences, of {}", known.len(), corpus.len());
    assert!(stale.is_empty(), "listed as differing but agreeing now (remove them):\n{}", stale.join("\n"));
    assert!(differences.is_empty(), "{} expressions differ:\n{}", differences.len(), differences.join("\n"));
}
