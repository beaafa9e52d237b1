//! `or` used as a variable (CppNix reads `f or` as `f` applied to the variable `or`) gets a
//! fresh name: the `let` bindings it refers to and every use of them are renamed together.
//! The new name occurs nowhere in the file, so it captures nothing and nothing captures it.
//! Refused when the `or` is an attribute of a `rec` set, comes from a `with` or an `inherit`,
//! or is undefined: renaming cannot keep those.

use lix_syntax::ast::{self, AstNode};
use lix_syntax::{SyntaxKind, SyntaxNode};

use super::scope::{first_name, mentions, resolve, Binder};
use super::{Edit, Refusal};

/// Renames every `or` variable and the `let` bindings they refer to.
pub(super) fn edits(root: &SyntaxNode) -> Result<Vec<Edit>, Refusal> {
    let uses: Vec<ast::Variable> = root
        .descendants()
        .filter_map(ast::Variable::cast)
        .filter(|v| v.token().is_some_and(|t| t.kind() == SyntaxKind::OR_KW))
        .collect();
    if uses.is_empty() {
        return Ok(Vec::new());
    }
    // `inherit or;` reads the variable `or` under the attribute name `or`: renaming cannot keep
    // both, so a file that also needs the rename is refused.
    let inherit_or = root.descendants().filter_map(ast::Inherit::cast).find(|i| {
        i.from().is_none() && i.attrs().any(|a| a.static_name().as_deref() == Some("or"))
    });
    if let Some(inherit) = inherit_or {
        return Err(Refusal::at(
            inherit.syntax().text_range(),
            "'inherit or;' reads the variable 'or' that the migration must rename; write 'or = ...;' first",
        ));
    }
    let fresh = fresh_name(root);
    let mut edits = Vec::new();
    let mut lets: Vec<SyntaxNode> = Vec::new();
    for var in &uses {
        let range = var.syntax().text_range();
        match resolve(var.syntax(), "or") {
            Binder::Let(node) => {
                if !lets.contains(&node) {
                    lets.push(node);
                }
            }
            Binder::Rec(_) => {
                return Err(Refusal::at(range, "this 'or' is an attribute of a recursive set; renaming it would change the set"));
            }
            Binder::Lambda => return Err(Refusal::at(range, "this 'or' is a function parameter")),
            Binder::Unbound { under_with: true } => {
                return Err(Refusal::at(range, "this 'or' comes from a 'with'; write it as an attribute selection first"));
            }
            Binder::Unbound { under_with: false } => return Err(Refusal::at(range, "undefined variable 'or'")),
        }
        if let Some(token) = var.token() {
            edits.push(Edit::replace_range(token.text_range(), fresh.clone()));
        }
    }
    for node in lets {
        for binding in ast::Binding::of(&node) {
            match binding {
                ast::Binding::AttrpathValue(b) => {
                    if first_name(&b).as_deref() == Some("or") {
                        if let Some(attr) = b.attrpath().and_then(|p| p.attrs().next()) {
                            edits.push(Edit::replace_range(attr.syntax().text_range(), fresh.clone()));
                        }
                    }
                }
                ast::Binding::Inherit(i) => {
                    if i.attrs().any(|a| a.static_name().as_deref() == Some("or")) {
                        return Err(Refusal::at(
                            i.syntax().text_range(),
                            "'inherit ... or;' binds 'or' to an attribute of the same name; write 'or = ...;' first",
                        ));
                    }
                }
            }
        }
    }
    Ok(edits)
}

/// `or_`, else `or_1`, `or_2`, ...: the first that occurs nowhere in the file.
fn fresh_name(root: &SyntaxNode) -> String {
    std::iter::once("or_".to_string())
        .chain((1..).map(|i| format!("or_{i}")))
        .find(|name| !mentions(root, name))
        .unwrap_or_else(|| "or_".to_string())
}
