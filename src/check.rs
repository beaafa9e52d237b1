//! `lixc check`: find syntax, edition and name errors and lint findings in files and directory
//! trees, in parallel; apply safe fixes (`--fix`); explain lints (`--explain`); keep checking
//! as files change (`--watch`).

mod config;
mod output;
mod watch;

use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use lix_editions::Edition;
use lix_hir::lint::{self, Lint, Safety};
use rayon::prelude::*;

use crate::diagnostic::{self, Analysis, Diagnostic, JsonDiagnostic, LineIndex, Severity};
use crate::input::{self, Source};
use crate::{Color, EXIT_DIAGNOSTICS, EXIT_OK, EXIT_USAGE};

use config::{Config, Configs, Overrides};

/// How `lixc check` prints its findings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum CheckFormat {
    /// For people: ariadne reports with source excerpts.
    Human,
    /// One JSON array of diagnostics.
    Json,
    /// SARIF 2.1.0, for code-scanning services.
    Sarif,
    /// GitHub workflow annotations, one line per diagnostic.
    Github,
}

/// Arguments of `lixc check`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Files and directories to check (directories: every `*.nix` file below, honouring
    /// `.gitignore`); `-` reads standard input. Defaults to the current directory.
    paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = CheckFormat::Human)]
    format: CheckFormat,
    /// The edition for files that name none (no pragma, no lix.toml).
    #[arg(long, value_parser = crate::parse_edition)]
    edition: Option<Edition>,
    /// Also print each file's edition and where it came from.
    #[arg(short, long)]
    verbose: bool,
    /// When to colour output.
    #[arg(long, value_enum, default_value_t = Color::Auto)]
    color: Color,
    /// Apply every safe fix, in place (atomically), until the files are stable.
    #[arg(long)]
    fix: bool,
    /// Also apply fixes that may change behaviour in corner cases (implies --fix).
    #[arg(long)]
    fix_unsafe: bool,
    /// With --fix: print the changes as a unified diff instead of writing them.
    #[arg(long)]
    dry_run: bool,
    /// Exit with 1 when a diagnostic at or above this severity remains [default: warning, or
    /// `deny` of lix.toml's [check]].
    #[arg(long, value_enum)]
    deny: Option<Severity>,
    /// Turn a lint off (code or name); repeatable.
    #[arg(long, value_name = "LINT")]
    disable: Vec<String>,
    /// Do not report unused lambda parameters, pattern fields and `@` names.
    #[arg(long)]
    no_lambda_arg: bool,
    /// Explain a lint (code or name) and exit.
    #[arg(long, value_name = "LINT")]
    explain: Option<String>,
    /// List every lint and exit.
    #[arg(long)]
    list_lints: bool,
    /// Keep running: check again whenever a file changes, reusing everything unchanged.
    #[arg(long)]
    watch: bool,
    /// With --watch: stop after this many re-checks (for tests).
    #[arg(long, hide = true)]
    watch_rounds: Option<usize>,
}

/// A file to check, or why it could not be listed.
enum Item {
    File(PathBuf),
    Unlisted(String),
}

/// Lists the files to check under `paths`, in a stable order; files that their configuration
/// ignores are left out unless named on the command line.
fn collect(paths: &[PathBuf], configs: &Configs) -> Vec<Item> {
    let mut items = Vec::new();
    for root in paths {
        if root == Path::new("-") {
            items.push(Item::File(root.clone()));
            continue;
        }
        let walk = ignore::WalkBuilder::new(root).require_git(false).sort_by_file_path(|a, b| a.cmp(b)).build();
        for entry in walk {
            match entry {
                Ok(entry) => {
                    let is_file = entry.file_type().is_some_and(|t| t.is_file());
                    // A file named on the command line is checked whatever its name.
                    let named = entry.depth() == 0;
                    let wanted = named || entry.path().extension().is_some_and(|e| e == "nix");
                    if !(is_file && wanted) {
                        continue;
                    }
                    if !named && configs.for_file(Some(entry.path())).is_ok_and(|c| c.ignores(entry.path())) {
                        continue;
                    }
                    items.push(Item::File(entry.into_path()));
                }
                Err(e) => items.push(Item::Unlisted(e.to_string())),
            }
        }
    }
    items
}

/// What happened to one file.
pub(crate) enum Outcome {
    /// Checked (perhaps after fixing): the source as it is now, its analysis, and the fixes
    /// applied with what to print instead of the findings: the diff they make (`--dry-run`),
    /// or the fixed text of standard input.
    Checked { source: Source, analysis: Analysis, fixed: usize, diff: Option<String> },
    /// Could not be read, configured or written.
    Failed(String),
}

/// Which fixes `--fix` / `--fix-unsafe` apply.
fn fix_level(args: &Args) -> Option<Safety> {
    if args.fix_unsafe {
        Some(Safety::Unsafe)
    } else if args.fix {
        Some(Safety::Safe)
    } else {
        None
    }
}

