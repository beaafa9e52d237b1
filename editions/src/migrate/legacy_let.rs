//! Legacy `let { ...; body = e; }` (the value of `rec { ... }.body`) to `let ... in e`.
//!
//! The `body` binding moves after `in` when nothing else refers to `body`; otherwise it stays
//! and the result is `let ...; body = e; in body`. Refused when a `let` could not hold the
//! bindings (dynamic names, `__overrides`) or when there is no `body` (the original fails).

use lix_syntax::ast::{self, AstNode};
use lix_syntax::{SyntaxKind, SyntaxNode, TextRange};

use super::{takes_any_expr, Edit, Refusal};

/// The edits of every legacy `let` that is not inside another one (nested ones are taken
/// apart by the next run: see `edits_of`).
pub(super) fn edits(root: &SyntaxNode) -> Result<Vec<Edit>, Refusal> {
    let mut edits = Vec::new();
    for node in root.descendants().filter(|n| n.kind() == SyntaxKind::LEGACY_LET) {
        edits.extend(edits_of(&node)?);
    }
    Ok(edits)
}

/// Edits that only touch the `let`'s own tokens and its `body` binding, so nested legacy lets
/// (inside binding values) can be rewritten in the same round.
fn edits_of(node: &SyntaxNode) -> Result<Vec<Edit>, Refusal> {
    let range = node.text_range();
    let mut body: Option<ast::AttrpathValue> = None;
    let mut body_bound = false;
    for binding in ast::Binding::of(node) {
        match &binding {
            ast::Binding::AttrpathValue(b) => {
                let attrs: Vec<ast::Attr> = b.attrpath().map(|p| p.attrs().collect()).unwrap_or_default();
                let Some(name) = attrs.first().and_then(|a| a.static_name()) else {
                    return Err(Refusal::at(b.syntax().text_range(), "a 'let' cannot bind a dynamic attribute name"));
                };
                if name == "__overrides" {
                    return Err(Refusal::at(b.syntax().text_range(), "'__overrides' has a meaning in 'let { }' that 'let ... in' lacks"));
                }
                if name == "body" {
                    body_bound = true;
                    if attrs.len() == 1 {
                        body = Some(b.clone());
                    }
                }
            }
            ast::Binding::Inherit(i) => {
                if i.attrs().any(|a| a.static_name().as_deref() == Some("body")) {
                    body_bound = true;
                }
            }
        }
    }
    if !body_bound {
        return Err(Refusal::at(range, "this 'let { }' has no 'body' attribute (it fails when evaluated)"));
    }
    let tokens: Vec<_> = node.children_with_tokens().filter_map(|e| e.into_token()).collect();
    let let_kw = tokens.iter().find(|t| t.kind() == SyntaxKind::LET_KW);
    let l_brace = tokens.iter().find(|t| t.kind() == SyntaxKind::L_BRACE);
    let r_brace = tokens.iter().rev().find(|t| t.kind() == SyntaxKind::R_BRACE);
    let (Some(let_kw), Some(l_brace), Some(r_brace)) = (let_kw, l_brace, r_brace) else {
        return Err(Refusal::at(range, "incomplete 'let { }'"));
    };
    // The `body` binding moves after `in` only when nothing inside refers to `body`.
    let referenced = node
        .descendants()
        .filter_map(ast::Variable::cast)
        .any(|v| v.name().as_deref() == Some("body"));
    let moved = body.filter(|_| !referenced).and_then(|b| b.value().map(|v| (b, v)));
    // `let { body = e; }` alone is `e`.
    if let Some((_, value)) = &moved {
        if ast::Binding::of(node).count() == 1 && !super::has_comment(node) {
            let text = value.syntax().text().to_string();
            let primary = matches!(
                value,
                ast::Expr::Literal(_)
                    | ast::Expr::Variable(_)
                    | ast::Expr::Str(_)
                    | ast::Expr::PathExpr(_)
                    | ast::Expr::Paren(_)
                    | ast::Expr::List(_)
                    | ast::Expr::AttrSet(_)
            );
            let text = if primary { text } else { super::parenthesize_for(node, text) };
            return Ok(vec![Edit::replace_range(range, text)]);
        }
    }
    let mut edits = Vec::new();
    // `let {` → `let`: drop the brace, and the blanks before it when only they separate it from
    // `let` (a comment in between stays, and so does the line break after it).
    let gap_start = match l_brace.prev_token() {
        Some(ws) if ws.kind() == SyntaxKind::WHITESPACE && ws.prev_token().as_ref() == Some(let_kw) => {
            ws.text_range().start()
        }
        _ => l_brace.text_range().start(),
    };
    let spaced = l_brace.next_token().is_some_and(|t| t.kind() == SyntaxKind::WHITESPACE);
    let gap = if spaced { "" } else { " " };
    edits.push(Edit::replace_range(TextRange::new(gap_start, l_brace.text_range().end()), gap));
    let result = match &moved {
        Some((binding, value)) => {
            let start = preceding_blank_start(binding.syntax());
            edits.push(Edit::replace_range(TextRange::new(start, binding.syntax().text_range().end()), ""));
            value.syntax().text().to_string()
        }
        None => "body".to_string(),
    };
    // What will stand before `in`: the blanks before `}`, else a line break when the removed
    // binding followed a comment (which runs to the end of its line), else a space.
    let before = r_brace.prev_token().is_some_and(|t| t.kind() == SyntaxKind::WHITESPACE);
    let after_comment = moved.as_ref().is_some_and(|(b, _)| {
        b.syntax().first_token().and_then(|t| t.prev_token()).is_some_and(|ws| {
            ws.kind() == SyntaxKind::WHITESPACE && ws.prev_token().is_some_and(|c| c.kind() == SyntaxKind::COMMENT)
        })
    });
    let space = match (before, after_comment) {
        (true, _) => "",
        (false, true) => "\n",
        (false, false) => " ",
    };
    edits.push(Edit::replace_range(r_brace.text_range(), format!("{space}in {result}")));
    // A legacy `let` is a primary expression, `let ... in` is not.
    if !takes_any_expr(node) {
        edits.push(Edit::replace_range(TextRange::empty(range.start()), "("));
        edits.push(Edit::replace_range(TextRange::empty(range.end()), ")"));
    }
    Ok(edits)
}

/// The start of the whitespace right before `node` (or its start when there is none).
fn preceding_blank_start(node: &SyntaxNode) -> lix_syntax::TextSize {
    match node.prev_sibling_or_token() {
        Some(lix_syntax::SyntaxElement::Token(t)) if t.kind() == SyntaxKind::WHITESPACE => t.text_range().start(),
        _ => node.text_range().start(),
    }
}
