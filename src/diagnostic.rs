//! Diagnostics as the binary reports them: one type for syntax, edition and name errors and for
//! lint findings, found for a source in one place, and printed for people (ariadne) or for
//! programs (JSON; SARIF and workflow annotations are in `check/output.rs`).

use std::io::{self, Write};
use std::ops::Range;

use ariadne::{Config, IndexType, Label, Report, ReportKind};
use lix_editions::{Edition, EditionError, EditionSource};
use lix_hir::lint::{self, Fix, Lint, LintOptions, Safety};
use lix_syntax::Parse;
use serde::Serialize;

use crate::input::Source;

/// How serious a diagnostic is, least serious first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// A suggestion.
    Hint,
    /// Probably a mistake, or needless code.
    Warning,
    /// The file is wrong.
    Error,
}

impl From<lint::Severity> for Severity {
    fn from(s: lint::Severity) -> Self {
        match s {
            lint::Severity::Hint => Severity::Hint,
            lint::Severity::Warning => Severity::Warning,
            lint::Severity::Error => Severity::Error,
        }
    }
}

/// Which lints run, at which severity, with which options.
#[derive(Clone, Debug)]
pub struct LintSettings {
    /// Whether lints run at all (`lixc parse` reports errors only).
    pub enabled: bool,
    /// Options of the lints.
    pub options: LintOptions,
    /// Per lint: its severity, or `None` when it is turned off. Lints not listed have their
    /// default severity.
    pub levels: Vec<(Lint, Option<Severity>)>,
}

impl LintSettings {
    /// No lints: errors only.
    pub fn off() -> Self {
        LintSettings { enabled: false, options: LintOptions::default(), levels: Vec::new() }
    }

    /// Every lint at its default severity.
    pub fn all() -> Self {
        LintSettings { enabled: true, options: LintOptions::default(), levels: Vec::new() }
    }

    /// The severity of `lint`, or `None` when it is off.
    pub fn level(&self, lint: Lint) -> Option<Severity> {
        if !self.enabled {
            return None;
        }
        match self.levels.iter().rev().find(|(l, _)| *l == lint) {
            Some((_, level)) => *level,
            None => Some(lint.default_severity().into()),
        }
    }
}

/// One finding about a source.
#[derive(Clone, Debug)]
pub struct Diagnostic {
    /// Stable code.
    pub code: &'static str,
    /// How serious.
    pub severity: Severity,
    /// What is wrong.
    pub message: String,
    /// Where, in bytes.
    pub range: Range<u32>,
    /// Related places.
    pub notes: Vec<(Range<u32>, String)>,
    /// How to fix it.
    pub help: Option<String>,
    /// The lint that found it, for lint findings.
    pub lint: Option<Lint>,
    /// An automatic fix.
    pub fix: Option<Fix>,
}

impl Diagnostic {
    /// A diagnostic without lint, fix or help.
    fn error(code: &'static str, message: String, range: Range<u32>, notes: Vec<(Range<u32>, String)>, help: Option<String>) -> Self {
        Diagnostic { code, severity: Severity::Error, message, range, notes, help, lint: None, fix: None }
    }
}

fn to_range(r: lix_syntax::TextRange) -> Range<u32> {
    r.start().into()..r.end().into()
}

/// Everything found about one source.
pub struct Analysis {
    /// The source's edition and where that came from, if it could be found.
    pub edition: Option<(Edition, EditionSource)>,
    /// The parse, unless the input is not text.
    pub parse: Option<Parse>,
    /// Findings in source order.
    pub diagnostics: Vec<Diagnostic>,
}

/// Parses `source` and checks it against its edition, without lints.
pub fn analyze(source: &Source, flag: Option<Edition>) -> Analysis {
    analyze_with(source, flag, &LintSettings::off())
}

/// Lint findings as diagnostics, at their configured severities, turned-off lints dropped.
pub fn lint_diagnostics(lints: Vec<lint::LintDiagnostic>, settings: &LintSettings) -> Vec<Diagnostic> {
    lints
        .into_iter()
        .filter_map(|d| {
            let severity = settings.level(d.lint)?;
            Some(Diagnostic {
                code: d.lint.code(),
                severity,
                message: d.message,
                range: to_range(d.range),
                notes: d.notes.into_iter().map(|(r, m)| (to_range(r), m)).collect(),
                help: None,
                lint: Some(d.lint),
                fix: d.fix,
            })
        })
        .collect()
}

