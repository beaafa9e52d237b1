//! Nested calls to pipes: `f (g (h x))` → `h x |> g |> f` (three calls or more, each the
//! parenthesised argument of the next). `x |> f` is `f x`, and both lower to the same call,
//! so the value is the same. The innermost call stays as written; chains holding a comment
//! are left alone, so no comment moves.

use lix_syntax::ast::{self, AstNode};
use lix_syntax::{SyntaxKind, SyntaxNode};

use super::{has_comment, parenthesize_for, Edit};

/// How many calls a chain needs before it becomes a pipe.
const MIN_CALLS: usize = 3;

/// One edit per outermost chain; none in files that read attribute positions (a chain moves
/// the set literals in it, and `unsafeGetAttrPos` would see them move).
pub(super) fn edits(root: &SyntaxNode) -> Vec<Edit> {
    let mut edits = Vec::new();
    if super::pragma::reads_positions(root).is_some() {
        return edits;
    }
    for apply in root.descendants().filter_map(ast::Apply::cast) {
        if is_link(apply.syntax()) {
            continue;
        }
        let mut functions = Vec::new();
        let mut current = apply.clone();
        while let Some(inner) = paren_apply(current.argument()) {
            functions.push(current.function());
            current = inner;
        }
        if functions.len() + 1 < MIN_CALLS || has_comment(apply.syntax()) {
            continue;
        }
        let mut text = current.syntax().text().to_string();
        for function in functions.iter().rev() {
            let Some(function) = function else { return edits };
            text.push_str(" |> ");
            text.push_str(&function.syntax().text().to_string());
        }
        edits.push(Edit::replace_range(apply.syntax().text_range(), parenthesize_for(apply.syntax(), text)));
    }
    edits
}

/// `(g x)` as a call: the call inside the parentheses.
fn paren_apply(arg: Option<ast::Expr>) -> Option<ast::Apply> {
    match arg? {
        ast::Expr::Paren(p) => match p.expr()? {
            ast::Expr::Apply(a) => Some(a),
            _ => None,
        },
        _ => None,
    }
}

/// Whether `node` (a call) is the parenthesised argument of another call, so part of a chain
/// that starts further out.
fn is_link(node: &SyntaxNode) -> bool {
    let Some(paren) = node.parent().filter(|p| p.kind() == SyntaxKind::PAREN) else { return false };
    let Some(outer) = paren.parent().and_then(ast::Apply::cast) else { return false };
    outer.argument().is_some_and(|a| a.syntax() == &paren)
}
