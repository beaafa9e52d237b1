//! `lixc migrate`: rewrite files and directory trees to a later edition (and, on request,
//! modernise them), printing a summary, a unified diff, or writing the files atomically.

use std::io::Write;
use std::path::{Path, PathBuf};

use lix_editions::migrate::{self, MigrateError, MigrateOptions, Migration, Modernize};
use lix_editions::Edition;
use rayon::prelude::*;

use crate::{EXIT_DIAGNOSTICS, EXIT_OK, EXIT_USAGE};

/// Arguments of `lixc migrate`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Files and directories to migrate (directories: every `*.nix` file below, honouring
    /// `.gitignore`). Defaults to the current directory.
    paths: Vec<PathBuf>,
    /// The edition to migrate to.
    #[arg(long, value_parser = crate::parse_edition, default_value = "2026")]
    to: Edition,
    /// Write the migrated files (each atomically: a temporary file, then a rename).
    #[arg(long, group = "mode")]
    write: bool,
    /// Change nothing; exit 1 if any file would change.
    #[arg(long, group = "mode")]
    check: bool,
    /// Print a unified diff of what would change.
    #[arg(long, group = "mode")]
    diff: bool,
    /// Optional modernisations, comma-separated: `pipes`, `inherits`, `lib-pipe` (`lib.pipe x
    /// [ f g ]` to `x |> f |> g`; asking for it says `lib` is nixpkgs' library).
    #[arg(long, value_delimiter = ',', value_parser = ["pipes", "inherits", "lib-pipe"])]
    modernize: Vec<String>,
    /// The edition of files that name none (no pragma, no lix.toml).
    #[arg(long, value_parser = crate::parse_edition)]
    edition: Option<Edition>,
}

/// What happened to one file.
enum Outcome {
    /// Migrated (maybe without change): the old text and the migration.
    Migrated { old: String, migration: Migration },
    /// Refused or unreadable, with the message.
    Failed(String),
}

/// Lists the files under `paths`, in a stable order.
fn collect(paths: &[PathBuf]) -> Vec<Result<PathBuf, String>> {
    let mut items = Vec::new();
    for root in paths {
        let walk = ignore::WalkBuilder::new(root).require_git(false).sort_by_file_path(|a, b| a.cmp(b)).build();
        for entry in walk {
            match entry {
                Ok(entry) => {
                    let is_file = entry.file_type().is_some_and(|t| t.is_file());
                    let wanted = entry.depth() == 0 || entry.path().extension().is_some_and(|e| e == "nix");
                    if is_file && wanted {
                        items.push(Ok(entry.into_path()));
                    }
                }
                Err(e) => items.push(Err(e.to_string())),
            }
        }
    }
    items
}

/// `line:column` (1-based, columns in characters) of byte `offset` of `text`.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset.min(text.len())).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

fn migrate_file(path: &Path, args: &Args, modernize: Modernize) -> Outcome {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => return Outcome::Failed(format!("cannot read: {e}")),
    };
    // Bytes that are not UTF-8 travel as stand-in characters and are written back as they were.
    let text = match lix_syntax::source::decode(&bytes) {
        Ok(t) => t.into_owned(),
        Err(e) => return Outcome::Failed(format!("cannot read as text: {e}; left untouched")),
    };
    let from = match lix_editions::detect(Some(path), &text, args.edition) {
        Ok((edition, _)) => edition,
        Err(e) => return Outcome::Failed(e.to_string()),
    };
    let options = MigrateOptions {
        from,
        to: args.to,
        modernize,
        file_name: path.file_name().map(|n| n.to_string_lossy().into_owned()),
    };
    match migrate::migrate(&text, &options) {
        Ok(migration) => Outcome::Migrated { old: text, migration },
        Err(e) => {
            let at = match e.range() {
                Some(r) if !matches!(e, MigrateError::Refused { .. }) || r.end > 0 => {
                    let (line, col) = line_col(&text, r.start);
                    format!(" (at {line}:{col})")
                }
                _ => String::new(),
            };
            Outcome::Failed(format!("not migrated: {e}{at}"))
        }
    }
}

