//! Runs the eval-okay and eval-fail tests of CppNix's language suite (`../shared/conformance/nix/lang`)
//! through an evaluator as a subprocess, the way the suite's README says the reference runs them, and
//! grades the outputs:
//!
//! - eval-okay: exit 0, stdout equals `T.exp` (or `T.exp.xml`), and stderr equals `T.err.exp` where one
//!   exists. Where none exists stderr is not compared (the reference wants it empty; we are lenient
//!   until lixc's warnings settle).
//! - eval-fail: three figures, exit 1 ("status"), status and the final `error: …` message match
//!   ("message", the pass criterion), and the whole stderr equals `T.err.exp` ("full trace").
//!
//! The evaluator is `lixc eval` unless `LIXC_CONFORMANCE_EVALUATOR` names another command (shell-split),
//! e.g. `nix-instantiate` to check the harness against the reference. Other variables:
//! `LIXC_CONFORMANCE_FILTER` (run only tests whose name contains it), `LIXC_CONFORMANCE_VERBOSE=1`
//! (one line per failing test), `LIXC_CONFORMANCE_EXTRA_ENV="K=V K2=V2"` (more environment for the
//! evaluator), `LIXC_CONFORMANCE_BLESS=1` (rewrite the expected-failures list) and, as for the parse
//! runner, `LIXC_CONFORMANCE_DIR` (the suite's root; without a suite the run is skipped, except
//! under `CI=true`).
//!
//! Every test that passes is then run again with `LIXC_GC_STRESS=1` in the evaluator's environment
//! (a collection at every safe point, so a value the VM forgot to root is freed and the poisoned
//! slot panics on its next use), and must give the same exit code, stdout and stderr as its normal
//! run. The whole suite is rerun, not a subset: in a debug build the pass takes a few seconds.
//! `LIXC_CONFORMANCE_GC_STRESS=0` skips it; it is not run for another evaluator or when blessing.
//!
//! Known failures are listed in `tests/conformance/eval-expected-failures.txt` as `name<TAB>reason`.
//! The list is a ratchet: an unlisted test that fails and a listed test that passes both fail the run.
//! Blessing keeps the reasons of listed tests that still fail, except the placeholder
//! [`PLACEHOLDER_REASON`], and gives new failures a reason from their output.

use std::collections::BTreeMap;
use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Mutex};
use std::time::{Duration, Instant};

/// How long one evaluation may run before it is killed and counted as a failure.
const TIMEOUT: Duration = Duration::from_secs(10);

/// How many evaluations run at once.
const THREADS: usize = 2;

/// The expected-failures list, relative to the workspace root.
const EXPECTED_FAILURES: &str = "tests/conformance/eval-expected-failures.txt";

/// The reason listed for every test before `lixc eval` existed; blessing replaces it with the
/// reason of the actual failure instead of keeping it.
const PLACEHOLDER_REASON: &str = "evaluator not yet implemented";

/// Identifiers whose use means a test needs a Nix store (writing to it or computing store paths).
const STORE_IDENTIFIERS: &[&str] = &[
    "derivation",
    "derivationStrict",
    "storePath",
    "toFile",
    "placeholder",
    "builtins.path",
    "fetchurl",
    "fetchTarball",
    "fetchGit",
    "fetchTree",
    "filterSource",
    "outputOf",
    "unsafeDiscardOutputDependency",
    "addDrvOutputDependencies",
];

/// The two kinds of evaluation test.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    /// `eval-okay-*`: evaluates to the value in `.exp`.
    Okay,
    /// `eval-fail-*`: fails with the error in `.err.exp`.
    Fail,
}

/// One test of the suite, with what it expects.
#[derive(Debug)]
struct Test {
    /// The file name without `.nix`, e.g. `eval-okay-arithmetic`.
    name: String,
    kind: Kind,
    /// The arguments before the file, from `.flags` or the README's defaults.
    flags: Vec<String>,
    /// Expected stdout (eval-okay only).
    stdout: Option<String>,
    /// Expected stderr: `.err.exp` where it exists.
    stderr: Option<String>,
    /// Why the test is not run, if it is not.
    skip: Option<String>,
    /// Whether the source uses one of [`STORE_IDENTIFIERS`].
    needs_store: bool,
}

/// What an evaluator run gave.
#[derive(Debug, Default)]
struct Run {
    /// The exit code; `None` when killed by a signal or not started.
    code: Option<i32>,
    timed_out: bool,
    stdout: String,
    stderr: String,
    /// Why the evaluator could not be started, if it could not.
    spawn_error: Option<String>,
}

/// How a run compares with what its test expects.
#[derive(Debug, Default, Clone)]
struct Grade {
    /// The ratchet's criterion: eval-okay all equal; eval-fail status and final message.
    passed: bool,
    /// eval-fail only: exit code 1.
    status: bool,
    /// eval-fail only: the whole stderr equals.
    full: bool,
    /// One line saying why it failed, for the verbose listing.
    detail: String,
    /// A short reason for the expected-failures list.
    reason: String,
}

