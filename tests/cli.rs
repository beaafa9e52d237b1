//! End-to-end tests of the `lixc` binary: output (snapshotted) and exit codes.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

mod common;
use common::Run;

fn lixc(dir: &Path, args: &[&str], stdin: Option<&[u8]>) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_lixc"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("lixc runs");
    let mut input = child.stdin.take().expect("stdin");
    input.write_all(stdin.unwrap_or_default()).expect("write stdin");
    drop(input);
    let out = child.wait_with_output().expect("lixc finishes");
    Run::from_output(dir, out)
}

/// A fresh directory with the given files.
fn tree(name: &str, files: &[(&str, &[u8])]) -> PathBuf {
    common::tree("cli", name, files)
}

#[test]
fn parse_prints_the_tree() {
    let dir = tree("parse-ok", &[("a.nix", b"{ a = 1; } # end\n")]);
    insta::assert_snapshot!(lixc(&dir, &["parse", "a.nix"], None).render());
}

#[test]
fn parse_reports_errors_and_exits_1() {
    let dir = tree("parse-err", &[("a.nix", b"let\n  a = 1\n  b = ;\nin a\n")]);
    insta::assert_snapshot!(lixc(&dir, &["parse", "a.nix"], None).render());
}

#[test]
fn parse_json_from_stdin() {
    let run = lixc(Path::new("."), &["parse", "--format", "json", "-"], Some(b"x: x.y or 1"));
    assert_eq!(run.code, 0);
    let value: serde_json::Value = serde_json::from_str(&run.stdout).expect("valid JSON");
    insta::assert_json_snapshot!(value);
}

#[test]
fn parse_missing_file_is_a_usage_error() {
    let run = lixc(Path::new("."), &["parse", "/nonexistent/x.nix"], None);
    assert_eq!(run.code, 2, "{}", run.render());
    assert!(run.stderr.contains("cannot read /nonexistent/x.nix"));
}

#[test]
fn unknown_flag_value_is_a_usage_error() {
    let run = lixc(Path::new("."), &["check", "--edition", "1999", "."], None);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("unknown edition \"1999\""), "{}", run.stderr);
}

#[test]
fn check_walks_directories_and_honours_gitignore() {
    let dir = tree("check-walk", &[
        (".gitignore", b"ignored/\n"),
        ("ok.nix", b"{ a = 1; }\n"),
        ("sub/bad.nix", b"{ a = 1; a = 2; b = [ 1 2; c = x: y; }\n"),
        ("sub/not-nix.txt", b"{{{{"),
        ("ignored/bad.nix", b"((("),
    ]);
    let run = lixc(&dir, &["check"], None);
    insta::assert_snapshot!(run.render());
    let run = lixc(&dir, &["check", "--format", "json", "ok.nix", "sub"], None);
    assert_eq!(run.code, 1);
    let value: serde_json::Value = serde_json::from_str(&run.stdout).expect("valid JSON");
    insta::assert_json_snapshot!(value);
}

#[test]
fn check_clean_tree_exits_0() {
    let dir = tree("check-clean", &[("a.nix", b"{ x, ... }: x\n"), ("b/c.nix", b"[ 1 2 3 ]\n")]);
    let run = lixc(&dir, &["check"], None);
    assert_eq!(run.code, 0, "{}", run.render());
    assert_eq!(run.stdout, "");
    assert_eq!(run.stderr, "checked 2 files: 0 errors\n");
}

#[test]
fn check_editions() {
    let dir = tree("check-editions", &[
        ("old.nix", b"x: x |> builtins.toString\n"),
        ("new.nix", b"# edition = \"2026\"\n[ http://example.org (f: let { body = f; }) ]\n"),
        ("unknown.nix", b"# edition = \"2030\"\n1\n"),
        ("proj/lix.toml", b"edition = \"2026\"\n"),
        ("proj/pipes.nix", b"x: x |> builtins.toString |> dbg\n"),
    ]);
    insta::assert_snapshot!(lixc(&dir, &["check", "--verbose"], None).render());
    // The flag applies only to files that name no edition themselves.
    let run = lixc(&dir, &["check", "--edition", "2026", "old.nix"], None);
    assert_eq!(run.code, 0, "{}", run.render());
}

