//! Container inherits from two older spellings:
//!
//! - runs of two or more list elements `x.a x.b` (the same variable, plain names, no `or`
//!   default) → `inherit (x) [ a b ]`, spliced in place (or the whole list, when the run is the
//!   list and it is not itself a list element). Each element stays a lazy selection from `x`.
//! - `builtins.attrValues { inherit (x) a b; }` → `inherit (x) [ a b ]`, only when the names
//!   are already in the order `attrValues` sorts them into (and `builtins` is not shadowed).
//!
//! Spans holding a comment are left alone.

use lix_syntax::ast::{self, AstNode};
use lix_syntax::{SyntaxKind, SyntaxNode, TextRange};

use super::scope::{resolve, Binder};
use super::{has_comment, Edit};

/// The edits of both rewrites.
pub(super) fn edits(root: &SyntaxNode) -> Vec<Edit> {
    let mut edits = Vec::new();
    for list in root.descendants().filter_map(ast::List::cast) {
        edits.extend(list_runs(&list));
    }
    for apply in root.descendants().filter_map(ast::Apply::cast) {
        if let Some(edit) = attr_values(&apply) {
            edits.push(edit);
        }
    }
    edits
}

/// `x.a` with `x` a variable and `a` a plain identifier: (`x`, `a`).
fn plain_select(expr: &ast::Expr) -> Option<(String, String)> {
    let ast::Expr::Select(select) = expr else { return None };
    if select.default_expr().is_some() {
        return None;
    }
    let ast::Expr::Variable(var) = select.expr()? else { return None };
    let var_token = var.token().filter(|t| t.kind() == SyntaxKind::IDENT)?;
    let mut attrs = select.attrpath()?.attrs();
    let (Some(ast::Attr::Name(name)), None) = (attrs.next(), attrs.next()) else { return None };
    let name_token = name.token().filter(|t| t.kind() == SyntaxKind::IDENT)?;
    Some((var_token.text().to_string(), name_token.text().to_string()))
}

fn list_runs(list: &ast::List) -> Vec<Edit> {
    let items: Vec<ast::Expr> = list.items().collect();
    // The whole list becomes the container only where any expression may stand (so it is
    // neither spliced into an outer list nor an operand that needs parentheses).
    let whole_ok = super::takes_any_expr(list.syntax());
    let mut edits = Vec::new();
    let mut i = 0;
    while i < items.len() {
        let Some((var, first)) = plain_select(&items[i]) else {
            i += 1;
            continue;
        };
        let mut names = vec![first];
        let mut j = i + 1;
        while let Some((v, name)) = items.get(j).and_then(plain_select) {
            if v != var {
                break;
            }
            names.push(name);
            j += 1;
        }
        let span = TextRange::new(items[i].syntax().text_range().start(), items[j - 1].syntax().text_range().end());
        let commented = list
            .syntax()
            .descendants_with_tokens()
            .any(|e| e.kind() == SyntaxKind::COMMENT && span.contains_range(e.text_range()));
        if names.len() >= 2 && !commented {
            let text = format!("inherit ({var}) [ {} ]", names.join(" "));
            if i == 0 && j == items.len() && whole_ok && !has_comment(list.syntax()) {
                edits.push(Edit::replace_range(list.syntax().text_range(), text));
            } else {
                edits.push(Edit::replace_range(span, text));
            }
        }
        i = j;
    }
    edits
}

fn attr_values(apply: &ast::Apply) -> Option<Edit> {
    let function = apply.function()?;
    let is_attr_values = match &function {
        ast::Expr::Variable(v) => v.name().as_deref() == Some("__attrValues"),
        ast::Expr::Select(s) => {
            let builtins = matches!(s.expr(), Some(ast::Expr::Variable(v)) if v.name().as_deref() == Some("builtins"));
            let mut attrs = s.attrpath()?.attrs();
            let name = attrs.next().and_then(|a| a.static_name());
            builtins && s.default_expr().is_none() && name.as_deref() == Some("attrValues") && attrs.next().is_none()
        }
        _ => false,
    };
    let global = ["builtins", "__attrValues"]
        .iter()
        .all(|name| matches!(resolve(apply.syntax(), name), Binder::Unbound { .. }));
    if !is_attr_values || !global || has_comment(apply.syntax()) {
        return None;
    }
    let ast::Expr::AttrSet(set) = apply.argument()? else { return None };
    if set.is_rec() {
        return None;
    }
    let mut bindings = set.bindings();
    let (Some(ast::Binding::Inherit(inherit)), None) = (bindings.next(), bindings.next()) else { return None };
    if inherit.container().is_some() {
        return None;
    }
    let mut names = Vec::new();
    for attr in inherit.attrs() {
        let ast::Attr::Name(name) = attr else { return None };
        names.push(name.token().filter(|t| t.kind() == SyntaxKind::IDENT)?.text().to_string());
    }
    // `attrValues` lists values in name order; the container keeps the written order.
    if names.is_empty() || !names.windows(2).all(|w| w[0].as_bytes() < w[1].as_bytes()) {
        return None;
    }
    let from = inherit.from().map(|f| format!("{} ", f.syntax().text())).unwrap_or_default();
    Some(Edit::replace_range(apply.syntax().text_range(), format!("inherit {from}[ {} ]", names.join(" "))))
}

