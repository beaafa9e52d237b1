//! Diagnostics as the binary reports them: one type for syntax and edition errors, found for a
//! source in one place, and printed for people (ariadne) or for programs (JSON).

use std::io::{self, Write};
use std::ops::Range;

use ariadne::{Config, IndexType, Label, Report, ReportKind};
use lix_editions::{Edition, EditionError, EditionSource};
use lix_syntax::Parse;
use serde::Serialize;

use crate::input::Source;

/// How serious a diagnostic is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The file is wrong.
    Error,
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

/// Parses `source` and checks it against its edition.
pub fn analyze(source: &Source, flag: Option<Edition>) -> Analysis {
    let mut diagnostics = Vec::new();
    if let Some(e) = &source.unreadable {
        diagnostics.push(Diagnostic {
            code: lix_syntax::SyntaxErrorKind::BadInput.code(),
            severity: Severity::Error,
            message: e.to_string(),
            range: 0..0,
            notes: Vec::new(),
            help: None,
        });
        return Analysis { edition: None, parse: None, diagnostics };
    }
    let edition = match lix_editions::detect(source.path.as_deref(), &source.text, flag) {
        Ok(found) => Some(found),
        Err(EditionError::Pragma { error, range }) => {
            diagnostics.push(Diagnostic {
                code: "ED03",
                severity: Severity::Error,
                message: error.to_string(),
                range,
                notes: Vec::new(),
                help: Some("write '# edition = \"2024\"' or '# edition = \"2026\"'".into()),
            });
            None
        }
        Err(e @ EditionError::LixToml { .. }) => {
            diagnostics.push(Diagnostic {
                code: "ED03",
                severity: Severity::Error,
                message: e.to_string(),
                range: 0..0,
                notes: Vec::new(),
                help: None,
            });
            None
        }
    };
    let parse = lix_syntax::parse(&source.text);
    diagnostics.extend(parse.errors().iter().map(|e| Diagnostic {
        code: e.kind.code(),
        severity: Severity::Error,
        message: e.message.clone(),
        range: e.range.clone(),
        notes: e.notes.clone(),
        help: None,
    }));
    if let Some((edition, _)) = &edition {
        let root = parse.syntax();
        diagnostics.extend(lix_editions::check(&root, *edition).into_iter().map(|v| Diagnostic {
            code: v.code(),
            severity: Severity::Error,
            message: v.message,
            range: v.range,
            notes: Vec::new(),
            help: Some(v.help),
        }));
        // Name resolution on a broken tree would only echo the syntax errors.
        if parse.is_ok() {
            diagnostics.extend(lix_hir::undefined_variables(&root, *edition).into_iter().map(|u| Diagnostic {
                code: "N001",
                severity: Severity::Error,
                message: u.message(),
                range: u.range,
                notes: Vec::new(),
                help: None,
            }));
        }
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
#[derive(Serialize)]
pub struct Position {
    line: usize,
    column: usize,
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
    severity: Severity,
    message: &'a str,
    range: JsonRange,
    notes: Vec<JsonNote<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    help: Option<&'a str>,
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
            severity: d.severity,
            message: &d.message,
            range: range(&d.range),
            notes: d.notes.iter().map(|(r, m)| JsonNote { message: m, range: range(r) }).collect(),
            help: d.help.as_deref(),
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
