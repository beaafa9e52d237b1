//! Lints on the shape of the syntax (statix's set and the legacy-syntax lints), made safe by the
//! semantic [`Index`]: `a = a;` is an inherit only when the value's `a` is not the binding
//! itself, `if c then true else false` only when `true` and `false` are the globals.

use lix_editions::{Edition, Feature};
use lix_syntax::ast::{self, AstNode, BinOpKind, LiteralKind};
use lix_syntax::{SyntaxKind, SyntaxNode, TextRange};

use super::semantic::Index;
use super::{Fix, Lint, LintDiagnostic, Safety, TextEdit};
use crate::hir::Resolution;

struct Style<'a> {
    index: &'a Index,
    edition: Edition,
    out: Vec<LintDiagnostic>,
}

/// Runs the syntactic lints over `root`.
pub(super) fn check(root: &SyntaxNode, index: &Index, edition: Edition) -> Vec<LintDiagnostic> {
    let mut s = Style { index, edition, out: Vec::new() };
    for node in root.descendants() {
        if let Some(l) = ast::LetIn::cast(node.clone()) {
            s.empty_let(&l);
        }
        match node.kind() {
            SyntaxKind::ATTRPATH_VALUE => {
                if let Some(b) = ast::AttrpathValue::cast(node) {
                    s.manual_inherit(&b);
                    s.collapsible(&b);
                }
            }
            SyntaxKind::ATTR_SET | SyntaxKind::LET_IN => s.repeated_keys(&node),
            SyntaxKind::PAREN => {
                if let Some(p) = ast::Paren::cast(node) {
                    s.useless_parens(&p);
                }
            }
            SyntaxKind::IF_ELSE => {
                if let Some(i) = ast::IfElse::cast(node) {
                    s.bool_if(&i);
                }
            }
            SyntaxKind::PATTERN => {
                if let Some(p) = ast::Pattern::cast(node) {
                    s.empty_pattern(&p);
                }
            }
            _ => {}
        }
    }
    s.legacy(root);
    s.out
}

/// Whether `node` contains a comment (a rewrite of it would drop the comment).
fn has_comment(node: &SyntaxNode) -> bool {
    node.descendants_with_tokens().any(|e| e.kind() == SyntaxKind::COMMENT)
}

/// Whether `node` has a comment among its own tokens (trivia sits in the smallest node around
/// it, so these are the comments a rewrite that keeps the children's text would drop). Cheap
/// on deep trees, unlike [`has_comment`].
fn direct_comment(node: &SyntaxNode) -> bool {
    node.children_with_tokens().any(|e| e.kind() == SyntaxKind::COMMENT)
}

/// The single plain name of an attribute path (`a`, not `a.b` or `"a"`).
fn single_name(path: &ast::Attrpath) -> Option<String> {
    let mut attrs = path.attrs();
    let first = attrs.next()?;
    if attrs.next().is_some() {
        return None;
    }
    match first {
        ast::Attr::Name(n) => n.text(),
        _ => None,
    }
}

/// `x` or `x.a.b` with plain names only: something `inherit (...)` can take.
fn plain_select_chain(expr: &ast::Expr) -> bool {
    match expr {
        ast::Expr::Variable(_) => true,
        ast::Expr::Select(s) => {
            s.default_expr().is_none()
                && s.attrpath().is_some_and(|p| p.attrs().all(|a| matches!(a, ast::Attr::Name(_))))
                && s.expr().is_some_and(|e| plain_select_chain(&e))
        }
        _ => false,
    }
}

