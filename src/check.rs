//! `lixc check`: find syntax and edition errors in files and directory trees, in parallel.

use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use lix_editions::Edition;
use rayon::prelude::*;

use crate::diagnostic::{self, Analysis, JsonDiagnostic, LineIndex, Severity};
use crate::input::{self, Source};
use crate::{Color, Format, EXIT_DIAGNOSTICS, EXIT_OK, EXIT_USAGE};

/// Arguments of `lixc check`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Files and directories to check (directories: every `*.nix` file below, honouring
    /// `.gitignore`); `-` reads standard input. Defaults to the current directory.
    paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
    /// The edition for files that name none (no pragma, no lix.toml).
    #[arg(long, value_parser = crate::parse_edition)]
    edition: Option<Edition>,
    /// Also print each file's edition and where it came from.
    #[arg(short, long)]
    verbose: bool,
    /// When to colour output.
    #[arg(long, value_enum, default_value_t = Color::Auto)]
    color: Color,
}

/// A file to check, or why it could not be listed.
enum Item {
    File(PathBuf),
    Unlisted(String),
}

/// Lists the files to check under `paths`, in a stable order.
fn collect(paths: &[PathBuf]) -> Vec<Item> {
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
                    let wanted = entry.depth() == 0 || entry.path().extension().is_some_and(|e| e == "nix");
                    if is_file && wanted {
                        items.push(Item::File(entry.into_path()));
                    }
                }
                Err(e) => items.push(Item::Unlisted(e.to_string())),
            }
        }
    }
    items
}

enum Outcome {
    Checked(Source, Analysis),
    Failed(String),
}

/// Runs the command; returns the exit status.
pub fn run(args: Args) -> u8 {
    let paths = if args.paths.is_empty() { vec![PathBuf::from(".")] } else { args.paths.clone() };
    let items = collect(&paths);
    let outcomes: Vec<Outcome> = items
        .into_par_iter()
        .map(|item| match item {
            Item::Unlisted(e) => Outcome::Failed(e),
            Item::File(path) => match input::read(&path) {
                Ok(source) => {
                    let analysis = diagnostic::analyze(&source, args.edition);
                    Outcome::Checked(source, analysis)
                }
                Err(e) => Outcome::Failed(format!("cannot read {}: {e}", path.display())),
            },
        })
        .collect();

    let color = diagnostic::use_color(args.color);
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let (mut files, mut errors, mut failures) = (0usize, 0usize, 0usize);
    let mut json = Vec::new();
    let mut written = Ok(());
    for outcome in &outcomes {
        match outcome {
            Outcome::Failed(message) => {
                failures += 1;
                eprintln!("error: {message}");
            }
            Outcome::Checked(source, analysis) => {
                files += 1;
                errors += analysis.diagnostics.iter().filter(|d| d.severity == Severity::Error).count();
                if args.verbose {
                    match &analysis.edition {
                        Some((edition, from)) => eprintln!("{}: edition {edition} (from {from})", source.name),
                        None => eprintln!("{}: edition unknown", source.name),
                    }
                }
                match args.format {
                    Format::Human => {
                        if written.is_ok() {
                            written = diagnostic::write_human(&mut out, source, &analysis.diagnostics, color);
                        }
                    }
                    Format::Json => {
                        let index = LineIndex::new(&source.text);
                        json.extend(analysis.diagnostics.iter().map(|d| {
                            serde_json::to_value(JsonDiagnostic::new(source, &index, d)).unwrap_or_default()
                        }));
                    }
                }
            }
        }
    }
    if args.format == Format::Json && written.is_ok() {
        written = serde_json::to_writer_pretty(&mut out, &json).map_err(io::Error::from).and_then(|()| writeln!(out));
    }
    if let Err(e) = written.and_then(|()| out.flush()) {
        if e.kind() != io::ErrorKind::BrokenPipe {
            eprintln!("error: cannot write output: {e}");
            return EXIT_USAGE;
        }
    }
    if args.format == Format::Human {
        let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
        eprintln!("checked {}: {}", plural(files, "file"), plural(errors, "error"));
    }
    if failures > 0 {
        EXIT_USAGE
    } else if errors > 0 {
        EXIT_DIAGNOSTICS
    } else {
        EXIT_OK
    }
}
