//! Printing HIR as Nix source the way the reference's `nix-instantiate --parse` shows its
//! tree: every operator parenthesised, attributes sorted by name with `inherit`s first, calls
//! as `(f a b)`, selections as `(e).a`, list elements in parentheses, paths bare.
//!
//! The HIR keeps what this needs: how each attribute was written ([`Origin`]), which sets were
//! `rec`, and the values of a `rec` set's attributes in its scope. Hidden bindings (the sources
//! of `inherit (e)`) print as the expression they hold.

use std::collections::HashMap;
use std::fmt::Write;

use crate::hir::{AttrKey, BindingId, BindingKind, Body, Expr, ExprId, Origin, Param, Resolution};
use crate::lower::with_stack;

/// `body` printed as the reference implementation prints its parsed tree.
pub fn print_nix(body: &Body) -> String {
    let mut values = HashMap::new();
    for expr in &body.exprs {
        match expr {
            Expr::Let { bindings, .. } => values.extend(bindings.iter().map(|b| (b.id, b.value))),
            Expr::Attrs(attrs) => values.extend(attrs.scope.iter().map(|b| (b.id, b.value))),
            _ => {}
        }
    }
    let mut printer = Printer { body, values, out: String::new() };
    printer.expr(body.root);
    printer.out
}

/// Writes `s` as a Nix string literal.
pub fn write_string(out: &mut String, s: &str) {
    out.push('"');
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '$' if chars.peek() == Some(&'{') => out.push_str("\\$"),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Words that cannot stand as a bare attribute name.
const KEYWORDS: &[&str] = &["assert", "else", "if", "in", "inherit", "let", "rec", "then", "with"];

/// Writes an attribute name, quoted unless it is an identifier.
pub fn write_identifier(out: &mut String, s: &str) {
    let mut chars = s.chars();
    let plain = chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '\'' | '-'))
        && !KEYWORDS.contains(&s);
    if plain {
        out.push_str(s);
    } else {
        write_string(out, s);
    }
}

/// Formats a float as C++ streams do by default (`%g`: six significant digits).
pub fn format_float(f: f64) -> String {
    if f.is_nan() {
        return if f.is_sign_negative() { "-nan" } else { "nan" }.to_string();
    }
    if f.is_infinite() {
        return if f < 0.0 { "-inf" } else { "inf" }.to_string();
    }
    if f == 0.0 {
        return if f.is_sign_negative() { "-0" } else { "0" }.to_string();
    }
    let sci = format!("{f:.5e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if !(-4..6).contains(&exp) {
        let mantissa = trim_zeros(mantissa);
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{mantissa}e{sign}{:02}", exp.abs())
    } else {
        let decimals = (5 - exp).max(0) as usize;
        trim_zeros(&format!("{f:.decimals$}")).to_string()
    }
}

fn trim_zeros(s: &str) -> &str {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        s
    }
}

struct Printer<'a> {
    body: &'a Body,
    /// The value of every binding of a `let` or a set's scope.
    values: HashMap<BindingId, ExprId>,
    out: String,
}

/// One attribute or `let` binding as printed.
struct Item {
    name: Box<str>,
    value: ExprId,
    origin: Origin,
}

