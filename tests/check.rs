//! End-to-end tests of `lixc check`'s lints: output formats, `--deny`, `--fix` (in place, dry
//! run, unsafe), `lix.toml`'s `[check]` table, suppression comments, `--explain` and `--watch`.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

mod common;
use common::Run;

fn lixc(dir: &Path, args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_lixc"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .output()
        .expect("lixc runs");
    Run::from_output(dir, out)
}

fn tree(name: &str, files: &[(&str, &str)]) -> PathBuf {
    common::tree("check", name, files)
}

const SAMPLE: &str = "{ lib, pkgs }:\nlet\n  unused = 1;\n  mkIf = lib.mkIf;\nin\n{\n  a = (mkIf);\n  b = builtins.map;\n  c = mpa;\n  src = https://example.org;\n}\n";

#[test]
fn human_output_and_deny() {
    let dir = tree("human", &[("a.nix", SAMPLE), ("hints.nix", "x: builtins.map toString x\n")]);
    let run = lixc(&dir, &["check", "a.nix"]);
    assert_eq!(run.code, 1);
    insta::assert_snapshot!(run.render());
    // Hints alone do not fail a run, unless asked to.
    assert_eq!(lixc(&dir, &["check", "hints.nix"]).code, 0);
    assert_eq!(lixc(&dir, &["check", "--deny", "hint", "hints.nix"]).code, 1);
    assert_eq!(lixc(&dir, &["check", "--deny", "error", "--disable", "L018", "hints.nix"]).code, 0);
}

#[test]
fn json_sarif_and_github_formats() {
    let dir = tree("formats", &[("a.nix", SAMPLE)]);
    let json = lixc(&dir, &["check", "--format", "json", "a.nix"]);
    let value: serde_json::Value = serde_json::from_str(&json.stdout).expect("valid JSON");
    insta::assert_json_snapshot!("json", value);

    let sarif = lixc(&dir, &["check", "--format", "sarif", "a.nix"]);
    let value: serde_json::Value = serde_json::from_str(&sarif.stdout).expect("valid JSON");
    assert_eq!(value["version"], "2.1.0");
    let run = &value["runs"][0];
    assert_eq!(run["tool"]["driver"]["name"], "lixc");
    assert!(run["tool"]["driver"]["rules"].as_array().is_some_and(|r| r.len() >= 22));
    let results = run["results"].as_array().expect("results");
    assert_eq!(results.len(), value_len(&json.stdout));
    let first = &results[0];
    assert_eq!(first["ruleId"], "L003");
    assert_eq!(first["locations"][0]["physicalLocation"]["region"]["startLine"], 1);
    assert!(results.iter().any(|r| r["fixes"][0]["artifactChanges"][0]["replacements"].is_array()));

    let github = lixc(&dir, &["check", "--format", "github", "a.nix"]);
    assert_eq!(github.code, 1);
    insta::assert_snapshot!("github", github.stdout);
}

fn value_len(json: &str) -> usize {
    serde_json::from_str::<serde_json::Value>(json).ok().and_then(|v| v.as_array().map(Vec::len)).unwrap_or(0)
}

#[test]
fn fix_in_place_dry_run_and_unsafe() {
    let dir = tree("fix", &[("a.nix", SAMPLE), ("b.nix", "x: if x.y then true else false\n")]);
    let dry = lixc(&dir, &["check", "--fix", "--dry-run", "a.nix"]);
    insta::assert_snapshot!("dry_run", dry.render());
    assert_eq!(std::fs::read_to_string(dir.join("a.nix")).expect("readable"), SAMPLE, "--dry-run writes nothing");

    let fixed = lixc(&dir, &["check", "--fix", "a.nix", "b.nix"]);
    insta::assert_snapshot!("fixed", fixed.render());
    insta::assert_snapshot!("fixed_text", std::fs::read_to_string(dir.join("a.nix")).expect("readable"));
    // The unsafe fix is not applied by --fix, only by --fix-unsafe.
    assert_eq!(std::fs::read_to_string(dir.join("b.nix")).expect("readable"), "x: if x.y then true else false\n");
    let run = lixc(&dir, &["check", "--fix-unsafe", "b.nix"]);
    assert_eq!(run.code, 0, "{}", run.render());
    assert_eq!(std::fs::read_to_string(dir.join("b.nix")).expect("readable"), "x: x.y\n");
    // Fixing again changes nothing.
    let again = lixc(&dir, &["check", "--fix", "a.nix"]);
    assert!(!again.stderr.contains("applied"), "{}", again.render());
}