impl Style<'_> {
    fn push(&mut self, lint: Lint, message: String, range: TextRange, fix: Option<Fix>) {
        self.out.push(LintDiagnostic { lint, message, range, notes: Vec::new(), fix });
    }

    fn resolution(&self, node: &SyntaxNode) -> Option<Resolution> {
        self.index.vars.get(&node.text_range()).copied()
    }

    fn is_global(&self, expr: &ast::Expr, name: &str) -> bool {
        matches!(expr, ast::Expr::Variable(v) if v.name().as_deref() == Some(name))
            && self.resolution(expr.syntax()) == Some(Resolution::Global)
    }

    /// L009 `a = a;` and L010 `a = x.a;`.
    fn manual_inherit(&mut self, b: &ast::AttrpathValue) {
        let Some(parent) = b.syntax().parent() else { return };
        if !matches!(parent.kind(), SyntaxKind::ATTR_SET | SyntaxKind::LET_IN) {
            return;
        }
        let Some(path) = b.attrpath() else { return };
        let Some(name) = single_name(&path) else { return };
        let Some(value) = b.value() else { return };
        if direct_comment(b.syntax()) || direct_comment(path.syntax()) {
            return;
        }
        let own = path.attrs().next().and_then(|a| self.index.bindings.get(&a.syntax().text_range()).copied());
        match &value {
            ast::Expr::Variable(v) if v.name().as_deref() == Some(&*name) => {
                let resolution = self.resolution(v.syntax());
                // In `let` or `rec`, `a = a;` is the binding itself: infinite recursion.
                if resolution.is_none() || (own.is_some() && resolution == own.map(Resolution::Local)) {
                    return;
                }
                let insert = format!("inherit {name};");
                self.push(
                    Lint::ManualInherit,
                    format!("'{name} = {name};' is 'inherit {name};'"),
                    b.syntax().text_range(),
                    Some(Fix { message: format!("replace with '{insert}'"), edits: vec![TextEdit { range: b.syntax().text_range(), insert }], safety: Safety::Safe }),
                );
            }
            ast::Expr::Select(s) => {
                if s.default_expr().is_some() {
                    return;
                }
                let Some(sel_path) = s.attrpath() else { return };
                let attrs: Vec<ast::Attr> = sel_path.attrs().collect();
                let Some(ast::Attr::Name(last)) = attrs.last() else { return };
                if last.text().as_deref() != Some(&*name) || !attrs.iter().all(|a| matches!(a, ast::Attr::Name(_))) {
                    return;
                }
                let Some(from) = s.expr() else { return };
                if !plain_select_chain(&from) || has_comment(s.syntax()) {
                    return;
                }
                let mut from_text = from.syntax().to_string();
                for a in &attrs[..attrs.len() - 1] {
                    from_text.push('.');
                    from_text.push_str(&a.syntax().to_string());
                }
                let insert = format!("inherit ({from_text}) {name};");
                self.push(
                    Lint::ManualInheritFrom,
                    format!("'{name} = {from_text}.{name};' is '{insert}'"),
                    b.syntax().text_range(),
                    Some(Fix { message: format!("replace with '{insert}'"), edits: vec![TextEdit { range: b.syntax().text_range(), insert }], safety: Safety::Safe }),
                );
            }
            _ => {}
        }
    }

    /// L019 `a = { b = v; };`.
    fn collapsible(&mut self, b: &ast::AttrpathValue) {
        let Some(parent) = b.syntax().parent() else { return };
        if !matches!(parent.kind(), SyntaxKind::ATTR_SET | SyntaxKind::LET_IN) {
            return;
        }
        let Some(ast::Expr::AttrSet(set)) = b.value() else { return };
        if set.is_rec() || direct_comment(b.syntax()) || direct_comment(set.syntax()) {
            return;
        }
        let mut bindings = set.bindings();
        let Some(ast::Binding::AttrpathValue(inner)) = bindings.next() else { return };
        if bindings.next().is_some() {
            return;
        }
        let Some(path) = b.attrpath() else { return };
        let insert = format!("{}.{}", path.syntax(), inner.syntax());
        self.push(
            Lint::CollapsibleAttrs,
            format!("a set of one attribute: write '{}.{}'", path.syntax(), inner.attrpath().map(|p| p.syntax().to_string()).unwrap_or_default()),
            b.syntax().text_range(),
            Some(Fix { message: "collapse into an attribute path".to_string(), edits: vec![TextEdit { range: b.syntax().text_range(), insert }], safety: Safety::Safe }),
        );
    }

    /// L021 `a.b = ..; a.c = ..;`.
    fn repeated_keys(&mut self, node: &SyntaxNode) {
        let mut groups: Vec<(String, Vec<TextRange>)> = Vec::new();
        for b in ast::Binding::of(node) {
            let ast::Binding::AttrpathValue(b) = b else { continue };
            let Some(path) = b.attrpath() else { continue };
            let attrs: Vec<ast::Attr> = path.attrs().collect();
            if attrs.len() < 2 {
                continue;
            }
            let Some(first) = attrs[0].static_name() else { continue };
            match groups.iter_mut().find(|(n, _)| *n == first) {
                Some((_, ranges)) => ranges.push(attrs[0].syntax().text_range()),
                None => groups.push((first, vec![attrs[0].syntax().text_range()])),
            }
        }
        for (name, ranges) in groups {
            // Three or more: two paths through a set is often the clearest way to write it.
            if ranges.len() < 3 {
                continue;
            }
            self.out.push(LintDiagnostic {
                lint: Lint::RepeatedKeys,
                message: format!("'{name}' starts {} attribute paths; they could be one set '{name} = {{ ... }};'", ranges.len()),
                range: ranges[0],
                notes: ranges[1..].iter().map(|r| (*r, format!("'{name}' again"))).collect(),
                fix: None,
            });
        }
    }

    /// L011 `(x)`.
    fn useless_parens(&mut self, p: &ast::Paren) {
        let Some(inner) = p.expr() else { return };
        let Some(parent) = p.syntax().parent() else { return };
        let atom = match &inner {
            ast::Expr::Variable(_) | ast::Expr::Str(_) | ast::Expr::List(_) | ast::Expr::AttrSet(_) | ast::Expr::Paren(_) => true,
            ast::Expr::Literal(l) => l.kind() != Some(LiteralKind::Uri),
            ast::Expr::Select(s) => s.default_expr().is_none(),
            _ => false,
        };
        let whole = match parent.kind() {
            SyntaxKind::ROOT | SyntaxKind::PAREN | SyntaxKind::INTERPOL => true,
            SyntaxKind::ATTRPATH_VALUE => true,
            SyntaxKind::LET_IN => ast::LetIn::cast(parent.clone()).and_then(|l| l.body()).is_some_and(|b| b.syntax() == p.syntax()),
            _ => false,
        };
        if !(atom || whole) || direct_comment(p.syntax()) {
            return;
        }
        // A number followed by `.` would read as a float or a selection of it.
        let inner_text = inner.syntax().to_string();
        let range = p.syntax().text_range();
        let before = p.syntax().first_token().and_then(|t| t.prev_token()).and_then(|t| t.text().chars().next_back());
        let after = p.syntax().last_token().and_then(|t| t.next_token()).and_then(|t| t.text().chars().next());
        if matches!(inner, ast::Expr::Literal(_)) && after == Some('.') {
            return;
        }
        let glue = |c: Option<char>, opening: bool| match c {
            None => false,
            Some(c) if c.is_whitespace() => false,
            Some(c) => !(if opening { "([{;=:," } else { ")]};,." }).contains(c),
        };
        let mut insert = String::new();
        if glue(before, true) {
            insert.push(' ');
        }
        insert.push_str(inner_text.trim());
        if glue(after, false) {
            insert.push(' ');
        }
        self.push(
            Lint::UselessParens,
            "these parentheses group nothing".to_string(),
            range,
            Some(Fix { message: "remove the parentheses".to_string(), edits: vec![TextEdit { range, insert }], safety: Safety::Safe }),
        );
    }

    /// L012 `if c then true else false`.
    fn bool_if(&mut self, i: &ast::IfElse) {
        let (Some(cond), Some(then_), Some(else_)) = (i.condition(), i.then_branch(), i.else_branch()) else { return };
        if direct_comment(i.syntax()) || has_comment(then_.syntax()) || has_comment(else_.syntax()) {
            return;
        }
        let negate = if self.is_global(&then_, "true") && self.is_global(&else_, "false") {
            false
        } else if self.is_global(&then_, "false") && self.is_global(&else_, "true") {
            true
        } else {
            return;
        };
        let boolean = match &cond {
            ast::Expr::BinOp(b) => matches!(
                b.operator(),
                Some(
                    BinOpKind::Equal
                        | BinOpKind::NotEqual
                        | BinOpKind::Less
                        | BinOpKind::LessOrEq
                        | BinOpKind::Greater
                        | BinOpKind::GreaterOrEq
                        | BinOpKind::And
                        | BinOpKind::Or
                        | BinOpKind::Implies
                )
            ),
            ast::Expr::UnaryOp(u) => u.operator() == Some(ast::UnaryOpKind::Not),
            ast::Expr::HasAttr(_) => true,
            _ => false,
        };
        let cond_text = cond.syntax().to_string();
        let atom = matches!(cond, ast::Expr::Variable(_) | ast::Expr::Paren(_) | ast::Expr::Select(_) | ast::Expr::Literal(_));
        let insert = match (negate, atom) {
            (false, _) => cond_text.clone(),
            (true, true) => format!("!{cond_text}"),
            (true, false) => format!("!({cond_text})"),
        };
        // `!c` fails exactly where the `if` does; `c` alone does not when `c` is no boolean.
        let safety = if negate || boolean { Safety::Safe } else { Safety::Unsafe };
        self.push(
            Lint::BoolIf,
            format!("this 'if' is '{insert}'"),
            i.syntax().text_range(),
            Some(Fix { message: format!("replace with '{insert}'"), edits: vec![TextEdit { range: i.syntax().text_range(), insert }], safety }),
        );
    }

    /// L016 `{ ... }:`.
    fn empty_pattern(&mut self, p: &ast::Pattern) {
        if p.entries().next().is_some() || !p.has_ellipsis() || p.bind().is_some() || has_comment(p.syntax()) {
            return;
        }
        let range = p.syntax().text_range();
        self.push(
            Lint::EmptyPattern,
            "'{ ... }:' takes nothing out of its argument; write '_:'".to_string(),
            range,
            Some(Fix { message: "replace with '_'".to_string(), edits: vec![TextEdit { range, insert: "_".to_string() }], safety: Safety::Safe }),
        );
    }

    /// L015 `let in e`.
    fn empty_let(&mut self, l: &ast::LetIn) {
        if l.bindings().next().is_some() {
            return;
        }
        let Some(body) = l.body() else { return };
        let range = l.syntax().text_range();
        let head = TextRange::new(range.start(), body.syntax().text_range().start());
        let comment = l
            .syntax()
            .children_with_tokens()
            .any(|e| e.kind() == SyntaxKind::COMMENT && head.contains_range(e.text_range()));
        let fix = (!comment).then(|| Fix {
            message: "remove 'let in'".to_string(),
            edits: vec![TextEdit { range: head, insert: String::new() }],
            safety: Safety::Safe,
        });
        self.push(Lint::EmptyLetIn, "this 'let' binds nothing".to_string(), head, fix);
    }

    /// L008 legacy syntax and L022 URL literals, in files whose edition still allows them.
    fn legacy(&mut self, root: &SyntaxNode) {
        for (feature, range) in lix_editions::features(root) {
            if !feature.allowed_in(self.edition) || feature.removed().is_none() {
                continue;
            }
            let range = TextRange::new(range.start.into(), range.end.into());
            let migrate = "'lixc migrate --to 2026' rewrites it";
            match feature {
                Feature::UrlLiteral => {
                    let text = root.text().slice(range).to_string();
                    self.push(
                        Lint::UnquotedUrl,
                        format!("URL literals are deprecated (removed in edition 2026); quote it: \"{text}\""),
                        range,
                        Some(Fix { message: "quote the URL".to_string(), edits: vec![TextEdit { range, insert: format!("\"{text}\"") }], safety: Safety::Safe }),
                    );
                }
                Feature::LegacyLet => {
                    let fix = legacy_let_fix(root, range);
                    self.push(Lint::LegacySyntax, format!("legacy 'let {{ ... }}' is removed in edition 2026; {migrate}"), range, fix);
                }
                Feature::OrIdentifier => {
                    self.push(Lint::LegacySyntax, format!("'or' as a variable is removed in edition 2026; rename it ({migrate})"), range, None);
                }
                Feature::CurPos => {
                    self.push(Lint::LegacySyntax, format!("'__curPos' is removed in edition 2026; {migrate}"), range, None);
                }
                Feature::PipeOperator | Feature::ContainerInherit => {}
            }
        }
    }
}