/// Writes `text` to `path` through a temporary file in the same directory and a rename, so
/// the file is either the old one or the new one, never half written.
fn write_atomically(path: &Path, text: &str) -> std::io::Result<()> {
    // Through a symbolic link, the file it points to is replaced, not the link.
    let resolved = std::fs::canonicalize(path)?;
    let path = resolved.as_path();
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut file = tempfile::Builder::new().prefix(".lixc-migrate").tempfile_in(dir)?;
    file.write_all(&lix_syntax::source::encode(text))?;
    file.as_file().sync_all()?;
    if let Ok(meta) = std::fs::metadata(path) {
        file.as_file().set_permissions(meta.permissions())?;
    }
    file.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// Runs the command; returns the exit status.
pub fn run(args: Args) -> u8 {
    let paths = if args.paths.is_empty() { vec![PathBuf::from(".")] } else { args.paths.clone() };
    let modernize = Modernize {
        pipes: args.modernize.iter().any(|m| m == "pipes"),
        inherits: args.modernize.iter().any(|m| m == "inherits"),
        lib_pipe: args.modernize.iter().any(|m| m == "lib-pipe"),
    };
    let items = collect(&paths);
    let outcomes: Vec<(String, Option<PathBuf>, Outcome)> = items
        .into_par_iter()
        .map(|item| match item {
            Ok(path) => {
                let outcome = migrate_file(&path, &args, modernize);
                (path.display().to_string(), Some(path), outcome)
            }
            Err(e) => (String::new(), None, Outcome::Failed(e)),
        })
        .collect();
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let (mut changed, mut unchanged, mut failed, mut io_errors) = (0, 0, 0, 0);
    for (name, path, outcome) in outcomes {
        match outcome {
            Outcome::Failed(message) if name.is_empty() => {
                io_errors += 1;
                eprintln!("error: {message}");
            }
            Outcome::Failed(message) => {
                failed += 1;
                eprintln!("{name}: {message}");
            }
            Outcome::Migrated { migration, .. } if !migration.changed() => unchanged += 1,
            Outcome::Migrated { old, migration } => {
                changed += 1;
                let passes: Vec<String> = migration.changes.iter().map(|(p, n)| format!("{p} ×{n}")).collect();
                if args.diff {
                    let diff = similar::TextDiff::from_lines(&old, &migration.text);
                    let mut text = diff.unified_diff().context_radius(3).header(&name, &name).to_string();
                    if !text.ends_with('\n') {
                        text.push('\n');
                    }
                    let _ = write!(out, "{text}");
                } else if args.write {
                    let written = match path.as_deref() {
                        Some(p) => write_atomically(p, &migration.text),
                        None => Err(std::io::Error::other("no path")),
                    };
                    match written {
                        Ok(()) => {
                            let _ = writeln!(out, "{name}: migrated ({})", passes.join(", "));
                        }
                        Err(e) => {
                            io_errors += 1;
                            eprintln!("{name}: cannot write: {e}");
                        }
                    }
                } else {
                    let _ = writeln!(out, "{name}: would migrate ({})", passes.join(", "));
                }
            }
        }
    }
    let verb = if args.write { "migrated" } else { "would change" };
    let summary = format!(
        "{} file{}: {changed} {verb}, {unchanged} unchanged, {failed} not migrated",
        changed + unchanged + failed,
        if changed + unchanged + failed == 1 { "" } else { "s" }
    );
    if args.diff {
        eprintln!("{summary}");
    } else {
        let _ = writeln!(out, "{summary}");
    }
    if io_errors > 0 {
        EXIT_USAGE
    } else if failed > 0 || (args.check && changed > 0) {
        EXIT_DIAGNOSTICS
    } else {
        EXIT_OK
    }
}