#[test]
fn check_missing_path_exits_2() {
    let dir = tree("check-missing", &[("a.nix", b"1\n")]);
    let run = lixc(&dir, &["check", "a.nix", "nope"], None);
    assert_eq!(run.code, 2, "{}", run.render());
}

#[test]
fn bad_input_never_crashes() {
    let dir = tree("check-bad", &[
        ("binary.nix", &[0u8, 159, 146, 150, 0xff, 0, 1, 2, 3]),
        ("bytes-in-string.nix", b"\"caf\xe9\"\n"),
        ("overflow.nix", b"9223372036854775808\n"),
    ]);
    let run = lixc(&dir, &["check"], None);
    insta::assert_snapshot!(run.render());
}

#[test]
fn deep_nesting_is_a_located_error() {
    let deep = format!("{}1{}", "(".repeat(120_000), ")".repeat(120_000));
    let dir = tree("check-deep", &[("deep.nix", deep.as_bytes())]);
    let run = lixc(&dir, &["check", "--format", "json"], None);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let value: serde_json::Value = serde_json::from_str(&run.stdout).expect("valid JSON");
    assert_eq!(value[0]["code"], "E011");
    assert_eq!(value[0]["range"]["start"], lix_syntax::MAX_DEPTH - 1);
    // Nesting under the bound is parsed, not refused.
    let ok = format!("{}1{}", "(".repeat(50_000), ")".repeat(50_000));
    let run = lixc(&dir, &["parse", "--format", "json", "-"], Some(ok.as_bytes()));
    assert_eq!(run.code, 0, "{}", run.stderr);
}

/// Runs `lixc` with `vars` added to (and `LIXC_SHOW_STATS` removed from) its environment.
fn lixc_env(dir: &Path, args: &[&str], vars: &[(&str, &str)]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_lixc"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("LIXC_SHOW_STATS")
        .env_remove("LIXC_GC_STRESS")
        .envs(vars.iter().copied())
        .stdin(Stdio::null())
        .output()
        .expect("lixc runs");
    Run::from_output(dir, out)
}

/// Each command's line, then its rendered run, for one snapshot of several commands.
fn transcript(dir: &Path, commands: &[&[&str]]) -> String {
    commands
        .iter()
        .map(|args| format!("$ lixc {}\n{}", args.join(" "), lixc_env(dir, args, &[]).render()))
        .collect::<Vec<_>>()
        .join("\n")
}

/// A set with a nested list, a lambda and a string, for the printing tests.
const VALUE: &str = "{ a = 1; b = [ 1 (2 + 3) ]; c = x: x; d = \"s\"; }";

#[test]
fn eval_prints_values_lazily_strictly_and_as_json() {
    let dir = tree("eval-values", &[]);
    insta::assert_snapshot!(transcript(&dir, &[
        &["eval", "-E", VALUE],
        &["eval", "--strict", "-E", VALUE],
        &["eval", "--json", "--strict", "-E", "{ a = 1; b = [ 1 (2 + 3) ]; d = \"s\"; e = null; f = 1.5; }"],
        &["eval", "--json", "-E", "x: x", "--error-format", "nix"],
    ]));
}

#[test]
fn eval_prints_xml_with_and_without_locations() {
    let dir = tree("eval-xml", &[(
        "v.nix",
        b"{ a = 1 + 1;\n  f = { x ? 1, ... }@args: x;\n  l = [ (y: y) ];\n}\n",
    )]);
    insta::assert_snapshot!(transcript(&dir, &[
        &["eval", "--xml", "v.nix"],
        &["eval", "--xml", "--strict", "v.nix"],
        &["eval", "--xml", "--strict", "--no-location", "v.nix"],
    ]));
}

