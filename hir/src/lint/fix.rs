//! Applying fixes: edits on the text, in rounds until no accepted fix remains, re-parsing after
//! every round so that a file that parsed is never left unparsable.

use lix_editions::Edition;
use lix_syntax::TextRange;

use super::{check, LintDiagnostic, LintOptions, TextEdit};
use crate::lower::{lower, LowerConfig};

/// Rounds of fixing before giving up on reaching a fixed point (a fix enabling another fix,
/// such as removing the last binding of a `let` and then the empty `let`, needs a few).
pub const MAX_FIX_ROUNDS: usize = 16;

/// Applies non-overlapping `edits` to `text`. Overlapping edits after the first are dropped.
pub fn apply_edits(text: &str, edits: &[TextEdit]) -> String {
    let mut sorted: Vec<&TextEdit> = edits.iter().collect();
    sorted.sort_by_key(|e| (e.range.start(), e.range.end()));
    let mut out = String::with_capacity(text.len());
    let mut pos = 0usize;
    for edit in sorted {
        let (start, end) = (usize::from(edit.range.start()), usize::from(edit.range.end()));
        if start < pos || end > text.len() || !text.is_char_boundary(start) || !text.is_char_boundary(end) {
            continue;
        }
        out.push_str(&text[pos..start]);
        out.push_str(&edit.insert);
        pos = end;
    }
    out.push_str(&text[pos..]);
    out
}

/// The result of fixing one text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FixOutcome {
    /// The fixed text (the input when nothing applied).
    pub text: String,
    /// How many fixes were applied, over all rounds.
    pub applied: usize,
    /// Whether the rounds stopped before reaching a fixed point.
    pub unfinished: bool,
}

/// The extent of a fix's edits.
fn extent(d: &LintDiagnostic) -> Option<TextRange> {
    let edits = &d.fix.as_ref()?.edits;
    let start = edits.iter().map(|e| e.range.start()).min()?;
    let end = edits.iter().map(|e| e.range.end()).max()?;
    Some(TextRange::new(start, end))
}

fn disjoint(a: TextRange, b: TextRange) -> bool {
    a.end() < b.start() || b.end() < a.start()
}

/// Names through which a file observes source positions; fixes move text, so a file that
/// mentions one is not fixed.
pub const POSITION_REFLECTION: &[&str] = &["unsafeGetAttrPos", "__curPos"];

/// Lints `text` and applies the fixes `accept` takes, round after round, until none is left.
/// A text with syntax errors is returned unchanged; a round whose result would not parse is
/// retried one fix at a time, and a fix that breaks the parse alone is never applied. Fixes
/// keep values, not source positions: a file that reflects on positions
/// ([`POSITION_REFLECTION`]) is returned unchanged.
pub fn fix_text(text: &str, edition: Edition, options: LintOptions, accept: &dyn Fn(&LintDiagnostic) -> bool) -> FixOutcome {
    if POSITION_REFLECTION.iter().any(|name| text.contains(name)) {
        return FixOutcome { text: text.to_string(), applied: 0, unfinished: false };
    }
    let config = LowerConfig { edition, base_dir: "/".to_string(), home: None };
    let mut current = text.to_string();
    let mut applied = 0;
    let mut rejected: Vec<(super::Lint, String)> = Vec::new();
    for _ in 0..MAX_FIX_ROUNDS {
        let parse = lix_syntax::parse(&current);
        if !parse.is_ok() {
            return FixOutcome { text: current, applied, unfinished: false };
        }
        let root = parse.root();
        let lowered = lower(&root, &config);
        let report = check(&parse.syntax(), &lowered, edition, options);
        drop(root);
        let mut candidates: Vec<&LintDiagnostic> = report
            .lints
            .iter()
            .filter(|d| d.fix.is_some() && accept(d))
            .filter(|d| !rejected.iter().any(|(l, m)| *l == d.lint && *m == d.message))
            .collect();
        candidates.sort_by_key(|d| extent(d).map(|r| (r.start(), r.end())));
        let mut chosen: Vec<&LintDiagnostic> = Vec::new();
        let mut taken: Vec<TextRange> = Vec::new();
        for d in candidates {
            let Some(r) = extent(d) else { continue };
            if taken.iter().all(|t| disjoint(*t, r)) {
                taken.push(r);
                chosen.push(d);
            }
        }
        if chosen.is_empty() {
            return FixOutcome { text: current, applied, unfinished: false };
        }
        let edits: Vec<TextEdit> = chosen.iter().flat_map(|d| d.fix.iter().flat_map(|f| f.edits.iter().cloned())).collect();
        let next = apply_edits(&current, &edits);
        if lix_syntax::parse(&next).is_ok() {
            applied += chosen.len();
            current = next;
            continue;
        }
        // Some fix breaks the parse: take the first that does not, and remember the others.
        let mut progressed = false;
        for d in chosen {
            let edits = d.fix.as_ref().map(|f| f.edits.clone()).unwrap_or_default();
            let next = apply_edits(&current, &edits);
            if lix_syntax::parse(&next).is_ok() {
                applied += 1;
                current = next;
                progressed = true;
                break;
            }
            rejected.push((d.lint, d.message.clone()));
        }
        let _ = progressed;
    }
    FixOutcome { text: current, applied, unfinished: true }
}