/// `let { ...; body = e; }` → `let ...; body = e; in body`, for the legacy `let` whose `let`
/// keyword is at `head`.
fn legacy_let_fix(root: &SyntaxNode, head: TextRange) -> Option<Fix> {
    let token = root.token_at_offset(head.start()).right_biased()?;
    let node = token.parent()?.ancestors().find(|n| n.kind() == SyntaxKind::LEGACY_LET)?;
    let has_body = ast::Binding::of(&node).any(|b| match b {
        ast::Binding::AttrpathValue(b) => {
            b.attrpath().and_then(|p| p.attrs().next()).and_then(|a| a.static_name()).as_deref() == Some("body")
        }
        ast::Binding::Inherit(i) => i.attrs().any(|a| a.static_name().as_deref() == Some("body")),
    });
    if !has_body {
        return None;
    }
    let tokens: Vec<_> = node.children_with_tokens().filter_map(|e| e.into_token()).collect();
    let open = tokens.iter().find(|t| t.kind() == SyntaxKind::L_BRACE)?;
    let close = tokens.iter().rev().find(|t| t.kind() == SyntaxKind::R_BRACE)?;
    let mut open_range = open.text_range();
    match open.next_token().filter(|t| t.kind() == SyntaxKind::WHITESPACE) {
        Some(ws) if !ws.text().contains('\n') => open_range = TextRange::new(open_range.start(), ws.text_range().end()),
        _ => {
            if let Some(ws) = open.prev_token().filter(|t| t.kind() == SyntaxKind::WHITESPACE && !t.text().contains('\n')) {
                open_range = TextRange::new(ws.text_range().start(), open_range.end());
            }
        }
    }
    Some(Fix {
        message: "rewrite as 'let ... in body'".to_string(),
        edits: vec![
            TextEdit { range: open_range, insert: String::new() },
            TextEdit { range: close.text_range(), insert: "in body".to_string() },
        ],
        safety: Safety::Safe,
    })
}
