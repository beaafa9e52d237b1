//! `lib.pipe x [ f g h ]` → `x |> f |> g |> h`, for code that uses nixpkgs' library.
//!
//! nixpkgs' `lib.pipe` folds the functions over the value with `builtins.foldl'`, which forces
//! each intermediate result; a pipe only applies them. The pipe is therefore lazier, and where
//! the original evaluates to a value the pipe evaluates to the same one (only a program that
//! failed in an intermediate value the result never needed can newly succeed). What `lib` is
//! cannot be known from one file, so this rewrite is asked for by name
//! (`--modernize=lib-pipe`): asking says `lib` is nixpkgs' library.

use lix_syntax::ast::{self, AstNode};
use lix_syntax::SyntaxNode;

use super::{has_comment, parenthesize_for, Edit};

/// One edit per `lib.pipe VALUE [ FUNCTIONS ]` call with at least one function and no comment;
/// none in files that read attribute positions (the rewrite moves code).
pub(super) fn edits(root: &SyntaxNode) -> Vec<Edit> {
    let mut edits = Vec::new();
    if super::pragma::reads_positions(root).is_some() {
        return edits;
    }
    for outer in root.descendants().filter_map(ast::Apply::cast) {
        let Some((value, functions)) = lib_pipe_call(&outer) else { continue };
        if functions.is_empty() || has_comment(outer.syntax()) {
            continue;
        }
        let mut text = value.syntax().text().to_string();
        for function in &functions {
            text.push_str(" |> ");
            text.push_str(&function.syntax().text().to_string());
        }
        edits.push(Edit::replace_range(outer.syntax().text_range(), parenthesize_for(outer.syntax(), text)));
    }
    // Nested calls are rewritten on the next round (the pass runs to a fixed point); keep the
    // outermost of overlapping ones now.
    edits.sort_by_key(|e| (e.range.start, std::cmp::Reverse(e.range.end)));
    let mut kept: Vec<Edit> = Vec::new();
    for edit in edits {
        if kept.last().is_none_or(|k| edit.range.start >= k.range.end) {
            kept.push(edit);
        }
    }
    kept
}

/// `lib.pipe VALUE [ f g ]` as its value and functions: the function must be the selection of
/// `pipe` from the variable `lib`, and every list element a plain expression (a container
/// inherit spliced into the list is left alone).
fn lib_pipe_call(outer: &ast::Apply) -> Option<(ast::Expr, Vec<ast::Expr>)> {
    let ast::Expr::List(list) = outer.argument()? else { return None };
    let ast::Expr::Apply(inner) = outer.function()? else { return None };
    let ast::Expr::Select(select) = inner.function()? else { return None };
    if select.default_expr().is_some() {
        return None;
    }
    let ast::Expr::Variable(lib) = select.expr()? else { return None };
    if lib.syntax().text() != "lib" {
        return None;
    }
    let names: Vec<Option<String>> = select.attrpath()?.attrs().map(|a| a.static_name()).collect();
    if names != [Some("pipe".to_string())] {
        return None;
    }
    let functions: Vec<ast::Expr> = list.items().collect();
    if functions.iter().any(|f| matches!(f, ast::Expr::ContainerInherit(_))) {
        return None;
    }
    Some((inner.argument()?, functions))
}