/// Checks (and fixes) one source.
fn check_source(source: Source, config: &Config, edition_flag: Option<Edition>, fix: Option<Safety>, dry_run: bool) -> Outcome {
    // Standard input has no directory, so no lix.toml (as `lix_editions::detect` decides).
    let analyze = |source: &Source| match source.path {
        Some(_) => diagnostic::analyze_in(source, &config.lints, || config.edition_of(&source.text, edition_flag)),
        None => diagnostic::analyze_with(source, edition_flag, &config.lints),
    };
    let analysis = analyze(&source);
    let (Some(level), Some((edition, _)), true) = (fix, analysis.edition.clone(), source.unreadable.is_none()) else {
        return Outcome::Checked { source, analysis, fixed: 0, diff: None };
    };
    if !analysis.parse.as_ref().is_some_and(|p| p.is_ok()) {
        return Outcome::Checked { source, analysis, fixed: 0, diff: None };
    }
    let settings = &config.lints;
    let accept = |d: &lint::LintDiagnostic| settings.level(d.lint).is_some() && d.fix.as_ref().is_some_and(|f| f.safety <= level);
    let outcome = lint::fix_text(&source.text, edition, settings.options, &accept);
    if outcome.text == source.text {
        return Outcome::Checked { source, analysis, fixed: 0, diff: None };
    }
    let diff = if dry_run {
        let name = source.name.as_str();
        let diff = similar::TextDiff::from_lines(source.text.as_str(), outcome.text.as_str());
        Some(diff.unified_diff().context_radius(2).header(&format!("a/{name}"), &format!("b/{name}")).to_string())
    } else if let Some(path) = &source.path {
        if let Err(e) = write_atomically(path, &lix_syntax::source::encode(&outcome.text)) {
            return Outcome::Failed(format!("cannot write {}: {e}", path.display()));
        }
        None
    } else {
        // Standard input cannot be fixed in place: the fixed text goes to standard output.
        Some(outcome.text.clone())
    };
    let fixed_source = Source { text: outcome.text, ..source };
    let analysis = analyze(&fixed_source);
    Outcome::Checked { source: fixed_source, analysis, fixed: outcome.applied, diff }
}

/// Drops what reporting does not need: the tree, and the text of files without findings (a run
/// over a large tree holds every outcome until it prints them in order).
fn slim(outcome: Outcome) -> Outcome {
    match outcome {
        Outcome::Checked { mut source, mut analysis, fixed, diff } => {
            analysis.parse = None;
            if analysis.diagnostics.is_empty() {
                source.text = String::new();
            }
            Outcome::Checked { source, analysis, fixed, diff }
        }
        failed => failed,
    }
}

/// Writes `bytes` to `path` through a temporary file in the same directory, renamed over it,
/// so a reader never sees half a file; keeps the file's permissions.
fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    if let Ok(meta) = std::fs::metadata(path) {
        std::fs::set_permissions(tmp.path(), meta.permissions())?;
    }
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

fn explain(key: &str) -> u8 {
    match Lint::from_code(key) {
        Some(lint) => {
            let safety = lint.default_severity().name();
            println!("{} {} ({safety} by default)\n\n{}.\n\n{}", lint.code(), lint.name(), capitalise(lint.description()), lint.explanation());
            EXIT_OK
        }
        None => {
            eprintln!("error: no lint '{key}'; 'lixc check --list-lints' lists them");
            EXIT_USAGE
        }
    }
}

fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn list_lints() -> u8 {
    for lint in Lint::ALL {
        println!("{}  {:<24} {:<8} {}", lint.code(), lint.name(), lint.default_severity().name(), lint.description());
    }
    EXIT_OK
}

/// The command-line additions to every configuration.
fn overrides(args: &Args) -> Result<Overrides, String> {
    let disable = args
        .disable
        .iter()
        .flat_map(|d| d.split(','))
        .map(|d| Lint::from_code(d.trim()).ok_or_else(|| format!("no lint '{}'", d.trim())))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Overrides { disable, no_lambda_arg: args.no_lambda_arg })
}