/// Where the per-run environment differs from the harness's own.
struct Environment {
    /// The directory containing `lang/`, canonicalised (it becomes `/pwd` in outputs).
    cwd: PathBuf,
    /// A directory for the scratch `HOME`s of eval-fail tests.
    scratch: PathBuf,
    /// `LIXC_CONFORMANCE_EXTRA_ENV`, split.
    extra: Vec<(String, String)>,
}

/// Splits `text` into words the way a POSIX shell does, with `'…'`, `"…"` and `\` quoting but no
/// expansions.
fn shell_split(text: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut word: Option<String> = None;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => words.extend(word.take()),
            '\'' => {
                let w = word.get_or_insert_with(String::new);
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => w.push(c),
                        None => return Err(format!("unterminated single quote in `{text}`")),
                    }
                }
            }
            '"' => {
                let w = word.get_or_insert_with(String::new);
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(c @ ('"' | '\\' | '$' | '`')) => w.push(c),
                            Some('\n') => {}
                            Some(c) => {
                                w.push('\\');
                                w.push(c);
                            }
                            None => return Err(format!("unterminated double quote in `{text}`")),
                        },
                        Some(c) => w.push(c),
                        None => return Err(format!("unterminated double quote in `{text}`")),
                    }
                }
            }
            '\\' => match chars.next() {
                Some('\n') => {}
                Some(c) => word.get_or_insert_with(String::new).push(c),
                None => return Err(format!("trailing backslash in `{text}`")),
            },
            c => word.get_or_insert_with(String::new).push(c),
        }
    }
    words.extend(word);
    Ok(words)
}

/// The arguments of a `.flags` file: `#` starts a comment to the end of its line (as the
/// reference's `sed -e 's/#.*//'`), and the rest is shell-split.
fn parse_flags(text: &str) -> Result<Vec<String>, String> {
    let uncommented: Vec<&str> = text.lines().map(|l| l.split_once('#').map_or(l, |(before, _)| before)).collect();
    shell_split(&uncommented.join("\n"))
}

/// The suite's root: `$LIXC_CONFORMANCE_DIR` or `../shared/conformance`, if it exists.
fn conformance_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("LIXC_CONFORMANCE_DIR") {
        return Some(PathBuf::from(dir));
    }
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/conformance");
    dir.is_dir().then_some(dir)
}

/// Reads a file that may be absent; a file that exists but cannot be read is an error.
fn read_optional(path: &Path) -> Result<Option<String>, String> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(Some(String::from_utf8_lossy(&bytes).into_owned())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!("{}: {e}", path.display())),
    }
}

/// Whether `source` uses one of [`STORE_IDENTIFIERS`] as a whole identifier.
fn uses_store(source: &str) -> bool {
    let is_ident = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '\'' || c == '-';
    STORE_IDENTIFIERS.iter().any(|id| {
        source.match_indices(id).any(|(at, _)| {
            let before = source[..at].chars().next_back();
            let after = source[at + id.len()..].chars().next();
            !before.is_some_and(is_ident) && !after.is_some_and(is_ident)
        })
    })
}

/// The eval-okay and eval-fail tests in `lang`, sorted by name, with their expectations.
fn discover_tests(lang: &Path) -> Result<Vec<Test>, String> {
    let entries = std::fs::read_dir(lang).map_err(|e| format!("{}: {e}", lang.display()))?;
    let mut names: Vec<String> = entries
        .filter_map(Result::ok)
        .filter_map(|e| e.file_name().to_str().map(str::to_string))
        .filter_map(|n| n.strip_suffix(".nix").map(str::to_string))
        .filter(|n| n.starts_with("eval-okay-") || n.starts_with("eval-fail-"))
        .collect();
    names.sort();
    let mut tests = Vec::new();
    for name in names {
        let file = |ext: &str| lang.join(format!("{name}.{ext}"));
        let kind = if name.starts_with("eval-okay-") { Kind::Okay } else { Kind::Fail };
        let source = read_optional(&file("nix"))?.unwrap_or_default();
        let flags = match read_optional(&file("flags"))? {
            Some(text) => Some(parse_flags(&text).map_err(|e| format!("{name}.flags: {e}"))?),
            None => None,
        };
        let stderr = read_optional(&file("err.exp"))?;
        let mut skip = None;
        let (flags, stdout) = match kind {
            Kind::Okay => match read_optional(&file("exp.xml"))? {
                Some(xml) => (
                    vec!["--eval", "--xml", "--no-location", "--strict"].into_iter().map(String::from).collect(),
                    Some(xml),
                ),
                None => {
                    if file("exp-disabled").exists() {
                        skip = Some(format!("{name}.exp-disabled exists"));
                    }
                    let mut flags = flags.unwrap_or_default();
                    flags.extend(["--eval".to_string(), "--strict".to_string()]);
                    (flags, read_optional(&file("exp"))?)
                }
            },
            Kind::Fail => {
                let default = || ["--eval", "--strict", "--show-trace"].into_iter().map(String::from).collect();
                (flags.unwrap_or_else(default), None)
            }
        };
        if skip.is_none() && kind == Kind::Okay && stdout.is_none() {
            return Err(format!("{name}: no .exp, .exp.xml or .exp-disabled"));
        }
        if kind == Kind::Fail && stderr.is_none() {
            return Err(format!("{name}: no .err.exp"));
        }
        tests.push(Test { needs_store: uses_store(&source), name, kind, flags, stdout, stderr, skip });
    }
    Ok(tests)
}

