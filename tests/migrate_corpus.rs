//! `lixc migrate --to 2026` over every `.nix` file of `../shared/conformance` and
//! `../shared/bench`: each migrated file parses under 2026, keeps every comment, and migrating
//! it again changes nothing; where the original evaluates, the migrated program (every file of the suite
//! migrated together, in a copy of the suite) prints the same value, with and without
//! `--modernize=pipes,inherits`. Bench programs take too long in a debug build to evaluate
//! three times, so for them the lowered expressions are compared instead (equal HIR, equal
//! value), and only programs whose HIR differs are evaluated. Prints counts.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::sync::Mutex;

use lix_editions::migrate::{migrate, MigrateError, MigrateOptions, Modernize};
use lix_editions::Edition;

/// Tests whose value depends on the bytes of the migrated files themselves, so no rewrite can
/// keep it: they must differ (a listed test that starts to agree fails the run, so the list
/// stays true).
const CONTENT_DEPENDENT: &[(&str, &str)] = &[
    ("eval-okay-path", "hashes the directory 'lang/dir1', whose .nix files are migrated"),
    ("eval-okay-readfile", "reads its own text"),
    ("eval-okay-toJSON-peel", "holds the store path of 'lang/dir1/a.nix', which is migrated"),
    ("eval-okay-toString-peel", "holds the store path of 'lang/dir1/a.nix', which is migrated"),
];

const MODERNIZE: Modernize = Modernize { pipes: true, inherits: true, lib_pipe: true };

fn shared_dir() -> Option<PathBuf> {
    let dir = match std::env::var_os("LIXC_CONFORMANCE_DIR") {
        Some(dir) => PathBuf::from(dir).join(".."),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared"),
    };
    dir.join("conformance").is_dir().then_some(dir)
}

/// Every regular file below `dir`, relative to it, sorted.
fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![PathBuf::new()];
    while let Some(rel) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(dir.join(&rel)) else { continue };
        for entry in entries.flatten() {
            let rel = rel.join(entry.file_name());
            match entry.file_type() {
                Ok(t) if t.is_dir() => stack.push(rel),
                Ok(_) => out.push(rel),
                Err(_) => {}
            }
        }
    }
    out.sort();
    out
}

/// Copies the tree `from` to `to` (symbolic links as links).
fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    for rel in walk(from) {
        let (src, dst) = (from.join(&rel), to.join(&rel));
        if let Some(parent) = dst.parent() {
            std::fs::create_dir_all(parent)?;
        }
        match std::fs::read_link(&src) {
            Ok(target) => std::os::unix::fs::symlink(target, &dst)?,
            Err(_) => {
                std::fs::copy(&src, &dst)?;
                let mut perms = std::fs::metadata(&dst)?.permissions();
                #[allow(clippy::permissions_set_readonly_false)]
                perms.set_readonly(false);
                std::fs::set_permissions(&dst, perms)?;
            }
        }
    }
    Ok(())
}

fn options(from: Edition, path: &Path, modernize: Modernize) -> MigrateOptions {
    MigrateOptions {
        from,
        to: Edition::E2026,
        modernize,
        file_name: path.file_name().map(|n| n.to_string_lossy().into_owned()),
    }
}

/// How one file fared.
#[derive(Default)]
struct Counts {
    files: usize,
    changed: usize,
    modernized: usize,
    not_parsing: usize,
    refused: BTreeMap<String, String>,
    failures: Vec<String>,
}

