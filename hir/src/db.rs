//! The salsa database: source files as inputs, and the queries over one file that every later
//! phase builds on (parse, lower, diagnostics). A long-lived process keeps one database, so a
//! change to one file re-does only the work that depends on it.
//!
//! Other crates add their own tracked functions on top of [`Db`] (the compiler's bytecode
//! query takes a `&dyn Db`).

use std::sync::Arc;

use lix_editions::Edition;
use lix_syntax::{Parse, SyntaxError, TextRange};

use crate::lower::{lower, LowerConfig, Lowered};

/// The database every lixc query runs against.
#[salsa::db]
pub trait Db: salsa::Database {}

/// The concrete database.
#[salsa::db]
#[derive(Clone, Default)]
pub struct RootDatabase {
    storage: salsa::Storage<Self>,
}

#[salsa::db]
impl salsa::Database for RootDatabase {}

#[salsa::db]
impl Db for RootDatabase {}

impl RootDatabase {
    /// A database that reports every salsa event to `callback` (for tests and tracing).
    pub fn with_event_callback(callback: impl Fn(salsa::Event) + Send + Sync + 'static) -> Self {
        RootDatabase { storage: salsa::Storage::new(Some(Box::new(callback))) }
    }
}

/// One source file: its name, text and how to read it.
#[salsa::input(debug)]
pub struct SourceFile {
    /// The absolute path, or a pseudo name such as `(string)` or `(stdin)`.
    #[returns(ref)]
    pub path: String,
    /// The text (raw bytes that are not UTF-8 as `lix_syntax::source` stand-ins).
    #[returns(clone)]
    pub text: Arc<str>,
    /// The edition the file is read in.
    pub edition: Edition,
    /// The absolute directory that relative paths in the file resolve against.
    #[returns(ref)]
    pub base_dir: String,
}

/// A parse as a query result: cheap to clone, equal when the trees are.
#[derive(Clone, Debug)]
pub struct ParsedFile(pub Arc<Parse>);

impl PartialEq for ParsedFile {
    fn eq(&self, other: &Self) -> bool {
        self.0.green() == other.0.green() && self.0.errors() == other.0.errors()
    }
}

impl Eq for ParsedFile {}

impl std::ops::Deref for ParsedFile {
    type Target = Parse;

    fn deref(&self) -> &Parse {
        &self.0
    }
}

/// A diagnostic of one file, before rendering.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileDiagnostic {
    /// Which phase found it.
    pub kind: DiagnosticKind,
    /// The message.
    pub message: String,
    /// Where.
    pub range: TextRange,
}

/// Which phase found a diagnostic.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DiagnosticKind {
    /// The parser, with the syntax error's stable code.
    Syntax(&'static str),
    /// Lowering (undefined variables, unresolvable paths).
    Lower,
}

/// The file's syntax tree and syntax errors.
#[salsa::tracked]
pub fn parse_file(db: &dyn Db, file: SourceFile) -> ParsedFile {
    ParsedFile(Arc::new(lix_syntax::parse(&file.text(db))))
}

/// The file's HIR, with the errors lowering found.
#[salsa::tracked]
pub fn lower_file(db: &dyn Db, file: SourceFile) -> Arc<Lowered> {
    let parse = parse_file(db, file);
    let config = LowerConfig {
        edition: *file.edition(db),
        base_dir: file.base_dir(db).clone(),
        home: std::env::var("HOME").ok().filter(|h| !h.is_empty()),
    };
    let root = parse.root();
    let lowered = lower(&root, &config);
    drop(root);
    Arc::new(lowered)
}

/// Every syntax and lowering error of the file, syntax errors first.
#[salsa::tracked]
pub fn file_diagnostics(db: &dyn Db, file: SourceFile) -> Arc<Vec<FileDiagnostic>> {
    let parse = parse_file(db, file);
    let mut out: Vec<FileDiagnostic> = parse.errors().iter().map(syntax_diagnostic).collect();
    let lowered = lower_file(db, file);
    out.extend(lowered.errors.iter().map(|e| FileDiagnostic {
        kind: DiagnosticKind::Lower,
        message: e.message.clone(),
        range: e.range,
    }));
    Arc::new(out)
}

