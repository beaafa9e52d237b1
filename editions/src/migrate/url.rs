//! URL literals to strings: `http://a.org/x` → `"http://a.org/x"`. A URL's characters need
//! no escaping in a string (no `"`, `\` or `${`), so the value is the same string.

use lix_syntax::ast::{self, AstNode};
use lix_syntax::SyntaxNode;

use super::Edit;

/// One edit per URL literal.
pub(super) fn edits(root: &SyntaxNode) -> Vec<Edit> {
    root.descendants()
        .filter_map(ast::Literal::cast)
        .filter(|l| l.kind() == Some(ast::LiteralKind::Uri))
        .filter_map(|l| l.token())
        .map(|t| Edit::replace_range(t.text_range(), format!("\"{}\"", t.text())))
        .collect()
}
