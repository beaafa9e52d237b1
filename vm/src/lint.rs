//! The reference's literal lints (`--lint-url-literals`, `--lint-short-path-literals`,
//! `--lint-absolute-path-literals`): checked when a file is loaded, each off, a warning, or
//! fatal.

use lix_syntax::{SyntaxKind, SyntaxNode, TextRange};

/// How a lint is applied.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LintLevel {
    /// Not checked.
    #[default]
    Off,
    /// Reported as a warning; evaluation goes on.
    Warn,
    /// Reported as an error; the file does not evaluate.
    Fatal,
}

impl std::str::FromStr for LintLevel {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "ignore" | "off" => Ok(LintLevel::Off),
            "warn" => Ok(LintLevel::Warn),
            "fatal" => Ok(LintLevel::Fatal),
            other => Err(format!("unknown lint level '{other}' (expected ignore, warn or fatal)")),
        }
    }
}

/// The levels of the three lints.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Lints {
    /// URL literals (`http://example.com` without quotes).
    pub url_literals: LintLevel,
    /// Relative paths without `./` (`foo/bar`).
    pub short_path_literals: LintLevel,
    /// Absolute and home paths (`/tmp/foo`, `~/foo`).
    pub absolute_path_literals: LintLevel,
}

impl Lints {
    /// Whether any lint is on.
    pub fn any(&self) -> bool {
        *self != Lints::default()
    }
}

/// One finding: the level, the message (without `warning:`/`error:`), where.
pub(crate) type Finding = (LintLevel, String, TextRange);

/// Every literal in `root` that an enabled lint reports, in source order.
pub(crate) fn check(root: &SyntaxNode, lints: &Lints) -> Vec<Finding> {
    let mut out = Vec::new();
    for node in root.descendants() {
        match node.kind() {
            SyntaxKind::LITERAL
                if lints.url_literals != LintLevel::Off
                    && node.children_with_tokens().any(|t| t.kind() == SyntaxKind::URI) =>
            {
                let text = node.text().to_string();
                let verb = if lints.url_literals == LintLevel::Fatal { "disallowed" } else { "discouraged" };
                out.push((
                    lints.url_literals,
                    format!("URL literals are {verb}. Consider using a string literal \"{text}\" instead (lint-url-literals)"),
                    node.text_range(),
                ));
            }
            SyntaxKind::PATH_EXPR => {
                let text = node.text().to_string();
                if text.starts_with("./") || text.starts_with("../") {
                    continue;
                }
                let level = if text.starts_with('/') || text.starts_with("~/") {
                    lints.absolute_path_literals
                } else {
                    lints.short_path_literals
                };
                if level == LintLevel::Off {
                    continue;
                }
                let message = if text.starts_with('/') {
                    format!("absolute path literals are not portable. Consider replacing path literal '{text}' by a string, relative path, or parameter (lint-absolute-path-literals)")
                } else if text.starts_with("~/") {
                    format!("home path literals are not portable. Consider replacing path literal '{text}' by a string, relative path, or parameter (lint-absolute-path-literals)")
                } else {
                    format!("relative path literal '{text}' should be prefixed with '.' for clarity: './{text}' (lint-short-path-literals)")
                };
                out.push((level, message, node.text_range()));
            }
            _ => {}
        }
    }
    out
}
