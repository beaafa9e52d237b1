//! Names whose value edition 2026 changes. `dbg` is a global of edition 2026, and globals win
//! over `with`: a variable `dbg` that no `let`, `rec` or lambda binds would change meaning.
//! `builtins.langVersion` is 7 in 2026 files. Files using either are refused.

use lix_syntax::ast::{self, AstNode};
use lix_syntax::SyntaxNode;

use super::scope::{resolve, Binder};
use super::Refusal;

/// Refuses the file if a `dbg` variable is not bound lexically.
pub(super) fn check(root: &SyntaxNode) -> Result<(), Refusal> {
    let version = root.descendants_with_tokens().filter_map(|e| e.into_token()).find(|t| {
        t.kind() == lix_syntax::SyntaxKind::IDENT && matches!(t.text(), "langVersion" | "__langVersion")
    });
    if let Some(token) = version {
        return Err(Refusal::at(
            token.text_range(),
            "the file reads 'builtins.langVersion', which is 7 in edition 2026 files (6 in 2024)",
        ));
    }
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