/// Runs the command; returns the exit status.
pub fn run(args: Args) -> u8 {
    if let Some(key) = &args.explain {
        return explain(key);
    }
    if args.list_lints {
        return list_lints();
    }
    let overrides = match overrides(&args) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_USAGE;
        }
    };
    let configs = Configs::new(overrides);
    if args.watch {
        return watch::run(&args, &configs);
    }
    let paths = if args.paths.is_empty() { vec![PathBuf::from(".")] } else { args.paths.clone() };
    let items = collect(&paths, &configs);
    let fix = fix_level(&args);
    let outcomes: Vec<Outcome> = items
        .into_par_iter()
        .map(|item| match item {
            Item::Unlisted(e) => Outcome::Failed(e),
            Item::File(path) => {
                let config = match configs.for_file((path != Path::new("-")).then_some(path.as_path())) {
                    Ok(c) => c,
                    Err(e) => return Outcome::Failed(e),
                };
                match input::read(&path) {
                    Ok(source) => slim(check_source(source, &config, args.edition, fix, args.dry_run)),
                    Err(e) => Outcome::Failed(format!("cannot read {}: {e}", path.display())),
                }
            }
        })
        .collect();
    let deny = args.deny.or_else(|| configs.for_file(None).ok().and_then(|c: Arc<Config>| c.deny)).unwrap_or(Severity::Warning);
    report(&args, &outcomes, deny)
}

/// Counts of diagnostics by severity.
#[derive(Default)]
pub(crate) struct Counts {
    files: usize,
    errors: usize,
    warnings: usize,
    hints: usize,
    fixed: usize,
    failures: usize,
    denied: bool,
}

impl Counts {
    fn add(&mut self, diagnostics: &[Diagnostic], deny: Severity) {
        for d in diagnostics {
            match d.severity {
                Severity::Error => self.errors += 1,
                Severity::Warning => self.warnings += 1,
                Severity::Hint => self.hints += 1,
            }
            self.denied |= d.severity >= deny;
        }
    }

    fn summary(&self) -> String {
        let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
        let mut line = format!("checked {}: {}", plural(self.files, "file"), plural(self.errors, "error"));
        if self.warnings > 0 {
            line.push_str(&format!(", {}", plural(self.warnings, "warning")));
        }
        if self.hints > 0 {
            line.push_str(&format!(", {}", plural(self.hints, "hint")));
        }
        if self.fixed > 0 {
            line.push_str(&format!("; {} applied", if self.fixed == 1 { "1 fix".to_string() } else { format!("{} fixes", self.fixed) }));
        }
        line
    }

    fn exit_code(&self) -> u8 {
        if self.failures > 0 {
            EXIT_USAGE
        } else if self.denied {
            EXIT_DIAGNOSTICS
        } else {
            EXIT_OK
        }
    }
}

/// Prints the outcomes in the chosen format; returns the exit status.
pub(crate) fn report(args: &Args, outcomes: &[Outcome], deny: Severity) -> u8 {
    let color = diagnostic::use_color(args.color);
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let mut counts = Counts::default();
    let mut json = Vec::new();
    let mut written = Ok(());
    for outcome in outcomes {
        match outcome {
            Outcome::Failed(message) => {
                counts.failures += 1;
                eprintln!("error: {message}");
            }
            Outcome::Checked { source, analysis, fixed, diff } => {
                counts.files += 1;
                counts.fixed += fixed;
                counts.add(&analysis.diagnostics, deny);
                if args.verbose {
                    match &analysis.edition {
                        Some((edition, from)) => eprintln!("{}: edition {edition} (from {from})", source.name),
                        None => eprintln!("{}: edition unknown", source.name),
                    }
                }
                if let Some(diff) = diff {
                    if written.is_ok() {
                        written = out.write_all(diff.as_bytes());
                    }
                    continue;
                }
                let index = LineIndex::new(&source.text);
                match args.format {
                    CheckFormat::Human => {
                        if written.is_ok() {
                            written = diagnostic::write_human(&mut out, source, &analysis.diagnostics, color);
                        }
                    }
                    CheckFormat::Json => json.extend(
                        analysis
                            .diagnostics
                            .iter()
                            .map(|d| serde_json::to_value(JsonDiagnostic::new(source, &index, d)).unwrap_or_default()),
                    ),
                    CheckFormat::Sarif => {
                        json.extend(analysis.diagnostics.iter().map(|d| output::sarif_result(source, &index, d)));
                    }
                    CheckFormat::Github => {
                        for d in &analysis.diagnostics {
                            if written.is_ok() {
                                written = writeln!(out, "{}", output::github_annotation(source, &index, d));
                            }
                        }
                    }
                }
            }
        }
    }
    let document = match args.format {
        CheckFormat::Json if !args.dry_run => Some(serde_json::Value::Array(json)),
        CheckFormat::Sarif if !args.dry_run => Some(output::sarif_log(json)),
        _ => None,
    };
    if let (Some(document), true) = (document, written.is_ok()) {
        written = serde_json::to_writer_pretty(&mut out, &document).map_err(io::Error::from).and_then(|()| writeln!(out));
    }
    if let Err(e) = written.and_then(|()| out.flush()) {
        if e.kind() != io::ErrorKind::BrokenPipe {
            eprintln!("error: cannot write output: {e}");
            return EXIT_USAGE;
        }
    }
    if args.format == CheckFormat::Human || args.dry_run {
        eprintln!("{}", counts.summary());
    }
    counts.exit_code()
}
