//! The reference's literal lints (`--lint-url-literals`, `--lint-short-path-literals`,
//! `--lint-absolute-path-literals`): checked when a file is loaded, each off, a warning, or
//! fatal; and the warning about `or` read as a variable where that reading is about to change.

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

/// Applications `f or` (the 2024 grammar reads `or` after an operand as a variable) whose meaning
/// changes once `or` is an ordinary name: those standing as an argument of another application
/// (`g f or` is `g (f or)` now, `(g f) or` then), as a list element, or as the default of a
/// selection. An `f or` at the head of an application or on its own keeps its meaning and is not
/// reported. Returns each such application's range.
pub(crate) fn cursed_or(root: &SyntaxNode) -> Vec<TextRange> {
    let is_or_variable = |n: &SyntaxNode| {
        n.kind() == SyntaxKind::VARIABLE && n.children_with_tokens().any(|t| t.kind() == SyntaxKind::OR_KW)
    };
    let mut out = Vec::new();
    for node in root.descendants() {
        if node.kind() != SyntaxKind::APPLY || !node.children().nth(1).is_some_and(|a| is_or_variable(&a)) {
            continue;
        }
        let Some(parent) = node.parent() else { continue };
        let cursed = match parent.kind() {
            SyntaxKind::APPLY => parent.children().nth(1).as_ref() == Some(&node),
            SyntaxKind::LIST => true,
            // `e.a or DEFAULT`: the default is the node after the `or` keyword.
            SyntaxKind::SELECT => parent
                .children_with_tokens()
                .skip_while(|t| t.kind() != SyntaxKind::OR_KW)
                .any(|t| t.as_node() == Some(&node)),
            _ => false,
        };
        if cursed {
            out.push(node.text_range());
        }
    }
    out
}

/// The warning for one [`cursed_or`] application, given its source text.
pub(crate) fn cursed_or_message(text: &str) -> String {
    format!(
        "This expression uses `or` as an identifier in a way that will change in a future Nix release.\n\
         Wrap this entire expression in parentheses to preserve its current meaning:\n    ({text})\n\
         Give feedback at https://github.com/NixOS/nix/pull/11121"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The source text of every application `cursed_or` reports in `src`.
    fn cursed(src: &str) -> Vec<String> {
        let parse = lix_syntax::parse(src);
        cursed_or(&parse.syntax()).into_iter().map(|r| src[r].to_string()).collect::<Vec<_>>()
    }

    #[test]
    fn cursed_or_where_the_meaning_changes() {
        // An argument of an application, a list element, the default of a selection.
        assert_eq!(cursed("let or = 1; in f (x: x) or"), ["(x: x) or"]);
        assert_eq!(cursed("let or = 1; in [ (x: x) or ]"), ["(x: x) or"]);
        assert_eq!(cursed("let or = 1; in { }.a or g or"), ["g or"]);
    }

    #[test]
    fn or_variables_that_keep_their_meaning() {
        // At the head of an application, alone, in parentheses, or the keyword itself.
        assert!(cursed("let or = x: x; in map or [ ]").is_empty());
        assert!(cursed("let f = x: x; or = f; in f (f or)").is_empty());
        assert!(cursed("let or = 1; in f or").is_empty());
        assert!(cursed("{ a = 1; }.a or 2").is_empty());
    }
}