/// The command line for `test`: the evaluator, the flags, then `lang/T.nix`.
fn command_line(evaluator: &[String], test: &Test) -> Vec<String> {
    let mut args = evaluator.to_vec();
    args.extend(test.flags.iter().cloned());
    args.push(format!("lang/{}.nix", test.name));
    args
}

/// The variables to set for `test`'s run (every other `NIX_*` variable is removed).
fn environment_for(test: &Test, home: &Path, env: &Environment) -> Vec<(String, String)> {
    let mut vars =
        vec![("TEST_VAR".to_string(), "foo".to_string()), ("NIX_STORE_DIR".to_string(), "/nix/store".to_string())];
    match test.kind {
        Kind::Okay => {
            vars.push(("NIX_PATH".to_string(), "lang/dir3:lang/dir4".to_string()));
            vars.push(("HOME".to_string(), "/fake-home".to_string()));
        }
        Kind::Fail => vars.push(("HOME".to_string(), home.display().to_string())),
    }
    vars.extend(env.extra.iter().cloned());
    vars
}

/// Runs `args` in `cwd` with `vars`, killing it after `timeout`.
fn run_with_timeout(args: &[String], cwd: &Path, vars: &[(String, String)], timeout: Duration) -> Run {
    let Some((program, rest)) = args.split_first() else {
        return Run { spawn_error: Some("empty evaluator command".to_string()), ..Run::default() };
    };
    let mut command = Command::new(program);
    command.args(rest).current_dir(cwd).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    // A group of its own, so that a timeout kills what the evaluator started too.
    command.process_group(0);
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("NIX_") {
            command.env_remove(key);
        }
    }
    command.envs(vars.iter().map(|(k, v)| (k, v)));
    let mut child = match command.spawn() {
        Ok(child) => child,
        Err(e) => return Run { spawn_error: Some(format!("cannot run `{program}`: {e}")), ..Run::default() },
    };
    // Read both pipes on their own threads so a chatty child cannot block on a full pipe.
    let drain = |pipe: Option<Box<dyn Read + Send>>| {
        let (sender, receiver) = mpsc::channel();
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.read_to_end(&mut bytes);
            }
            let _ = sender.send(String::from_utf8_lossy(&bytes).into_owned());
        });
        receiver
    };
    let stdout = drain(child.stdout.take().map(|p| Box::new(p) as Box<dyn Read + Send>));
    let stderr = drain(child.stderr.take().map(|p| Box::new(p) as Box<dyn Read + Send>));
    let start = Instant::now();
    let mut timed_out = false;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if start.elapsed() >= timeout => {
                timed_out = true;
                kill_group(&mut child);
                break child.wait().ok();
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(5)),
            Err(_) => break None,
        }
    };
    // A process that left the group may still hold a pipe: do not wait for it for long.
    let collect = |receiver: mpsc::Receiver<String>| receiver.recv_timeout(Duration::from_secs(2)).unwrap_or_default();
    Run {
        code: if timed_out { None } else { status.and_then(|s| s.code()) },
        timed_out,
        stdout: collect(stdout),
        stderr: collect(stderr),
        spawn_error: None,
    }
}

/// Kills `child`'s process group (it leads one, see [`run_with_timeout`]), or at least `child`.
fn kill_group(child: &mut Child) {
    let group = format!("-{}", child.id());
    let killed = Command::new("kill").args(["-KILL", "--", &group]).stderr(Stdio::null()).status();
    if !killed.is_ok_and(|s| s.success()) {
        let _ = child.kill();
    }
}

/// Replaces every run of ASCII digits with `<number>`.
fn replace_numbers(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_number = false;
    for c in text.chars() {
        if c.is_ascii_digit() {
            if !in_number {
                out.push_str("<number>");
            }
            in_number = true;
        } else {
            out.push(c);
            in_number = false;
        }
    }
    out
}

/// What the reference's runner does to an output before comparing: the working directory becomes
/// `/pwd`, and for `eval-fail-derivation-name` numbers become `<number>`.
fn normalise(text: &str, cwd: &Path, test_name: &str) -> String {
    let text = text.replace(&cwd.display().to_string(), "/pwd");
    if test_name == "eval-fail-derivation-name" {
        replace_numbers(&text)
    } else {
        text
    }
}

/// The final `error: …` message of a stderr: the last line that starts with `error:` (after its
/// indentation), and the lines that continue it, up to a blank line, a location line (`at …`) or a
/// trace frame (`… …`). Lines are trimmed, so indentation does not count.
fn final_error(stderr: &str) -> Option<Vec<&str>> {
    let lines: Vec<&str> = stderr.lines().collect();
    let start = lines.iter().rposition(|l| l.trim_start().starts_with("error:"))?;
    let mut message = vec![lines[start].trim()];
    for line in &lines[start + 1..] {
        let line = line.trim();
        if line.is_empty() || line.starts_with("at ") || line.starts_with('…') {
            break;
        }
        message.push(line);
    }
    Some(message)
}