/// The edition, name and lint diagnostics of a parsed file of `edition`; `report` is the lint
/// report when the caller has it (from the salsa database), else the lints run here.
pub fn checks(parse: &Parse, edition: Edition, report: Option<&lint::LintReport>, settings: &LintSettings) -> Vec<Diagnostic> {
    let root = parse.syntax();
    let mut diagnostics: Vec<Diagnostic> = lix_editions::check(&root, edition)
        .into_iter()
        .map(|v| Diagnostic::error(v.code(), v.message.clone(), v.range.clone(), Vec::new(), Some(v.help)))
        .collect();
    // Name resolution on a broken tree would only echo the syntax errors.
    if !parse.is_ok() {
        return diagnostics;
    }
    let computed;
    let report = match report {
        Some(r) => r,
        None => {
            computed = if settings.enabled {
                let config = lix_hir::LowerConfig { edition, base_dir: "/".to_string(), home: None };
                let lowered = lix_hir::lower(&parse.root(), &config);
                lint::check(&root, &lowered, edition, settings.options)
            } else {
                lint::LintReport::default()
            };
            &computed
        }
    };
    diagnostics.extend(lix_hir::undefined_variables(&root, edition).into_iter().map(|u| {
        let help = report
            .suggestions
            .iter()
            .find(|(r, _)| to_range(*r) == u.range)
            .map(|(_, name)| format!("did you mean '{name}'?"));
        Diagnostic::error("N001", u.message(), u.range.clone(), Vec::new(), help)
    }));
    let lints = report.lints.iter().filter(|d| {
        settings.options.lambda_args
            || !matches!(d.lint, Lint::UnusedLambdaArg | Lint::UnusedPatternField | Lint::UnusedPatternAlias)
    });
    diagnostics.extend(lint_diagnostics(lints.cloned().collect(), settings));
    diagnostics
}

/// Parses `source`, checks it against its edition and runs the lints `settings` turn on.
pub fn analyze_with(source: &Source, flag: Option<Edition>, settings: &LintSettings) -> Analysis {
    analyze_in(source, settings, || lix_editions::detect(source.path.as_deref(), &source.text, flag))
}

/// [`analyze_with`], with the file's edition found by `edition`.
pub fn analyze_in(
    source: &Source,
    settings: &LintSettings,
    edition: impl FnOnce() -> Result<(Edition, EditionSource), EditionError>,
) -> Analysis {
    let mut diagnostics = Vec::new();
    if let Some(e) = &source.unreadable {
        diagnostics.push(Diagnostic::error(lix_syntax::SyntaxErrorKind::BadInput.code(), e.to_string(), 0..0, Vec::new(), None));
        return Analysis { edition: None, parse: None, diagnostics };
    }
    let edition = match edition() {
        Ok(found) => Some(found),
        Err(EditionError::Pragma { error, range }) => {
            diagnostics.push(Diagnostic::error(
                "ED03",
                error.to_string(),
                range,
                Vec::new(),
                Some("write '# edition = \"2024\"' or '# edition = \"2026\"'".into()),
            ));
            None
        }
        Err(e @ EditionError::LixToml { .. }) => {
            diagnostics.push(Diagnostic::error("ED03", e.to_string(), 0..0, Vec::new(), None));
            None
        }
    };
    let parse = lix_syntax::parse(&source.text);
    diagnostics.extend(
        parse.errors().iter().map(|e| Diagnostic::error(e.kind.code(), e.message.clone(), e.range.clone(), e.notes.clone(), None)),
    );
    if let Some((edition, _)) = &edition {
        diagnostics.extend(checks(&parse, *edition, None, settings));
    }
    diagnostics.sort_by_key(|d| (d.range.start, d.range.end));
    Analysis { edition, parse: Some(parse), diagnostics }
}

/// Writes `diagnostics` of `source` for people.
pub fn write_human(out: &mut dyn Write, source: &Source, diagnostics: &[Diagnostic], color: bool) -> io::Result<()> {
    if diagnostics.is_empty() {
        return Ok(());
    }
    let name = source.name.as_str();
    let config = Config::default().with_color(color).with_index_type(IndexType::Byte);
    // Indexing the source's lines costs a pass over it: once per file, not once per diagnostic.
    let mut cache = (name, ariadne::Source::from(source.text.as_str()));
    for d in diagnostics {
        let kind = match d.severity {
            Severity::Error => ReportKind::Error,
            Severity::Warning => ReportKind::Warning,
            Severity::Hint => ReportKind::Advice,
        };
        let span = label_span(&source.text, &d.range);
        let mut report = Report::build(kind, (name, span.clone()))
            .with_config(config)
            .with_code(d.code)
            .with_message(&d.message)
            .with_label(Label::new((name, span)).with_message(&d.message).with_order(0));
        for (i, (range, note)) in d.notes.iter().enumerate() {
            report = report.with_label(Label::new((name, label_span(&source.text, range))).with_message(note).with_order(i as i32 + 1));
        }
        if let Some(help) = &d.help {
            report = report.with_help(help);
        }
        if let Some(fix) = &d.fix {
            let how = match fix.safety {
                Safety::Safe => "fix (--fix)",
                Safety::Unsafe => "fix (--fix-unsafe)",
            };
            report = report.with_note(format!("{how}: {}", fix.message));
        }

        report.finish().write(&mut cache, &mut *out)?;
    }
    Ok(())
}