#[test]
fn eval_selects_attributes_and_calls_with_arguments() {
    let dir = tree("eval-args", &[(
        "f.nix",
        b"{ name ? \"x\", n }: { greeting = \"hello ${name}\"; double = n * 2; sub.deep = [ n (n + 1) ]; }\n",
    )]);
    insta::assert_snapshot!(transcript(&dir, &[
        &["eval", "f.nix", "-A", "greeting", "--argstr", "name", "world", "--arg", "n", "21"],
        &["eval", "f.nix", "-A", "greeting", "--arg", "n", "21"],
        &["eval", "f.nix", "-A", "double", "--arg", "n", "1 + 2"],
        &["eval", "f.nix", "--strict", "-A", "sub.deep", "--arg", "n", "3"],
        &["eval", "f.nix", "-A", "nope", "--arg", "n", "1", "--error-format", "nix"],
    ]));
}

#[test]
fn eval_errors_in_the_reference_layout_exit_1() {
    let dir = tree("eval-errors", &[("bad.nix", b"let\n  f = x: x + \"a\";\nin\nf 1\n")]);
    insta::assert_snapshot!(transcript(&dir, &[
        &["eval", "--error-format", "nix", "bad.nix"],
        &["eval", "--error-format", "nix", "--show-trace", "bad.nix"],
        &["eval", "--error-format", "nix", "-E", "throw \"boom\""],
        &["eval", "--error-format", "nix", "-E", "1 +"],
        &["eval", "--error-format", "nix", "missing.nix"],
    ]));
}

#[test]
fn eval_sort_compares_without_calling_plain_comparators() {
    let dir = tree("eval-sort", &[]);
    insta::assert_snapshot!(transcript(&dir, &[
        &["eval", "--strict", "-E", "[ (builtins.sort (a: b: a < b) [ 3 1 2 ]) (builtins.sort (a: b: a > b) [ 3 1 2 ]) (builtins.sort (x: y: y < x) [ [ 1 ] [ 1 3 ] [ 0 5 ] ]) ]"],
        // A failing comparison is made by calling the lambda, so its frame is in the trace.
        &["eval", "--error-format", "nix", "-E", "builtins.sort (a: b: a < b) [ 3 \"x\" ]"],
    ]));
    // Sorting 1000 numbers with `a: b: a < b` calls no function: the 1000 calls are genList's.
    let run = lixc_env(&dir, &["eval", "-E", "builtins.length (builtins.sort (a: b: a < b) (builtins.genList (i: 997 * i - i / 7 * 7) 1000))"], &[("LIXC_SHOW_STATS", "1")]);
    assert_eq!(run.stdout.trim(), "1000");
    assert!(run.stderr.contains("\"nrFunctionCalls\":1000,"), "{}", run.stderr);
}

#[test]
fn eval_exit_codes() {
    let dir = tree("eval-exit", &[]);
    let code = |args: &[&str]| lixc_env(&dir, args, &[]).code;
    assert_eq!(code(&["eval", "-E", "1"]), 0);
    assert_eq!(code(&["eval", "--error-format", "nix", "-E", "throw \"x\""]), 1);
    assert_eq!(code(&["eval", "--error-format", "nix", "-E", "assert false; 1"]), 1);
    assert_eq!(code(&["eval", "--no-such-flag", "-E", "1"]), 2);
    assert_eq!(code(&["eval", "--arg", "x"]), 2);
}

#[test]
fn eval_dumps_bytecode() {
    let dir = tree("eval-bytecode", &[("tiny.nix", b"let\n  x = 1;\n  f = a: a + x;\nin f 2\n")]);
    insta::assert_snapshot!(lixc_env(&dir, &["eval", "--dump-bytecode", "tiny.nix"], &[]).render());
}

#[test]
fn parse_prints_the_reference_form() {
    let dir = tree("parse-nix", &[(
        "a.nix",
        b"let\n  x = 1;\n  s = rec { a = x; b.c = a; inherit x; };\nin { inherit (s) a; y = \"${toString x}-z\"; }\n",
    )]);
    insta::assert_snapshot!(lixc_env(&dir, &["parse", "--format", "nix", "a.nix"], &[]).render());
}

