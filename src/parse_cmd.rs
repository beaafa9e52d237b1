//! `lixc parse`: print one file's syntax tree and its errors.

use std::io::{self, BufWriter, Write};
use std::path::PathBuf;

use lix_editions::Edition;
use lix_syntax::{SyntaxNode, TextRange};
use rowan::{NodeOrToken, WalkEvent};

use crate::diagnostic::{self, JsonDiagnostic, LineIndex};
use crate::{input, Color, EXIT_DIAGNOSTICS, EXIT_OK, EXIT_USAGE};

/// What `lixc parse` prints.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ParseFormat {
    /// The syntax tree as indented text.
    Human,
    /// The tree and the errors as JSON.
    Json,
    /// The lowered expression as Nix source, fully parenthesised, as `nix-instantiate --parse`
    /// prints it.
    Nix,
}

/// Arguments of `lixc parse`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The file to parse; `-` reads standard input.
    file: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ParseFormat::Human)]
    format: ParseFormat,
    /// The edition for files that name none (no pragma, no lix.toml).
    #[arg(long, value_parser = crate::parse_edition)]
    edition: Option<Edition>,
    /// When to colour diagnostics.
    #[arg(long, value_enum, default_value_t = Color::Auto)]
    color: Color,
}

/// Runs the command; returns the exit status.
pub fn run(args: Args) -> u8 {
    let source = match input::read(&args.file) {
        Ok(source) => source,
        Err(e) => {
            eprintln!("error: cannot read {}: {e}", args.file.display());
            return EXIT_USAGE;
        }
    };
    let analysis = diagnostic::analyze(&source, args.edition);
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let written = match args.format {
        ParseFormat::Nix => match &analysis.parse {
            Some(parse) if analysis.diagnostics.is_empty() => {
                let base_dir = match &source.path {
                    Some(p) => std::path::absolute(p)
                        .ok()
                        .and_then(|p| p.parent().map(|d| d.to_string_lossy().into_owned()))
                        .unwrap_or_else(|| "/".into()),
                    None => std::env::current_dir().map(|d| d.to_string_lossy().into_owned()).unwrap_or_else(|_| "/".into()),
                };
                let edition = analysis.edition.as_ref().map_or(Edition::E2024, |e| e.0);
                let config = lix_hir::lower::LowerConfig {
                    edition,
                    base_dir,
                    home: std::env::var("HOME").ok().filter(|h| !h.is_empty()),
                };
                let lowered = lix_hir::lower::lower(&parse.root(), &config);
                if let Some(e) = lowered.errors.first() {
                    let mut err = io::stderr().lock();
                    let _ = writeln!(err, "error: {}", e.message);
                    return EXIT_DIAGNOSTICS;
                }
                writeln!(out, "{}", lix_hir::print::print_nix(&lowered.body)).and_then(|()| out.flush())
            }
            _ => {
                let mut err = io::stderr().lock();
                diagnostic::write_human(&mut err, &source, &analysis.diagnostics, false)
            }
        },
        ParseFormat::Human => {
            let tree = analysis.parse.as_ref().map(|p| p.syntax());
            let result = tree.as_ref().map_or(Ok(()), |t| write!(out, "{t:#?}")).and_then(|()| out.flush());
            let color = matches!(args.color, Color::Always)
                || (matches!(args.color, Color::Auto) && std::env::var_os("NO_COLOR").is_none() && {
                    use std::io::IsTerminal;
                    io::stderr().is_terminal()
                });
            let mut err = io::stderr().lock();
            result.and_then(|()| diagnostic::write_human(&mut err, &source, &analysis.diagnostics, color))
        }
        ParseFormat::Json => {
            let index = LineIndex::new(&source.text);
            let errors: Vec<_> = analysis.diagnostics.iter().map(|d| JsonDiagnostic::new(&source, &index, d)).collect();
            write_json(&mut out, &source.name, analysis.edition.as_ref().map(|e| e.0), &errors, analysis.parse.as_ref().map(|p| p.syntax()))
                .and_then(|()| out.flush())
        }
    };
    if let Err(e) = written {
        if e.kind() != io::ErrorKind::BrokenPipe {
            eprintln!("error: cannot write output: {e}");
            return EXIT_USAGE;
        }
    }
    if analysis.diagnostics.is_empty() {
        EXIT_OK
    } else {
        EXIT_DIAGNOSTICS
    }
}

fn write_json(
    out: &mut dyn Write,
    file: &str,
    edition: Option<Edition>,
    errors: &[JsonDiagnostic<'_>],
    tree: Option<SyntaxNode>,
) -> io::Result<()> {
    write!(out, "{{\"file\":")?;
    serde_json::to_writer(&mut *out, file)?;
    write!(out, ",\"edition\":")?;
    serde_json::to_writer(&mut *out, &edition.map(|e| e.name()))?;
    write!(out, ",\"ok\":{},\"errors\":", errors.is_empty())?;
    serde_json::to_writer(&mut *out, errors)?;
    write!(out, ",\"tree\":")?;
    match tree {
        Some(tree) => write_tree(out, &tree)?,
        None => write!(out, "null")?,
    }
    writeln!(out, "}}")
}

/// Writes the tree as nested objects, iteratively (trees may be very deep).
fn write_tree(out: &mut dyn Write, root: &SyntaxNode) -> io::Result<()> {
    // Per open node: whether a child has been written yet.
    let mut open: Vec<bool> = Vec::new();
    let range = |r: TextRange| (u32::from(r.start()), u32::from(r.end()));
    for event in root.preorder_with_tokens() {
        match event {
            WalkEvent::Enter(element) => {
                if let Some(has_child) = open.last_mut() {
                    if *has_child {
                        write!(out, ",")?;
                    }
                    *has_child = true;
                }
                let (start, end) = range(element.text_range());
                write!(out, "{{\"kind\":\"{:?}\",\"start\":{start},\"end\":{end}", element.kind())?;
                match element {
                    NodeOrToken::Node(_) => {
                        write!(out, ",\"children\":[")?;
                        open.push(false);
                    }
                    NodeOrToken::Token(token) => {
                        write!(out, ",\"text\":")?;
                        serde_json::to_writer(&mut *out, token.text())?;
                        write!(out, "}}")?;
                    }
                }
            }
            WalkEvent::Leave(NodeOrToken::Node(_)) => {
                open.pop();
                write!(out, "]}}")?;
            }
            WalkEvent::Leave(NodeOrToken::Token(_)) => {}
        }
    }
    Ok(())
}
