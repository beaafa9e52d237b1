//! `dbg` is a global of edition 2026, and globals win over `with`: a variable `dbg` that no
//! `let`, `rec` or lambda binds would change meaning, so such files are refused.

use lix_syntax::ast::{self, AstNode};
use lix_syntax::SyntaxNode;

use super::scope::{resolve, Binder};
use super::Refusal;

/// Refuses the file if a `dbg` variable is not bound lexically.
pub(super) fn check(root: &SyntaxNode) -> Result<(), Refusal> {
    for var in root.descendants().filter_map(ast::Variable::cast) {
        if var.name().as_deref() != Some("dbg") {
            continue;
        }
        if let Binder::Unbound { under_with } = resolve(var.syntax(), "dbg") {
            let source = if under_with { "comes from a 'with'" } else { "is not defined" };
            return Err(Refusal::at(
                var.syntax().text_range(),
                format!("'dbg' {source} here, and in edition 2026 it names the builtin 'dbg'; bind it with 'let' or rename it first"),
            ));
        }
    }
    Ok(())
}