/// The file's lint findings (with every lint's default options), for a long-lived checker such
/// as `lixc check --watch`: an edit to one file re-runs only that file's lints. A file with
/// syntax errors has none.
#[salsa::tracked]
pub fn lint_file(db: &dyn Db, file: SourceFile) -> Arc<crate::lint::LintReport> {
    let parse = parse_file(db, file);
    if !parse.is_ok() {
        return Arc::new(crate::lint::LintReport::default());
    }
    let lowered = lower_file(db, file);
    let report = crate::lint::check(&parse.syntax(), lowered.as_ref(), *file.edition(db), crate::lint::LintOptions::default());
    Arc::new(report)
}

fn syntax_diagnostic(error: &SyntaxError) -> FileDiagnostic {
    FileDiagnostic {
        kind: DiagnosticKind::Syntax(error.kind.code()),
        message: error.message.clone(),
        range: TextRange::new(error.range.start.into(), error.range.end.into()),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use salsa::Setter;

    use super::*;

    #[test]
    fn changing_one_file_relowers_only_that_file() {
        let log = Arc::new(Mutex::new(Vec::new()));
        let sink = log.clone();
        let mut db = RootDatabase::with_event_callback(move |event| {
            if let salsa::EventKind::WillExecute { database_key } = event.kind {
                sink.lock().unwrap().push(format!("{database_key:?}"));
            }
        });
        let a = SourceFile::new(&db, "/a.nix".into(), "let x = 1; in x".into(), Edition::E2024, "/".into());
        let b = SourceFile::new(&db, "/b.nix".into(), "{ y = z; }".into(), Edition::E2024, "/".into());
        lower_file(&db, a);
        assert_eq!(file_diagnostics(&db, b).len(), 1);
        let executed = |log: &Mutex<Vec<String>>| std::mem::take(&mut *log.lock().unwrap());
        let first = executed(&log);
        assert_eq!(first.iter().filter(|e| e.starts_with("lower_file")).count(), 2, "{first:?}");

        a.set_text(&mut db).to("let x = 2; in x".into());
        lower_file(&db, a);
        lower_file(&db, b);
        file_diagnostics(&db, b);
        let second = executed(&log);
        assert_eq!(second.iter().filter(|e| e.starts_with("lower_file")).count(), 1, "{second:?}");
        assert_eq!(second.iter().filter(|e| e.starts_with("parse_file")).count(), 1, "{second:?}");
        assert!(!second.iter().any(|e| e.starts_with("file_diagnostics")), "{second:?}");
    }

    #[test]
    fn an_edit_relints_only_the_edited_file() {
        let log = Arc::new(Mutex::new(Vec::new()));
        let sink = log.clone();
        let mut db = RootDatabase::with_event_callback(move |event| {
            if let salsa::EventKind::WillExecute { database_key } = event.kind {
                sink.lock().unwrap().push(format!("{database_key:?}"));
            }
        });
        let a = SourceFile::new(&db, "/a.nix".into(), "let x = 1; in 2".into(), Edition::E2024, "/".into());
        let b = SourceFile::new(&db, "/b.nix".into(), "rec { y = 1; }".into(), Edition::E2024, "/".into());
        assert_eq!(lint_file(&db, a).lints.len(), 1);
        assert_eq!(lint_file(&db, b).lints.len(), 1);
        log.lock().unwrap().clear();

        a.set_text(&mut db).to("let x = 1; in x".into());
        assert!(lint_file(&db, a).lints.is_empty());
        assert_eq!(lint_file(&db, b).lints.len(), 1);
        let executed = std::mem::take(&mut *log.lock().unwrap());
        assert_eq!(executed.iter().filter(|e| e.starts_with("lint_file")).count(), 1, "{executed:?}");
    }
}