impl Printer<'_> {
    fn expr(&mut self, id: ExprId) {
        with_stack(|| self.expr_inner(id));
    }

    fn expr_inner(&mut self, id: ExprId) {
        let body = self.body;
        match body.expr(id) {
            Expr::Missing => self.out.push_str("<missing>"),
            Expr::Int(n) => {
                let _ = write!(self.out, "{n}");
            }
            Expr::Float(f) => self.out.push_str(&format_float(*f)),
            Expr::Str(s) => write_string(&mut self.out, s),
            Expr::Path(p) => self.out.push_str(p),
            Expr::Var(var) => match var.resolution {
                Resolution::Local(b) if body.binding(b).kind == BindingKind::InheritSource => {
                    match self.values.get(&b).copied() {
                        Some(value) => self.expr(value),
                        None => self.out.push_str("<missing>"),
                    }
                }
                _ => self.out.push_str(&var.name),
            },
            Expr::Interpolate { parts, .. } => {
                self.out.push('(');
                for (i, part) in parts.iter().enumerate() {
                    if i > 0 {
                        self.out.push_str(" + ");
                    }
                    self.expr(*part);
                }
                self.out.push(')');
            }
            Expr::List(items) => {
                self.out.push_str("[ ");
                for item in items {
                    self.out.push('(');
                    self.expr(*item);
                    self.out.push_str(") ");
                }
                self.out.push(']');
            }
            Expr::Attrs(attrs) => {
                if attrs.recursive {
                    self.out.push_str("rec ");
                }
                self.out.push_str("{ ");
                let items = attrs
                    .entries
                    .iter()
                    .map(|e| {
                        // A `rec` set's attributes refer to its scope's bindings.
                        let value = match body.expr(e.value) {
                            Expr::Var(v) if attrs.recursive => match v.resolution {
                                Resolution::Local(b) => self.values.get(&b).copied().unwrap_or(e.value),
                                _ => e.value,
                            },
                            _ => e.value,
                        };
                        Item { name: e.name.clone(), value, origin: e.origin }
                    })
                    .collect();
                self.bindings(items);
                for dynamic in &attrs.dynamics {
                    self.out.push_str("\"${");
                    self.expr(dynamic.name);
                    self.out.push_str("}\" = ");
                    self.expr(dynamic.value);
                    self.out.push_str("; ");
                }
                self.out.push('}');
            }
            Expr::Let { bindings, body: let_body } => {
                let items: Vec<Item> = bindings
                    .iter()
                    .filter(|b| body.binding(b.id).kind != BindingKind::InheritSource)
                    .map(|b| Item { name: body.binding(b.id).name.clone(), value: b.value, origin: b.origin })
                    .collect();
                // A `let` of hidden bindings only comes from a container inherit.
                if items.is_empty() {
                    self.expr(*let_body);
                    return;
                }
                self.out.push_str("(let ");
                self.bindings(items);
                self.out.push_str("in ");
                self.expr(*let_body);
                self.out.push(')');
            }
            Expr::Lambda(lambda) => {
                self.out.push('(');
                match &lambda.param {
                    Param::Ident(b) => self.out.push_str(&body.binding(*b).name),
                    Param::Pattern(pattern) => {
                        self.out.push_str("{ ");
                        let mut fields: Vec<_> = pattern.fields.iter().collect();
                        fields.sort_by(|a, b| body.binding(a.id).name.cmp(&body.binding(b.id).name));
                        for (i, field) in fields.iter().enumerate() {
                            if i > 0 {
                                self.out.push_str(", ");
                            }
                            self.out.push_str(&body.binding(field.id).name);
                            if let Some(default) = field.default {
                                self.out.push_str(" ? ");
                                self.expr(default);
                            }
                        }
                        if pattern.ellipsis {
                            if !fields.is_empty() {
                                self.out.push_str(", ");
                            }
                            self.out.push_str("...");
                        }
                        self.out.push_str(" }");
                        if let Some(alias) = pattern.alias {
                            self.out.push_str(" @ ");
                            self.out.push_str(&body.binding(alias).name);
                        }
                    }
                }
                self.out.push_str(": ");
                self.expr(lambda.body);
                self.out.push(')');
            }
            Expr::Apply { fun, args } => {
                self.out.push('(');
                self.expr(*fun);
                for arg in args {
                    self.out.push(' ');
                    self.expr(*arg);
                }
                self.out.push(')');
            }
            Expr::Select { expr, path, default } => {
                self.out.push('(');
                self.expr(*expr);
                self.out.push_str(").");
                self.attr_path(path);
                if let Some(default) = default {
                    self.out.push_str(" or (");
                    self.expr(*default);
                    self.out.push(')');
                }
            }
            Expr::HasAttr { expr, path } => {
                self.out.push_str("((");
                self.expr(*expr);
                self.out.push_str(") ? ");
                self.attr_path(path);
                self.out.push(')');
            }
            Expr::BinOp { op, lhs, rhs } => {
                self.out.push('(');
                self.expr(*lhs);
                self.out.push(' ');
                self.out.push_str(op.symbol());
                self.out.push(' ');
                self.expr(*rhs);
                self.out.push(')');
            }
            Expr::Not(e) => {
                self.out.push_str("(! ");
                self.expr(*e);
                self.out.push(')');
            }
            Expr::If { cond, then_, else_ } => {
                self.out.push_str("(if ");
                self.expr(*cond);
                self.out.push_str(" then ");
                self.expr(*then_);
                self.out.push_str(" else ");
                self.expr(*else_);
                self.out.push(')');
            }
            Expr::Assert { cond, body } => {
                self.out.push_str("assert ");
                self.expr(*cond);
                self.out.push_str("; ");
                self.expr(*body);
            }
            Expr::With { namespace, body } => {
                self.out.push_str("(with ");
                self.expr(*namespace);
                self.out.push_str("; ");
                self.expr(*body);
                self.out.push(')');
            }
            Expr::CurPos => self.out.push_str("__curPos"),
        }
    }

    fn attr_path(&mut self, path: &[AttrKey]) {
        for (i, key) in path.iter().enumerate() {
            if i > 0 {
                self.out.push('.');
            }
            match key {
                AttrKey::Static(name) => write_identifier(&mut self.out, name),
                AttrKey::Dynamic(e) => {
                    self.out.push_str("\"${");
                    self.expr(*e);
                    self.out.push_str("}\"");
                }
            }
        }
    }

    /// Bindings sorted by name: plain `inherit`s, then `inherit (e)` groups in the order of
    /// their sources, then the others.
    fn bindings(&mut self, mut items: Vec<Item>) {
        items.sort_by(|a, b| a.name.as_bytes().cmp(b.name.as_bytes()));
        let inherits: Vec<&Item> = items.iter().filter(|i| i.origin == Origin::Inherit).collect();
        if !inherits.is_empty() {
            self.out.push_str("inherit");
            for item in inherits {
                self.out.push(' ');
                write_identifier(&mut self.out, &item.name);
            }
            self.out.push_str("; ");
        }
        let mut groups: Vec<(BindingId, Vec<&Item>)> = Vec::new();
        for item in &items {
            if let Origin::InheritFrom(source) = item.origin {
                match groups.iter_mut().find(|(s, _)| *s == source) {
                    Some((_, group)) => group.push(item),
                    None => groups.push((source, vec![item])),
                }
            }
        }
        groups.sort_by_key(|(source, _)| *source);
        for (source, group) in groups {
            self.out.push_str("inherit (");
            match self.values.get(&source).copied() {
                Some(value) => self.expr(value),
                None => self.out.push_str("<missing>"),
            }
            self.out.push(')');
            for item in group {
                self.out.push(' ');
                write_identifier(&mut self.out, &item.name);
            }
            self.out.push_str("; ");
        }
        for item in &items {
            if item.origin == Origin::Plain {
                write_identifier(&mut self.out, &item.name);
                self.out.push_str(" = ");
                self.expr(item.value);
                self.out.push_str("; ");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_as_cpp_streams() {
        assert_eq!(format_float(1.5), "1.5");
        assert_eq!(format_float(3.0), "3");
        assert_eq!(format_float(1.0e10), "1e+10");
        assert_eq!(format_float(123456789.0), "1.23457e+08");
        assert_eq!(format_float(1.0e-7), "1e-07");
        assert_eq!(format_float(0.000123), "0.000123");
        assert_eq!(format_float(0.1), "0.1");
        assert_eq!(format_float(100000.0), "100000");
    }

    #[test]
    fn strings_escaped() {
        let mut out = String::new();
        write_string(&mut out, "a${b}\"\\\n$c");
        assert_eq!(out, r#""a\${b}\"\\\n$c""#);
    }
}