/// Migrates one file both ways, checks the results, and returns (plain, modernised) texts.
fn migrate_file(path: &Path, counts: &mut Counts) -> Option<(String, String)> {
    counts.files += 1;
    let bytes = std::fs::read(path).ok()?;
    let text = lix_syntax::source::decode(&bytes).map(|t| t.into_owned()).ok()?;
    let name = path.display().to_string();
    let plain = migrate(&text, &options(Edition::E2024, path, Modernize::default()));
    let modern = migrate(&text, &options(Edition::E2024, path, MODERNIZE));
    let (plain, modern) = match (plain, modern) {
        (Ok(p), Ok(m)) => (p, m),
        (Err(MigrateError::Syntax { .. } | MigrateError::Edition { .. }), _) => {
            counts.not_parsing += 1;
            return None;
        }
        (Err(MigrateError::Refused { pass, refusal }), _) => {
            counts.refused.insert(name, format!("{pass}: {refusal}"));
            return None;
        }
        (Err(e), _) | (_, Err(e)) => {
            counts.failures.push(format!("{name}: {e}"));
            return None;
        }
    };
    for (what, migrated, modernize) in [("plain", &plain, Modernize::default()), ("modernized", &modern, MODERNIZE)] {
        let parse = lix_syntax::parse(&migrated.text);
        let violations = lix_editions::check(&parse.syntax(), Edition::E2026);
        if !parse.errors().is_empty() || !violations.is_empty() {
            counts.failures.push(format!("{name} ({what}): does not parse under 2026: {:?} {violations:?}", parse.errors()));
        }
        match migrate(&migrated.text, &options(Edition::E2026, path, modernize)) {
            Ok(again) if !again.changed() => {}
            Ok(again) => counts.failures.push(format!("{name} ({what}): not idempotent: {:?}\n{}", again.changes, again.text)),
            Err(e) => counts.failures.push(format!("{name} ({what}): migrating again fails: {e}")),
        }
    }
    // Lossless: every comment of the original is still there (the pragma aside).
    let original_comments = comments(&text);
    for (what, migrated) in [("plain", &plain.text), ("modernized", &modern.text)] {
        let mut kept = comments(migrated);
        if let Some(i) = kept.iter().position(|c| c.as_str() == "# edition = \"2026\"") {
            kept.remove(i);
        }
        if kept != original_comments {
            counts.failures.push(format!("{name} ({what}): comments changed: {original_comments:?} became {kept:?}"));
        }
    }
    counts.changed += usize::from(plain.changed());
    counts.modernized += usize::from(modern.text != plain.text);
    Some((plain.text, modern.text))
}

/// The comments of `text`, sorted.
fn comments(text: &str) -> Vec<String> {
    let root = lix_syntax::parse(text).syntax();
    let mut found: Vec<String> = root
        .descendants_with_tokens()
        .filter_map(|e| e.into_token())
        .filter(|t| t.kind() == lix_syntax::SyntaxKind::COMMENT)
        .map(|t| t.text().to_string())
        .collect();
    found.sort();
    found
}

/// The printed value and exit status of `lixc eval FLAGS lang/NAME.nix` in `cwd`, with the
/// working directory written `/pwd`.
fn evaluate(cwd: &Path, name: &str, flags: &[String]) -> (Option<i32>, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_lixc"))
        .arg("eval")
        .args(flags)
        .arg(format!("lang/{name}.nix"))
        .current_dir(cwd)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("TEST_VAR", "foo")
        .env("NIX_STORE_DIR", "/nix/store")
        .env("NIX_PATH", "lang/dir3:lang/dir4")
        .env("HOME", "/fake-home")
        .output();
    match output {
        Ok(out) => {
            let stdout = String::from_utf8_lossy(&out.stdout).replace(&cwd.display().to_string(), "/pwd");
            (out.status.code(), stdout)
        }
        Err(e) => (None, format!("cannot run lixc: {e}")),
    }
}

/// The flags the reference runs eval-okay test `name` with.
fn flags_of(lang: &Path, name: &str) -> Vec<String> {
    if lang.join(format!("{name}.exp.xml")).exists() {
        return ["--eval", "--xml", "--no-location", "--strict"].map(String::from).to_vec();
    }
    let mut flags: Vec<String> = std::fs::read_to_string(lang.join(format!("{name}.flags")))
        .unwrap_or_default()
        .lines()
        .map(|l| l.split('#').next().unwrap_or(""))
        .flat_map(|l| l.split_whitespace().map(String::from).collect::<Vec<_>>())
        .collect();
    flags.extend(["--eval".to_string(), "--strict".to_string()]);
    flags
}

/// The lowered expression of `text` under `edition`, printed.
fn hir(text: &str, edition: Edition, dir: &Path) -> String {
    use lix_syntax::ast::AstNode;
    let parse = lix_syntax::parse(text);
    let Some(root) = lix_syntax::ast::Root::cast(parse.syntax()) else { return String::new() };
    let config = lix_hir::lower::LowerConfig { edition, base_dir: dir.display().to_string(), home: None };
    lix_hir::print::print_nix(&lix_hir::lower::lower(&root, &config).body)
}

