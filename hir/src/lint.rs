//! The lints of `lixc check`: one enum of every lint ([`Lint`]) with its stable code, name,
//! severity and explanation; the diagnostics they produce ([`LintDiagnostic`]), each with an
//! optional fix made of text edits on the lossless tree and a stated [`Safety`]; suppression
//! comments; and the fixer that applies safe fixes until the file is stable.
//!
//! Lints read semantic facts from the HIR (which binding a variable resolves to, which names
//! are in scope, which `with` a lookup may come from) and take the text they rewrite from the
//! syntax tree, so a fix keeps comments and layout around what it changes.

mod fix;
mod registry;
mod semantic;
mod style;

use lix_editions::Edition;
use lix_syntax::{SyntaxKind, SyntaxNode, TextRange, TextSize};

use crate::lower::Lowered;

pub use fix::{apply_edits, fix_text, FixOutcome};
pub use registry::{Lint, Severity, Tag};

/// A finding of a lint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LintDiagnostic {
    /// Which lint.
    pub lint: Lint,
    /// What is wrong, lower-case.
    pub message: String,
    /// Where.
    pub range: TextRange,
    /// Related places, each with what it is.
    pub notes: Vec<(TextRange, String)>,
    /// How to fix it, when a fix can be written.
    pub fix: Option<Fix>,
}

/// A rewrite that removes a finding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fix {
    /// What the fix does, for people (`replace with 'inherit a;'`).
    pub message: String,
    /// Edits on the file's text; non-overlapping.
    pub edits: Vec<TextEdit>,
    /// What the fix promises.
    pub safety: Safety,
}

/// What a fix promises about the meaning of the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Safety {
    /// Whenever the original file evaluates without error, the fixed file evaluates to the same
    /// value. Source positions are not values: they may move (so `--fix` leaves alone files
    /// that mention `unsafeGetAttrPos` or `__curPos`; another file asking for positions in a
    /// fixed one sees the new ones). `--fix` applies these.
    Safe,
    /// May change a value or an error in corner cases the fix names (say, a function's
    /// `functionArgs`); shown, applied only with `--fix-unsafe`.
    Unsafe,
}

/// One replacement of a range of the text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TextEdit {
    /// The bytes replaced.
    pub range: TextRange,
    /// What replaces them.
    pub insert: String,
}

/// Choices that change which findings the lints report.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LintOptions {
    /// Report unused lambda parameters, pattern fields and `@` names (deadnix's
    /// `--no-lambda-arg` turns this off).
    pub lambda_args: bool,
}

impl Default for LintOptions {
    fn default() -> Self {
        LintOptions { lambda_args: true }
    }
}

/// What the lints found in one file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LintReport {
    /// Findings, in source order, suppressed ones removed.
    pub lints: Vec<LintDiagnostic>,
    /// For undefined variables: the range of the reference and the name in scope it most
    /// likely meant (`did you mean ...`).
    pub suggestions: Vec<(TextRange, String)>,
}

/// Runs every lint over a file that parsed without errors: `root` is its tree and `lowered`
/// its HIR.
pub fn check(root: &SyntaxNode, lowered: &Lowered, edition: Edition, options: LintOptions) -> LintReport {
    let facts = semantic::analyze(root, &lowered.body, edition, options);
    let mut lints = facts.lints;
    lints.extend(style::check(root, &facts.index, edition));
    let suppressions = suppressions(root);
    lints.retain(|l| !is_suppressed(&suppressions, l.lint.code(), l.range));
    lints.sort_by_key(|l| (l.range.start(), l.range.end(), l.lint));
    LintReport { lints, suggestions: facts.suggestions }
}

/// A `# lixc: allow(...)` comment: the codes (or lint names) it allows and the range it covers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Suppression {
    /// What it covers: its own line when it follows code, else the binding it stands before.
    pub range: TextRange,
    /// Codes or names, as written.
    pub allowed: Vec<String>,
}

/// Every suppression comment of the tree.
pub fn suppressions(root: &SyntaxNode) -> Vec<Suppression> {
    let mut out = Vec::new();
    // Most files have none: a scan of the text is cheaper than a walk of every token.
    let text = root.text().to_string();
    if !text.contains("lixc:") {
        return out;
    }
    for token in root.descendants_with_tokens().filter_map(|e| e.into_token()) {
        if token.kind() != SyntaxKind::COMMENT {
            continue;
        }
        let Some(allowed) = parse_allow(token.text()) else { continue };
        // A comment after code on its line covers that line; a comment on a line of its own
        // covers the next binding (or expression) after it.
        let mut before = token.prev_token();
        let mut trailing = false;
        while let Some(t) = before {
            if t.kind() == SyntaxKind::WHITESPACE {
                if t.text().contains('\n') {
                    break;
                }
                before = t.prev_token();
                continue;
            }
            trailing = true;
            break;
        }
        let range = if trailing {
            let start = usize::from(token.text_range().start());
            let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
            TextRange::new(TextSize::from(line_start as u32), token.text_range().end())
        } else {
            let mut next = token.next_sibling_or_token();
            while let Some(e) = &next {
                if e.kind().is_trivia() {
                    next = e.next_sibling_or_token();
                } else {
                    break;
                }
            }
            match next {
                Some(e) => TextRange::new(token.text_range().start(), e.text_range().end()),
                None => token.text_range(),
            }
        };
        out.push(Suppression { range, allowed });
    }
    out
}

/// The list inside `lixc: allow(L001, unused-let)` in a comment, if it is one.
fn parse_allow(comment: &str) -> Option<Vec<String>> {
    let body = comment.trim_start_matches('#').trim_start_matches("/*").trim_end_matches("*/").trim();
    let rest = body.strip_prefix("lixc:")?.trim_start().strip_prefix("allow")?.trim_start();
    let inner = rest.strip_prefix('(')?;
    let inner = &inner[..inner.find(')')?];
    Some(inner.split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect())
}

/// Whether a finding of `code` at `range` is allowed by a suppression comment.
pub fn is_suppressed(suppressions: &[Suppression], code: &str, range: TextRange) -> bool {
    let name = Lint::from_code(code).map(|l| l.name());
    suppressions.iter().any(|s| {
        s.range.contains(range.start())
            && s.allowed.iter().any(|a| a.eq_ignore_ascii_case(code) || Some(a.as_str()) == name || a == "all")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allow_comments() {
        assert_eq!(parse_allow("# lixc: allow(L001, unused-let)"), Some(vec!["L001".into(), "unused-let".into()]));
        assert_eq!(parse_allow("/* lixc: allow(L002) */"), Some(vec!["L002".into()]));
        assert_eq!(parse_allow("# allow(L001)"), None);
    }
}