/// Cuts `text` to at most `max` characters, marking the cut.
fn shorten(text: &str, max: usize) -> String {
    let text = text.replace('\t', " ");
    if text.chars().count() <= max {
        text
    } else {
        format!("{}…", text.chars().take(max).collect::<String>())
    }
}

/// Where `actual` first differs from `expected`, in one line.
fn first_difference(what: &str, expected: &str, actual: &str) -> String {
    let (e, a): (Vec<&str>, Vec<&str>) = (expected.lines().collect(), actual.lines().collect());
    let at = (0..e.len().max(a.len())).find(|&i| e.get(i) != a.get(i));
    match at {
        Some(i) => {
            let show = |l: Option<&&str>| l.map_or("<end>".to_string(), |l| format!("`{}`", shorten(l, 80)));
            format!("{what} differs at line {}: expected {}, got {}", i + 1, show(e.get(i)), show(a.get(i)))
        }
        None => format!("{what} differs in line endings or a final newline"),
    }
}

/// The first line of the error in `stderr`, for a reason: the final message if there is one,
/// else the first non-blank line.
fn error_summary(stderr: &str) -> String {
    let line = final_error(stderr)
        .and_then(|m| m.into_iter().find(|l| *l != "error:"))
        .or_else(|| stderr.lines().map(str::trim).find(|l| !l.is_empty()))
        .unwrap_or("no output on stderr");
    shorten(line, 100)
}

/// Why a run that did not exit normally failed, if it did not: a spawn error or a timeout.
fn abnormal(run: &Run) -> Option<(String, String)> {
    if let Some(e) = &run.spawn_error {
        return Some((e.clone(), shorten(e, 100)));
    }
    if run.timed_out {
        return Some((format!("timeout after {} s", TIMEOUT.as_secs()), "timeout".to_string()));
    }
    None
}

/// Compares `run` (normalised) with what `test` expects.
fn grade(test: &Test, run: &Run) -> Grade {
    let code = run.code.map_or("killed by a signal".to_string(), |c| format!("exit {c}"));
    if let Some((detail, reason)) = abnormal(run) {
        return Grade { detail, reason, ..Grade::default() };
    }
    match test.kind {
        Kind::Okay => {
            let failure = if run.code != Some(0) {
                let summary = error_summary(&run.stderr);
                Some((format!("{code}: {summary}"), format!("{code}: {summary}")))
            } else if test.stdout.as_deref() != Some(run.stdout.as_str()) {
                Some((
                    first_difference("stdout", test.stdout.as_deref().unwrap_or_default(), &run.stdout),
                    "wrong value".to_string(),
                ))
            } else {
                match &test.stderr {
                    Some(expected) if *expected != run.stderr => Some((
                        first_difference("stderr", expected, &run.stderr),
                        "wrong warnings on stderr".to_string(),
                    )),
                    _ => None,
                }
            };
            match failure {
                None => Grade { passed: true, ..Grade::default() },
                Some((detail, reason)) => Grade { detail, reason, ..Grade::default() },
            }
        }
        Kind::Fail => {
            let expected = test.stderr.as_deref().unwrap_or_default();
            let status = run.code == Some(1);
            let (want, got) = (final_error(expected), final_error(&run.stderr));
            let message = status && want.is_some() && want == got;
            let full = status && expected == run.stderr;
            let (detail, reason) = if run.code == Some(0) {
                ("exit 0: evaluated without error".to_string(), "evaluated without error".to_string())
            } else if !status {
                let summary = error_summary(&run.stderr);
                (format!("{code}: {summary}"), format!("{code}: {summary}"))
            } else if !message {
                let want = want.map_or("<none>".to_string(), |m| m.join(" / "));
                let got = got.map_or("<none>".to_string(), |m| m.join(" / "));
                (
                    format!("final error differs: expected `{}`, got `{}`", shorten(&want, 80), shorten(&got, 80)),
                    format!("wrong error: {}", shorten(&got, 100)),
                )
            } else if !full {
                (first_difference("stderr", expected, &run.stderr), String::new())
            } else {
                (String::new(), String::new())
            };
            Grade { passed: message, status, full, detail, reason }
        }
    }
}

/// Runs `test` in `env` and grades it; the run comes back too, its outputs normalised.
fn run_test(evaluator: &[String], test: &Test, env: &Environment, index: usize) -> (Grade, Run) {
    let home = env.scratch.join(format!("home-{}-{index}", std::process::id()));
    if test.kind == Kind::Fail {
        if let Err(e) = std::fs::create_dir_all(&home) {
            let detail = format!("cannot create {}: {e}", home.display());
            let grade = Grade { detail: detail.clone(), reason: "harness error".to_string(), ..Grade::default() };
            return (grade, Run { spawn_error: Some(detail), ..Run::default() });
        }
    }
    let vars = environment_for(test, &home, env);
    let mut run = run_with_timeout(&command_line(evaluator, test), &env.cwd, &vars, TIMEOUT);
    if test.kind == Kind::Fail {
        let _ = std::fs::remove_dir_all(&home);
    }
    run.stdout = normalise(&run.stdout, &env.cwd, &test.name);
    run.stderr = normalise(&run.stderr, &env.cwd, &test.name);
    (grade(test, &run), run)
}

