//! `lixc check --watch`: one salsa database for the whole run. Every file is a `SourceFile`
//! input; a change sets the new text on its input, and only that file's parse, HIR and lints
//! are computed again (the others come from the database's memo). Findings are printed after
//! the first check and after every batch of changes.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use lix_editions::EditionSource;
use lix_hir::{lint_file, parse_file, RootDatabase, SourceFile};
use notify::{RecursiveMode, Watcher};
use salsa::Setter;

use super::{collect, report, Args, Configs, Item, Outcome};
use crate::diagnostic::{Analysis, Diagnostic, Severity};
use crate::input::{self, Source};
use crate::EXIT_USAGE;

/// How long to wait for more events after one arrives, so that an editor's write (often
/// several events) is checked once.
const DEBOUNCE: Duration = Duration::from_millis(100);

/// One watched file: its input in the database, the source as read, and its findings.
struct Watched {
    input: Option<SourceFile>,
    source: Source,
    edition: Option<(lix_editions::Edition, EditionSource)>,
    diagnostics: Vec<Diagnostic>,
}

struct State<'a> {
    db: RootDatabase,
    files: BTreeMap<PathBuf, Watched>,
    args: &'a Args,
    configs: &'a Configs,
    /// Files whose lints were computed (not taken from the memo) since the last report.
    rechecked: usize,
}

impl State<'_> {
    /// Reads `path` and (re)computes its findings through the database.
    fn load(&mut self, path: &Path) {
        let Ok(source) = input::read(path) else {
            self.files.remove(path);
            return;
        };
        let config = match self.configs.for_file(Some(path)) {
            Ok(c) => c,
            Err(e) => {
                eprintln!("error: {e}");
                return;
            }
        };
        // Bad bytes and unknown editions: the plain analysis says what is wrong.
        let edition = lix_editions::detect(Some(path), &source.text, self.args.edition).ok();
        let (Some((edition_value, _)), None) = (&edition, &source.unreadable) else {
            let analysis = crate::diagnostic::analyze_with(&source, self.args.edition, &config.lints);
            self.files.insert(path.to_path_buf(), Watched { input: None, source, edition: analysis.edition.clone(), diagnostics: analysis.diagnostics });
            return;
        };
        let edition_value = *edition_value;
        let text: std::sync::Arc<str> = source.text.as_str().into();
        let input = match self.files.get(path).and_then(|w| w.input) {
            Some(input) => {
                if *input.text(&self.db) != *text {
                    input.set_text(&mut self.db).to(text);
                }
                if *input.edition(&self.db) != edition_value {
                    input.set_edition(&mut self.db).to(edition_value);
                }
                input
            }
            None => {
                let base = path.parent().map(|p| p.display().to_string()).unwrap_or_default();
                SourceFile::new(&self.db, path.display().to_string(), text, edition_value, base)
            }
        };
        let parse = parse_file(&self.db, input);
        let mut diagnostics: Vec<Diagnostic> = parse
            .errors()
            .iter()
            .map(|e| Diagnostic {
                code: e.kind.code(),
                severity: Severity::Error,
                message: e.message.clone(),
                range: e.range.clone(),
                notes: e.notes.clone(),
                help: None,
                lint: None,
                fix: None,
            })
            .collect();
        let lints = lint_file(&self.db, input);
        diagnostics.extend(crate::diagnostic::checks(&parse.0, edition_value, Some(lints.as_ref()), &config.lints));
        diagnostics.sort_by_key(|d| (d.range.start, d.range.end));
        self.rechecked += 1;
        self.files.insert(path.to_path_buf(), Watched { input: Some(input), source, edition, diagnostics });
    }

    fn print(&mut self) -> u8 {
        let outcomes: Vec<Outcome> = self
            .files
            .values()
            .map(|w| Outcome::Checked {
                source: Source { name: w.source.name.clone(), path: w.source.path.clone(), text: w.source.text.clone(), unreadable: None },
                analysis: Analysis { edition: w.edition.clone(), parse: None, diagnostics: w.diagnostics.clone() },
                fixed: 0,
                diff: None,
            })
            .collect();
        let deny = self.args.deny.unwrap_or(Severity::Warning);
        let code = report(self.args, &outcomes, deny);
        self.rechecked = 0;
        code
    }
}

/// Runs `lixc check --watch`; returns when the watcher fails (or after `--watch-rounds`).
pub fn run(args: &Args, configs: &Configs) -> u8 {
    let paths = if args.paths.is_empty() { vec![PathBuf::from(".")] } else { args.paths.clone() };
    if paths.iter().any(|p| p == Path::new("-")) {
        eprintln!("error: --watch cannot watch standard input");
        return EXIT_USAGE;
    }
    let (tx, rx) = mpsc::channel();
    let mut watcher = match notify::recommended_watcher(tx) {
        Ok(w) => w,
        Err(e) => {
            eprintln!("error: cannot watch files: {e}");
            return EXIT_USAGE;
        }
    };
    for path in &paths {
        if let Err(e) = watcher.watch(path, RecursiveMode::Recursive) {
            eprintln!("error: cannot watch {}: {e}", path.display());
            return EXIT_USAGE;
        }
    }
    let mut state = State { db: RootDatabase::default(), files: BTreeMap::new(), args, configs, rechecked: 0 };
    for item in collect(&paths, configs) {
        match item {
            Item::File(path) => state.load(&path),
            Item::Unlisted(e) => eprintln!("error: {e}"),
        }
    }
    let mut code = state.print();
    eprintln!("watching for changes...");
    let mut rounds = 0;
    while args.watch_rounds.is_none_or(|n| rounds < n) {
        let Ok(first) = rx.recv() else { break };
        let mut changed: Vec<PathBuf> = Vec::new();
        let mut take = |event: notify::Result<notify::Event>| {
            if let Ok(event) = event {
                if matches!(event.kind, notify::EventKind::Access(_)) {
                    return;
                }
                changed.extend(event.paths.into_iter().filter(|p| p.extension().is_some_and(|e| e == "nix")));
            }
        };
        take(first);
        while let Ok(event) = rx.recv_timeout(DEBOUNCE) {
            take(event);
        }
        changed.sort();
        changed.dedup();
        if changed.is_empty() {
            continue;
        }
        for path in &changed {
            // Events name absolute paths; files were listed as the user named them.
            let key = state
                .files
                .keys()
                .find(|k| k.canonicalize().ok().as_deref() == Some(path.as_path()) || *k == path)
                .cloned()
                .unwrap_or_else(|| path.clone());
            if key.exists() {
                if configs.for_file(Some(&key)).is_ok_and(|c| c.ignores(&key)) {
                    continue;
                }
                state.load(&key);
            } else {
                state.files.remove(&key);
            }
        }
        rounds += 1;
        eprintln!("{} changed; re-checked {}", plural(changed.len()), plural(state.rechecked));
        code = state.print();
    }
    code
}

fn plural(n: usize) -> String {
    format!("{n} file{}", if n == 1 { "" } else { "s" })
}