fn run() -> Result<ExitCode, String> {
    let Some(shared) = shared_dir() else {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            return Err("../shared/conformance not found; required under CI=true".into());
        }
        println!("conformance suite not found; skipping");
        return Ok(ExitCode::SUCCESS);
    };
    let suite = shared.join("conformance/nix").canonicalize().map_err(|e| e.to_string())?;
    let scratch = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("migrate-corpus");
    let _ = std::fs::remove_dir_all(&scratch);
    let (plain_root, modern_root) = (scratch.join("plain"), scratch.join("modern"));
    for root in [&plain_root, &modern_root] {
        copy_tree(&suite.join("lang"), &root.join("lang")).map_err(|e| format!("copying the suite: {e}"))?;
    }
    let mut counts = Counts::default();
    for rel in walk(&suite.join("lang")) {
        if rel.extension().is_none_or(|e| e != "nix") {
            continue;
        }
        let path = suite.join("lang").join(&rel);
        if let Some((plain, modern)) = migrate_file(&path, &mut counts) {
            for (root, text) in [(&plain_root, plain), (&modern_root, modern)] {
                std::fs::write(root.join("lang").join(&rel), &*lix_syntax::source::encode(&text))
                    .map_err(|e| e.to_string())?;
            }
        }
    }
    // Evaluation: each eval-okay test, original against both migrated copies.
    let lang = suite.join("lang");
    let names: Vec<String> = walk(&lang)
        .into_iter()
        .filter_map(|p| p.to_str().and_then(|s| s.strip_suffix(".nix")).map(str::to_string))
        .filter(|n| n.starts_with("eval-okay-") && !lang.join(format!("{n}.exp-disabled")).exists())
        .collect();
    let queue = Mutex::new(names.into_iter());
    let results = Mutex::new((0usize, 0usize, Vec::<String>::new()));
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| {
                while let Some(name) = queue.lock().map(|mut q| q.next()).ok().flatten() {
                let flags = flags_of(&lang, &name);
                let original = evaluate(&suite, &name, &flags);
                let mut mismatches = Vec::new();
                let known = CONTENT_DEPENDENT.iter().any(|(n, _)| *n == name);
                if original.0 == Some(0) {
                    for (what, root) in [("plain", &plain_root), ("modernized", &modern_root)] {
                        let run = evaluate(root, &name, &flags);
                        if run != original && !known {
                            mismatches.push(format!("{name} ({what}): {run:?}, the original gives {original:?}"));
                        } else if run == original && known {
                            mismatches.push(format!("{name} ({what}): listed in CONTENT_DEPENDENT, but agrees"));
                        }
                    }
                }
                let Ok(mut results) = results.lock() else { break };
                if original.0 == Some(0) {
                    results.0 += 1;
                } else {
                    results.1 += 1;
                }
                results.2.extend(mismatches);
                }
            });
        }
    });
    let (evaluated, not_evaluating, eval_failures) = results.into_inner().map_err(|e| e.to_string())?;
    counts.failures.extend(eval_failures);
    // Bench programs: equal lowered expressions, else evaluate.
    let bench = shared.join("bench").canonicalize().map_err(|e| e.to_string())?;
    let mut bench_same_hir = 0;
    for rel in walk(&bench) {
        if rel.extension().is_none_or(|e| e != "nix") || rel.components().count() != 1 {
            continue;
        }
        let path = bench.join(&rel);
        let Some((plain, modern)) = migrate_file(&path, &mut counts) else { continue };
        let original = std::fs::read_to_string(&path).map_err(|e| e.to_string())?;
        let before = hir(&original, Edition::E2024, &bench);
        for (what, text) in [("plain", plain), ("modernized", modern)] {
            if hir(&text, Edition::E2026, &bench) == before {
                bench_same_hir += 1;
            } else {
                counts.failures.push(format!("{} ({what}): the lowered expression changed", rel.display()));
            }
        }
    }
    println!(
        "migrate corpus: {} files: {} changed by the migration, {} more by --modernize, {} refused, {} do not parse under their edition",
        counts.files,
        counts.changed,
        counts.modernized,
        counts.refused.len(),
        counts.not_parsing
    );
    for (name, reason) in &counts.refused {
        println!("  refused: {name}: {reason}");
    }
    println!(
        "  eval-okay tests: {evaluated} evaluate and were compared (plain and modernized), {not_evaluating} do not evaluate in lixc"
    );
    println!("  bench programs: {bench_same_hir} migrations with the same lowered expression");
    for (name, why) in CONTENT_DEPENDENT {
        println!("  differs as it must: {name}: {why}");
    }
    if counts.failures.is_empty() {
        println!("migrate corpus: ok");
        Ok(ExitCode::SUCCESS)
    } else {
        for f in &counts.failures {
            println!("FAIL {f}");
        }
        Err(format!("{} failures", counts.failures.len()))
    }
}

fn main() -> ExitCode {
    match run() {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