/// Runs `tests` on [`THREADS`] threads; grades and runs come back in the tests' order.
fn run_all(evaluator: &[String], tests: &[&Test], env: &Environment) -> Vec<(Grade, Run)> {
    let next = AtomicUsize::new(0);
    let results = Mutex::new((0..tests.len()).map(|_| None).collect::<Vec<_>>());
    std::thread::scope(|scope| {
        for _ in 0..THREADS {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(test) = tests.get(i) else { break };
                let result = run_test(evaluator, test, env, i);
                results.lock().unwrap()[i] = Some(result);
            });
        }
    });
    results.into_inner().unwrap().into_iter().map(|r| r.expect("every test ran")).collect()
}

/// How a run under GC stress differs from the normal run of the same test, if it does: exit
/// code, stdout and stderr must be identical, so the grade is too.
fn stress_difference(normal: &Run, stressed: &Run) -> Option<String> {
    if let Some((detail, _)) = abnormal(stressed) {
        return Some(detail);
    }
    if normal.code != stressed.code {
        let show = |c: Option<i32>| c.map_or("a signal".to_string(), |c| format!("exit {c}"));
        let summary = error_summary(&stressed.stderr);
        return Some(format!("{} instead of {}: {summary}", show(stressed.code), show(normal.code)));
    }
    if normal.stdout != stressed.stdout {
        return Some(first_difference("stdout", &normal.stdout, &stressed.stdout));
    }
    if normal.stderr != stressed.stderr {
        return Some(first_difference("stderr", &normal.stderr, &stressed.stderr));
    }
    None
}

/// The expected-failures list: its leading comment block and its entries.
struct ExpectedFailures {
    header: Vec<String>,
    entries: BTreeMap<String, String>,
}

/// Parses the list: `name<TAB>reason` lines (a reason is required), `#` comments, blank lines.
fn parse_expected_failures(text: &str) -> Result<ExpectedFailures, String> {
    let mut header = Vec::new();
    let mut entries = BTreeMap::new();
    for (i, line) in text.lines().enumerate() {
        let trimmed = line.trim();
        if trimmed.starts_with('#') || trimmed.is_empty() {
            if entries.is_empty() {
                header.push(line.to_string());
            }
            continue;
        }
        let (name, reason) = trimmed.split_once(char::is_whitespace).map_or((trimmed, ""), |(n, r)| (n, r.trim()));
        if reason.is_empty() {
            return Err(format!("line {}: `{name}` has no reason", i + 1));
        }
        if entries.insert(name.to_string(), reason.to_string()).is_some() {
            return Err(format!("line {}: `{name}` is listed twice", i + 1));
        }
    }
    while header.last().is_some_and(|l| l.trim().is_empty()) {
        header.pop();
    }
    if header.is_empty() {
        header = [
            "# Conformance tests that the eval runner (tests/conformance_eval.rs) knows to fail, one per line:",
            "# the test's name, a tab, then why. A listed test that passes fails the run, so the list only shrinks.",
            "# `LIXC_CONFORMANCE_BLESS=1 cargo test --test conformance_eval` rewrites it, keeping the reasons",
            "# of tests that still fail; the placeholder reason `evaluator not yet implemented` is replaced",
            "# by the actual failure's.",
        ]
        .map(String::from)
        .to_vec();
    }
    Ok(ExpectedFailures { header, entries })
}

/// The list as text, entries sorted by name.
fn render_expected_failures(list: &ExpectedFailures) -> String {
    let mut text = list.header.join("\n");
    text.push('\n');
    for (name, reason) in &list.entries {
        text.push_str(&format!("{name}\t{reason}\n"));
    }
    text
}

/// The reason to record for a newly failing test.
fn auto_reason(test: &Test, grade: &Grade) -> String {
    if test.needs_store && grade.reason != "timeout" {
        "needs the store (issue 5)".to_string()
    } else if grade.reason.is_empty() {
        "fails".to_string()
    } else {
        grade.reason.clone()
    }
}