/// A non-empty byte span on character boundaries, so an error at the end of input still points
/// at something.
fn label_span(text: &str, range: &Range<u32>) -> Range<usize> {
    let mut start = (range.start as usize).min(text.len());
    while !text.is_char_boundary(start) {
        start -= 1;
    }
    let mut end = (range.end as usize).clamp(start, text.len());
    while !text.is_char_boundary(end) {
        end += 1;
    }
    if start == end {
        if let Some(c) = text[start..].chars().next() {
            end = start + c.len_utf8();
        } else if let Some(c) = text[..start].chars().next_back() {
            start -= c.len_utf8();
        }
    }
    start..end
}

/// A 1-based line and column (in characters).
#[derive(Serialize, Clone, Copy, Debug)]
pub struct Position {
    /// The line, from 1.
    pub line: usize,
    /// The column in characters, from 1.
    pub column: usize,
}

/// Finds line and column of byte offsets in one text.
pub struct LineIndex<'a> {
    text: &'a str,
    starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    /// Indexes `text`.
    pub fn new(text: &'a str) -> Self {
        let starts = std::iter::once(0).chain(text.match_indices('\n').map(|(i, _)| i + 1)).collect();
        LineIndex { text, starts }
    }

    /// The position of byte `offset`.
    pub fn position(&self, offset: u32) -> Position {
        let offset = (offset as usize).min(self.text.len());
        let line = self.starts.partition_point(|&s| s <= offset) - 1;
        let start = self.starts[line];
        let column = self.text.get(start..offset).map_or(offset - start, |s| s.chars().count()) + 1;
        Position { line: line + 1, column }
    }
}

/// A diagnostic as JSON.
#[derive(Serialize)]
pub struct JsonDiagnostic<'a> {
    file: &'a str,
    code: &'static str,
    /// The lint's name, for lint findings.
    #[serde(skip_serializing_if = "Option::is_none")]
    lint: Option<&'static str>,
    severity: Severity,
    message: &'a str,
    range: JsonRange,
    notes: Vec<JsonNote<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    help: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    fix: Option<JsonFix<'a>>,
}

#[derive(Serialize)]
struct JsonFix<'a> {
    message: &'a str,
    safe: bool,
    edits: Vec<JsonEdit<'a>>,
}

#[derive(Serialize)]
struct JsonEdit<'a> {
    range: JsonRange,
    insert: &'a str,
}

#[derive(Serialize)]
struct JsonRange {
    start: u32,
    end: u32,
    start_pos: Position,
    end_pos: Position,
}

#[derive(Serialize)]
struct JsonNote<'a> {
    message: &'a str,
    range: JsonRange,
}

impl<'a> JsonDiagnostic<'a> {
    /// The JSON form of `d`, found in `source`.
    pub fn new(source: &'a Source, index: &LineIndex<'_>, d: &'a Diagnostic) -> Self {
        let range = |r: &Range<u32>| JsonRange {
            start: r.start,
            end: r.end,
            start_pos: index.position(r.start),
            end_pos: index.position(r.end),
        };
        JsonDiagnostic {
            file: &source.name,
            code: d.code,
            lint: d.lint.map(Lint::name),
            severity: d.severity,
            message: &d.message,
            range: range(&d.range),
            notes: d.notes.iter().map(|(r, m)| JsonNote { message: m, range: range(r) }).collect(),
            help: d.help.as_deref(),
            fix: d.fix.as_ref().map(|f| JsonFix {
                message: &f.message,
                safe: f.safety == Safety::Safe,
                edits: f.edits.iter().map(|e| JsonEdit { range: range(&to_range(e.range)), insert: &e.insert }).collect(),
            }),
        }
    }
}

/// Whether to colour output written to stdout.
pub fn use_color(choice: crate::Color) -> bool {
    use std::io::IsTerminal;
    match choice {
        crate::Color::Always => true,
        crate::Color::Never => false,
        crate::Color::Auto => std::env::var_os("NO_COLOR").is_none() && io::stdout().is_terminal(),
    }
}