#[test]
fn eval_scoped_import() {
    let dir = tree("eval-scoped-import", &[("sum.nix", b"x + y\n")]);
    insta::assert_snapshot!(transcript(&dir, &[
        &["eval", "-E", "scopedImport { x = 1; y = 2; } ./sum.nix"],
        &["eval", "-E", "let y = 10; in scopedImport { x = 1; inherit y; } ./sum.nix"],
        &["eval", "--error-format", "nix", "-E", "scopedImport 1 ./sum.nix"],
    ]));
}

/// The keys `LIXC_SHOW_STATS=1` must print (values vary from run to run).
const STATS_KEYS: &[&str] =
    &["nrThunks", "nrFunctionCalls", "nrValues", "gc.collections", "gc.pauseSeconds", "gc.peakObjects"];

/// The statistics JSON of a run: the last line of its stderr.
fn stats(run: &Run) -> serde_json::Value {
    let line = run.stderr.lines().last().unwrap_or_default();
    serde_json::from_str(line).unwrap_or_else(|e| panic!("stats are not JSON ({e}): {}", run.render()))
}

/// The number at a dotted `key` of the statistics.
fn stat(value: &serde_json::Value, key: &str) -> Option<f64> {
    key.split('.').try_fold(value, |v, k| v.get(k))?.as_f64()
}

#[test]
fn show_stats_prints_json_with_the_counters() {
    let dir = tree("eval-stats", &[]);
    let program = "let f = n: if n == 0 then [ ] else [ n ] ++ f (n - 1); in builtins.length (f 100)";
    let run = lixc_env(&dir, &["eval", "-E", program], &[("LIXC_SHOW_STATS", "1")]);
    assert_eq!((run.code, run.stdout.as_str()), (0, "100\n"), "{}", run.render());
    let value = stats(&run);
    for key in STATS_KEYS {
        assert!(stat(&value, key).is_some(), "no number at `{key}` in {value}");
    }
    // An error is still followed by the statistics.
    let run = lixc_env(&dir, &["eval", "--error-format", "nix", "-E", "throw \"x\""], &[("LIXC_SHOW_STATS", "1")]);
    assert_eq!(run.code, 1);
    let value = stats(&run);
    assert!(STATS_KEYS.iter().all(|k| stat(&value, k).is_some()), "{value}");
}

#[test]
fn gc_stress_mode_collects() {
    // The conformance runner's stress pass relies on `LIXC_GC_STRESS=1` reaching the heap.
    let dir = tree("eval-stress", &[]);
    let program = "let f = n: if n == 0 then 0 else 1 + f (n - 1); in f 50";
    let collections = |vars: &[(&str, &str)]| {
        let run = lixc_env(&dir, &["eval", "-E", program], vars);
        assert_eq!((run.code, run.stdout.as_str()), (0, "50\n"), "{}", run.render());
        stat(&stats(&run), "gc.collections").expect("gc.collections")
    };
    assert_eq!(collections(&[("LIXC_SHOW_STATS", "1")]), 0.0);
    assert!(collections(&[("LIXC_SHOW_STATS", "1"), ("LIXC_GC_STRESS", "1")]) >= 50.0);
}

/// `lixc doc builtins NAME` prints the builtin's documentation; an unknown name is a usage error.
#[test]
fn doc_builtins() {
    let dir = tree("doc-builtins", &[]);
    insta::assert_snapshot!(transcript(&dir, &[
        &["doc", "builtins", "sort"],
        &["doc", "builtins", "builtins.map"],
        &["doc", "builtins", "nope"],
    ]));
}

/// `lixc eval` reads a file's edition from the nearest `lix.toml`, also for imported files; a
/// pragma wins over it.
#[test]
fn eval_edition_from_lix_toml() {
    let dir = tree(
        "eval-lix-toml",
        &[
            ("lix.toml", b"edition = \"2026\"\n"),
            ("sub/pipes.nix", b"[ 1 2 ] |> map (x: x * 2)\n"),
            ("main.nix", b"import ./sub/pipes.nix\n"),
            ("old.nix", b"# edition = \"2024\"\n[ 1 2 ] |> map (x: x)\n"),
        ],
    );
    insta::assert_snapshot!(transcript(&dir, &[
        &["eval", "--strict", "main.nix"],
        &["eval", "--error-format", "nix", "old.nix"],
    ]));
}