/// The harness's own checks of its pieces; each string is a failure.
fn self_checks() -> Vec<String> {
    let mut failures = Vec::new();
    let mut check = |what: &str, ok: bool| {
        if !ok {
            failures.push(format!("self-check failed: {what}"));
        }
    };
    let words = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    check("flags split on blanks", parse_flags("--max-call-depth 100") == Ok(words(&["--max-call-depth", "100"])));
    check("flags drop comments", parse_flags("--eval # why\n# all\n--strict #x") == Ok(words(&["--eval", "--strict"])));
    check(
        "flags keep shell quoting",
        parse_flags("--arg x 'a b' --argstr y \"c\\\"d\" e\\ f")
            == Ok(words(&["--arg", "x", "a b", "--argstr", "y", "c\"d", "e f"])),
    );
    check(
        "flags keep parentheses",
        parse_flags("--arg lib import(lang/lib.nix)") == Ok(words(&["--arg", "lib", "import(lang/lib.nix)"])),
    );
    check("empty quotes are a word", shell_split("a '' b") == Ok(words(&["a", "", "b"])));
    check("unterminated quote is an error", shell_split("a 'b").is_err());
    let trace = concat!(
        "error:\n       … while calling 'f'\n         at /pwd/lang/t.nix:1:1:\n\n",
        "       error: attribute 'x' missing\n       Did you mean y?\n",
        "       at /pwd/lang/t.nix:2:3:\n            2| x\n",
    );
    check(
        "final error with continuation",
        final_error(trace) == Some(vec!["error: attribute 'x' missing", "Did you mean y?"]),
    );
    check("final error ignores indentation", final_error("error: boom\n") == final_error("       error: boom"));
    check("final error stops at a blank line", final_error("error: a\n\nnot this\n") == Some(vec!["error: a"]));
    check("no final error", final_error("warning: x\n").is_none());
    check(
        "numbers replaced",
        normalise("a 12:3 b", Path::new("/x"), "eval-fail-derivation-name") == "a <number>:<number> b",
    );
    check("cwd replaced", normalise("at /x/y/lang/t.nix", Path::new("/x/y"), "t") == "at /pwd/lang/t.nix");
    check("store use detected", uses_store("builtins.toFile \"a\" \"b\"") && uses_store("derivation { }"));
    check("store use by whole identifier", !uses_store("derivations-x myplaceholder") && !uses_store("isDerivation"));
    check("a missing reason is an error", parse_expected_failures("eval-okay-x\n").is_err());
    let list = parse_expected_failures("# head\n\neval-okay-a\twhy not\n")
        .unwrap_or(ExpectedFailures { header: vec![], entries: BTreeMap::new() });
    check(
        "list parsed",
        list.header == ["# head"] && list.entries.get("eval-okay-a").map(String::as_str) == Some("why not"),
    );
    check("list round-trips", render_expected_failures(&list) == "# head\neval-okay-a\twhy not\n");
    let ran = |code: i32, stdout: &str| Run { code: Some(code), stdout: stdout.to_string(), ..Run::default() };
    check("same outputs under stress", stress_difference(&ran(0, "1\n"), &ran(0, "1\n")).is_none());
    check("stress changes stdout", stress_difference(&ran(0, "1\n"), &ran(0, "2\n")).is_some());
    check("stress changes the exit code", stress_difference(&ran(1, ""), &ran(101, "")).is_some());
    check(
        "stress times out",
        stress_difference(&ran(0, ""), &Run { timed_out: true, ..Run::default() }).is_some(),
    );
    failures
}

/// Whether the environment variable is set to `1`.
fn flag(name: &str) -> bool {
    std::env::var(name).is_ok_and(|v| v == "1")
}