#[test]
fn lix_toml_check_table() {
    let dir = tree("config", &[
        (
            "lix.toml",
            "edition = \"2026\"\n\n[check]\ndisable = [\"useless-parens\"]\nignore = [\"vendor/**\"]\nno-lambda-arg = true\n\n[check.severity]\nL018 = \"error\"\nL001 = \"off\"\n",
        ),
        ("a.nix", "let unused = 1; in x: (builtins.map)\n"),
        ("vendor/skip.nix", "(((\n"),
        ("vendor/pipe.nix", "1 |> (x: x + 1)\n"),
    ]);
    let run = lixc(&dir, &["check", "--verbose"]);
    insta::assert_snapshot!(run.render());
    // The editions' reader of lix.toml tolerates the [check] table.
    let eval = lixc(&dir, &["eval", "vendor/pipe.nix"]);
    assert_eq!(eval.stdout, "2\n", "{}", eval.render());

    let bad = tree("config-bad", &[("lix.toml", "[check]\ndisable = [\"L999\"]\n"), ("a.nix", "1\n")]);
    let run = lixc(&bad, &["check"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("unknown lint 'L999'"), "{}", run.stderr);
}

#[test]
fn suppression_comments() {
    let dir = tree("allow", &[(
        "a.nix",
        "let\n  # lixc: allow(unused-let)\n  a = 1;\n  b = 2; # lixc: allow(L001)\n  c = 3;\n  d = (1); # lixc: allow(L001)\nin\n0\n",
    )]);
    let run = lixc(&dir, &["check", "--format", "json", "a.nix"]);
    let value: serde_json::Value = serde_json::from_str(&run.stdout).expect("valid JSON");
    let found: Vec<String> = value
        .as_array()
        .expect("array")
        .iter()
        .map(|d| format!("{} line {}", d["code"].as_str().unwrap_or(""), d["range"]["start_pos"]["line"]))
        .collect();
    assert_eq!(found, ["L001 line 5", "L011 line 6"]);
}

#[test]
fn explain_and_list() {
    let dir = tree("explain", &[]);
    let run = lixc(&dir, &["check", "--explain", "L007"]);
    assert_eq!(run.code, 0);
    insta::assert_snapshot!("explain", run.stdout);
    assert_eq!(lixc(&dir, &["check", "--explain", "manual-inherit"]).code, 0);
    assert_eq!(lixc(&dir, &["check", "--explain", "L999"]).code, 2);
    let list = lixc(&dir, &["check", "--list-lints"]);
    insta::assert_snapshot!("list", list.stdout);
}

#[test]
fn did_you_mean() {
    let dir = tree("suggest", &[("a.nix", "let value = 1; in [ vaule mpa ]\n")]);
    let run = lixc(&dir, &["check", "--format", "json", "a.nix"]);
    let value: serde_json::Value = serde_json::from_str(&run.stdout).expect("valid JSON");
    let helps: Vec<&str> = value.as_array().expect("array").iter().filter_map(|d| d["help"].as_str()).collect();
    assert_eq!(helps, ["did you mean 'value'?", "did you mean 'map'?"]);
}

#[test]
fn watch_rechecks_changed_files() {
    let dir = tree("watch", &[("a.nix", "let x = 1; in x\n"), ("b.nix", "[ 1 ]\n")]);
    let mut child = Command::new(env!("CARGO_BIN_EXE_lixc"))
        .args(["check", "--watch", "--watch-rounds", "1", "."])
        .current_dir(&dir)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("lixc runs");
    let mut stderr = BufReader::new(child.stderr.take().expect("stderr"));
    let mut seen = String::new();
    let mut line = String::new();
    while !seen.contains("watching for changes") {
        line.clear();
        if stderr.read_line(&mut line).expect("readable") == 0 {
            break;
        }
        seen.push_str(&line);
    }
    assert!(seen.contains("checked 2 files: 0 errors\n"), "{seen}");
    std::fs::write(dir.join("a.nix"), "let x = 1; y = 2; in x\n").expect("write");
    let start = Instant::now();
    loop {
        if child.try_wait().expect("waitable").is_some() {
            break;
        }
        if start.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!("--watch did not notice the change: {seen}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let mut rest = String::new();
    stderr.read_to_string(&mut rest).expect("readable");
    let mut stdout = String::new();
    child.stdout.take().expect("stdout").read_to_string(&mut stdout).expect("readable");
    assert!(rest.contains("1 file changed; re-checked 1 file"), "{rest}");
    assert!(rest.contains("checked 2 files: 0 errors, 1 warning"), "{rest}");
    assert!(stdout.contains("'y' is bound but never used"), "{stdout}");
}

#[test]
fn fix_standard_input_prints_the_fixed_text() {
    let dir = tree("stdin", &[]);
    let mut child = Command::new(env!("CARGO_BIN_EXE_lixc"))
        .args(["check", "--fix", "-"])
        .current_dir(&dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("lixc runs");
    std::io::Write::write_all(&mut child.stdin.take().expect("stdin"), b"let a = 1; b = (2); in b\n").expect("write");
    let out = child.wait_with_output().expect("lixc finishes");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "let b = 2; in b\n");
}
