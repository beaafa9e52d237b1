//! Machine formats of `lixc check` beyond JSON: SARIF 2.1.0 for code scanning, and GitHub
//! workflow annotations (`::warning file=...::message`).

use std::ops::Range;

use lix_hir::lint::{Lint, Safety};
use serde_json::{json, Value};

use crate::diagnostic::{Diagnostic, LineIndex, Severity};
use crate::input::Source;

fn sarif_level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Hint => "note",
    }
}

fn region(index: &LineIndex<'_>, range: &Range<u32>) -> Value {
    let (start, end) = (index.position(range.start), index.position(range.end));
    json!({
        "startLine": start.line,
        "startColumn": start.column,
        "endLine": end.line,
        "endColumn": end.column,
    })
}

/// One SARIF result for `d` in `source`.
pub fn sarif_result(source: &Source, index: &LineIndex<'_>, d: &Diagnostic) -> Value {
    let location = |range: &Range<u32>| {
        json!({ "physicalLocation": { "artifactLocation": { "uri": source.name }, "region": region(index, range) } })
    };
    let mut result = json!({
        "ruleId": d.code,
        "level": sarif_level(d.severity),
        "message": { "text": match &d.help { Some(h) => format!("{} ({h})", d.message), None => d.message.clone() } },
        "locations": [location(&d.range)],
    });
    if !d.notes.is_empty() {
        result["relatedLocations"] = d
            .notes
            .iter()
            .enumerate()
            .map(|(i, (r, m))| {
                let mut l = location(r);
                l["id"] = json!(i);
                l["message"] = json!({ "text": m });
                l
            })
            .collect();
    }
    if let Some(fix) = d.fix.as_ref().filter(|f| f.safety == Safety::Safe) {
        let replacements: Vec<Value> = fix
            .edits
            .iter()
            .map(|e| {
                let r: Range<u32> = e.range.start().into()..e.range.end().into();
                json!({ "deletedRegion": region(index, &r), "insertedContent": { "text": e.insert } })
            })
            .collect();
        result["fixes"] = json!([{
            "description": { "text": fix.message },
            "artifactChanges": [{ "artifactLocation": { "uri": source.name }, "replacements": replacements }],
        }]);
    }
    result
}

/// The whole SARIF log around `results`: one run of lixc, with every lint as a rule.
pub fn sarif_log(results: Vec<Value>) -> Value {
    let rules: Vec<Value> = Lint::ALL
        .iter()
        .map(|l| {
            json!({
                "id": l.code(),
                "name": l.name(),
                "shortDescription": { "text": l.description() },
                "fullDescription": { "text": l.description() },
                "help": { "text": l.explanation() },
                "defaultConfiguration": { "level": sarif_level(l.default_severity().into()) },
            })
        })
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": { "name": "lixc", "version": env!("CARGO_PKG_VERSION"), "rules": rules } },
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    })
}

/// Escapes the data part of a workflow command.
fn escape_data(s: &str) -> String {
    s.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

/// Escapes a property value of a workflow command.
fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// `d` as a GitHub workflow annotation line.
pub fn github_annotation(source: &Source, index: &LineIndex<'_>, d: &Diagnostic) -> String {
    let command = match d.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Hint => "notice",
    };
    let (start, end) = (index.position(d.range.start), index.position(d.range.end));
    let mut message = d.message.clone();
    if let Some(help) = &d.help {
        message.push_str(&format!(" ({help})"));
    }
    if let Some(fix) = &d.fix {
        message.push_str(&format!("\nfix: {}", fix.message));
    }
    let mut properties = format!("file={},line={},col={}", escape_property(&source.name), start.line, start.column);
    if end.line == start.line {
        properties.push_str(&format!(",endColumn={}", end.column));
    } else {
        properties.push_str(&format!(",endLine={}", end.line));
    }
    properties.push_str(&format!(",title={}", escape_property(d.code)));
    format!("::{command} {properties}::{}", escape_data(&message))
}