/// Checks the harness's pieces, then runs the suite.
fn main() -> ExitCode {
    let problems = self_checks();
    if !problems.is_empty() {
        problems.iter().for_each(|p| println!("{p}"));
        return ExitCode::FAILURE;
    }
    match run() {
        Ok(code) => code,
        Err(e) => {
            println!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Runs the tests that passed in `results` again with `LIXC_GC_STRESS=1` (a collection at every
/// safe point) and reports, as problems, those whose outputs differ from the normal run's.
fn stress_pass(evaluator: &[String], tests: &[&Test], results: &[(Grade, Run)], env: &Environment) -> Vec<String> {
    let (passed, normal): (Vec<&Test>, Vec<&Run>) =
        tests.iter().zip(results).filter(|(_, (g, _))| g.passed).map(|(t, (_, r))| (*t, r)).unzip();
    let mut extra = env.extra.clone();
    extra.push(("LIXC_GC_STRESS".to_string(), "1".to_string()));
    let stress_env = Environment { cwd: env.cwd.clone(), scratch: env.scratch.clone(), extra };
    let started = Instant::now();
    let stressed = run_all(evaluator, &passed, &stress_env);
    let problems: Vec<String> = passed
        .iter()
        .zip(normal.iter().zip(&stressed))
        .filter_map(|(test, (normal, (_, stressed)))| {
            let difference = stress_difference(normal, stressed)?;
            Some(format!("{}: differs under LIXC_GC_STRESS=1: {difference}", test.name))
        })
        .collect();
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "gc stress pass: {} passing tests rerun with LIXC_GC_STRESS=1, {} differ ({seconds:.1} s)",
        passed.len(),
        problems.len()
    );
    problems
}

/// The run proper: discover, evaluate, count, then check or bless the ratchet.
/// The suite's symbolic links (`tests/conformance/symlinks.txt`): path under `lang/` and target.
fn upstream_symlinks() -> Result<Vec<(String, String)>, String> {
    let list = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conformance/symlinks.txt");
    let text = std::fs::read_to_string(&list).map_err(|e| format!("{}: {e}", list.display()))?;
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| {
            l.split_once('\t')
                .map(|(p, t)| (p.to_string(), t.to_string()))
                .ok_or(format!("{}: `{l}` is not PATH<tab>TARGET", list.display()))
        })
        .collect()
}

/// The directory to run the suite in. Where the suite's copy stores its symbolic links as plain
/// files holding their targets (a copy made without symlink support), that is a scratch copy of
/// `lang/` with the links recreated; otherwise the suite's own directory.
fn restore_symlinks(cwd: &Path, scratch: &Path) -> Result<PathBuf, String> {
    let links = upstream_symlinks()?;
    let lang = cwd.join("lang");
    let is_placeholder = |(path, target): &&(String, String)| {
        let file = lang.join(path);
        let plain = std::fs::symlink_metadata(&file).is_ok_and(|m| m.is_file());
        plain && std::fs::read(&file).is_ok_and(|bytes| bytes == target.as_bytes())
    };
    let placeholders: Vec<&(String, String)> = links.iter().filter(is_placeholder).collect();
    if placeholders.is_empty() {
        return Ok(cwd.to_path_buf());
    }
    let tree = scratch.join("suite");
    if tree.exists() {
        std::fs::remove_dir_all(&tree).map_err(|e| format!("{}: {e}", tree.display()))?;
    }
    copy_tree(&lang, &tree.join("lang"))?;
    for (path, target) in placeholders {
        let link = tree.join("lang").join(path);
        std::fs::remove_file(&link).map_err(|e| format!("{}: {e}", link.display()))?;
        std::os::unix::fs::symlink(target, &link).map_err(|e| format!("{}: {e}", link.display()))?;
    }
    tree.canonicalize().map_err(|e| format!("{}: {e}", tree.display()))
}

/// Copies the directory `from` to `to` (files, directories and symbolic links), file modes kept.
fn copy_tree(from: &Path, to: &Path) -> Result<(), String> {
    std::fs::create_dir_all(to).map_err(|e| format!("{}: {e}", to.display()))?;
    for entry in std::fs::read_dir(from).map_err(|e| format!("{}: {e}", from.display()))? {
        let entry = entry.map_err(|e| format!("{}: {e}", from.display()))?;
        let (src, dst) = (entry.path(), to.join(entry.file_name()));
        let kind = entry.file_type().map_err(|e| format!("{}: {e}", src.display()))?;
        let done = if kind.is_dir() {
            copy_tree(&src, &dst).map(|_| ())
        } else if kind.is_symlink() {
            let target = std::fs::read_link(&src).map_err(|e| format!("{}: {e}", src.display()))?;
            std::os::unix::fs::symlink(target, &dst).map_err(|e| e.to_string())
        } else {
            std::fs::copy(&src, &dst).map(|_| ()).map_err(|e| e.to_string())
        };
        done.map_err(|e| format!("{}: {e}", dst.display()))?;
    }
    Ok(())
}

fn run() -> Result<ExitCode, String> {
    let Some(dir) = conformance_dir() else {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            return Err(
                "conformance suite not found (set LIXC_CONFORMANCE_DIR); it is required under CI=true".to_string()
            );
        }
        println!("conformance suite not found; skipping (set LIXC_CONFORMANCE_DIR)");
        return Ok(ExitCode::SUCCESS);
    };
    let cwd = dir.join("nix").canonicalize().map_err(|e| format!("{}/nix: {e}", dir.display()))?;
    let tests = discover_tests(&cwd.join("lang"))?;
    let overridden = std::env::var("LIXC_CONFORMANCE_EVALUATOR").ok().filter(|s| !s.trim().is_empty());
    let evaluator = match &overridden {
        Some(command) => shell_split(command).map_err(|e| format!("LIXC_CONFORMANCE_EVALUATOR: {e}"))?,
        None => vec![env!("CARGO_BIN_EXE_lixc").to_string(), "eval".to_string()],
    };
    let extra = shell_split(&std::env::var("LIXC_CONFORMANCE_EXTRA_ENV").unwrap_or_default())
        .map_err(|e| format!("LIXC_CONFORMANCE_EXTRA_ENV: {e}"))?
        .into_iter()
        .map(|kv| {
            kv.split_once('=')
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .ok_or(format!("LIXC_CONFORMANCE_EXTRA_ENV: `{kv}` is not K=V"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let filter = std::env::var("LIXC_CONFORMANCE_FILTER").ok().filter(|f| !f.is_empty());
    let (verbose, bless) = (flag("LIXC_CONFORMANCE_VERBOSE"), flag("LIXC_CONFORMANCE_BLESS"));
    if bless && overridden.is_some() {
        let why = "it would record another evaluator's failures as lixc's";
        return Err(format!("LIXC_CONFORMANCE_BLESS cannot be used with LIXC_CONFORMANCE_EVALUATOR: {why}"));
    }
    let scratch = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("conformance-eval");
    let cwd = restore_symlinks(&cwd, &scratch)?;
    let env = Environment { cwd, scratch, extra };

    let selected: Vec<&Test> =
        tests.iter().filter(|t| filter.as_ref().is_none_or(|f| t.name.contains(f.as_str()))).collect();
    let to_run: Vec<&Test> = selected.iter().copied().filter(|t| t.skip.is_none()).collect();
    println!("running {} of {} eval tests with `{}`", to_run.len(), tests.len(), evaluator.join(" "));
    let results = run_all(&evaluator, &to_run, &env);
    let outcomes: BTreeMap<&str, (&Test, &Grade)> =
        to_run.iter().zip(&results).map(|(t, (g, _))| (t.name.as_str(), (*t, g))).collect();

    for kind in [Kind::Okay, Kind::Fail] {
        let of_kind = || outcomes.values().filter(|(t, _)| t.kind == kind);
        let passed = of_kind().filter(|(_, g)| g.passed).count();
        let failed = of_kind().count() - passed;
        let skipped = selected.iter().filter(|t| t.kind == kind && t.skip.is_some()).count();
        if kind == Kind::Okay {
            println!("eval-okay: {passed} passed, {failed} failed, {skipped} skipped");
        } else {
            let status = of_kind().filter(|(_, g)| g.status).count();
            let full = of_kind().filter(|(_, g)| g.full).count();
            let figures = format!("status-only: {status}, full trace: {full}");
            println!("eval-fail: {passed} passed, {failed} failed, {skipped} skipped ({figures})");
        }
    }
    if verbose {
        for (name, (_, grade)) in &outcomes {
            if !grade.passed {
                println!("  {name}: {}", grade.detail);
            }
        }
        for test in selected.iter().filter(|t| t.skip.is_some()) {
            println!("  {} skipped: {}", test.name, test.skip.as_deref().unwrap_or_default());
        }
    }

    let list_path = Path::new(env!("CARGO_MANIFEST_DIR")).join(EXPECTED_FAILURES);
    let text = read_optional(&list_path)?.unwrap_or_default();
    let mut list = parse_expected_failures(&text).map_err(|e| format!("{EXPECTED_FAILURES}: {e}"))?;
    let is_selected = |name: &str| selected.iter().any(|t| t.name == name);
    let in_suite = |name: &str| tests.iter().any(|t| t.name == name);

    if bless {
        let old = list.entries.clone();
        // Keep what was not run; of what was, keep only what still fails.
        list.entries.retain(|name, _| {
            in_suite(name) && (!is_selected(name) || outcomes.get(name.as_str()).is_some_and(|(_, g)| !g.passed))
        });
        for (name, (test, grade)) in &outcomes {
            let known = list.entries.get(*name).is_some_and(|reason| reason != PLACEHOLDER_REASON);
            if !grade.passed && !known {
                list.entries.insert(name.to_string(), auto_reason(test, grade));
            }
        }
        std::fs::write(&list_path, render_expected_failures(&list))
            .map_err(|e| format!("{}: {e}", list_path.display()))?;
        let removed: Vec<&String> = old.keys().filter(|n| !list.entries.contains_key(*n)).collect();
        let changed: Vec<(&String, &String)> =
            list.entries.iter().filter(|(n, r)| old.get(*n).is_some_and(|old| old != *r)).collect();
        let added: Vec<(&String, &String)> = list.entries.iter().filter(|(n, _)| !old.contains_key(*n)).collect();
        removed.iter().for_each(|name| println!("- {name}"));
        changed.iter().for_each(|(name, reason)| println!("~ {name}\t{reason}"));
        added.iter().for_each(|(name, reason)| println!("+ {name}\t{reason}"));
        let (a, c, r, n) = (added.len(), changed.len(), removed.len(), list.entries.len());
        println!("blessed {EXPECTED_FAILURES}: {a} added, {c} reasons updated, {r} removed, {n} listed");
        return Ok(ExitCode::SUCCESS);
    }

    let mut problems = Vec::new();
    for (name, (_, grade)) in &outcomes {
        match (grade.passed, list.entries.contains_key(*name)) {
            (true, true) => problems.push(format!("{name}: passes now; remove it from {EXPECTED_FAILURES}")),
            (false, false) => problems.push(format!("{name}: {}", grade.detail)),
            _ => {}
        }
    }
    for test in selected.iter().filter(|t| t.skip.is_some() && list.entries.contains_key(&t.name)) {
        problems.push(format!("{}: skipped, but listed in {EXPECTED_FAILURES}", test.name));
    }
    if filter.is_none() {
        for name in list.entries.keys().filter(|n| !in_suite(n)) {
            problems.push(format!("{name}: listed in {EXPECTED_FAILURES} but not in the suite"));
        }
    }
    if overridden.is_none() && std::env::var("LIXC_CONFORMANCE_GC_STRESS").is_ok_and(|v| v == "0") {
        println!("gc stress pass: skipped (LIXC_CONFORMANCE_GC_STRESS=0)");
    } else if overridden.is_none() {
        problems.extend(stress_pass(&evaluator, &to_run, &results, &env));
    }
    for problem in &problems {
        println!("FAIL {problem}");
    }
    println!("{} expected failures listed; {} problems", list.entries.len(), problems.len());
    Ok(if problems.is_empty() { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}
