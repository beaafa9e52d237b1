//! A readable text form of HIR for tests: one node per line, children indented, every variable
//! with its resolution (`x@local#3`, `map@global`, `y@with`, `z@undefined`) and every binding
//! with its id and kind.

use std::fmt::Write;

use crate::hir::{AttrKey, BindingId, BindingKind, Body, Expr, ExprId, Origin, Param, Resolution};
use crate::lower::with_stack;
use crate::print::write_string;

/// Indentation beyond this depth is written as a number.
const MAX_INDENT: usize = 64;

/// `body` as an indented tree.
pub fn dump(body: &Body) -> String {
    let mut dumper = Dumper { body, out: String::new() };
    dumper.expr(body.root, 0);
    dumper.out
}

struct Dumper<'a> {
    body: &'a Body,
    out: String,
}

fn kind_name(kind: BindingKind) -> &'static str {
    match kind {
        BindingKind::Let => "let",
        BindingKind::RecAttr => "rec-attr",
        BindingKind::Param => "param",
        BindingKind::PatField => "field",
        BindingKind::PatAlias => "alias",
        BindingKind::InheritSource => "inherit-source",
    }
}

impl Dumper<'_> {
    fn line(&mut self, depth: usize, text: &str) {
        // Deep trees would make the text quadratic: past a bound, the depth is written out.
        if depth > MAX_INDENT {
            let _ = write!(self.out, "{:width$}[{depth}] ", "", width = 2 * MAX_INDENT);
        } else {
            for _ in 0..depth {
                self.out.push_str("  ");
            }
        }
        self.out.push_str(text);
        self.out.push('\n');
    }

    fn binding(&self, id: BindingId) -> String {
        let info = self.body.binding(id);
        format!("{}#{} ({})", info.name, id.0, kind_name(info.kind))
    }

    fn origin(origin: Origin) -> String {
        match origin {
            Origin::Plain => String::new(),
            Origin::Inherit => " [inherit]".to_string(),
            Origin::InheritFrom(b) => format!(" [inherit-from #{}]", b.0),
        }
    }

    /// The path's text, with `${}` for each dynamic key, and the dynamic keys.
    fn path(path: &[AttrKey]) -> (String, Vec<ExprId>) {
        let mut text = String::new();
        let mut dynamic = Vec::new();
        for key in path {
            match key {
                AttrKey::Static(name) => {
                    text.push('.');
                    text.push_str(name);
                }
                AttrKey::Dynamic(e) => {
                    text.push_str(".${}");
                    dynamic.push(*e);
                }
            }
        }
        (text, dynamic)
    }

    fn expr(&mut self, id: ExprId, depth: usize) {
        with_stack(|| self.expr_inner(id, depth));
    }

    fn expr_inner(&mut self, id: ExprId, depth: usize) {
        let body = self.body;
        let d = depth + 1;
        match body.expr(id) {
            Expr::Missing => self.line(depth, "missing"),
            Expr::Int(n) => self.line(depth, &format!("int {n}")),
            Expr::Float(f) => self.line(depth, &format!("float {f:?}")),
            Expr::Str(s) => {
                let mut text = "str ".to_string();
                write_string(&mut text, s);
                self.line(depth, &text);
            }
            Expr::Path(p) => self.line(depth, &format!("path {p}")),
            Expr::Var(var) => {
                let resolution = match var.resolution {
                    Resolution::Local(b) => format!("local#{}", b.0),
                    Resolution::Global => "global".to_string(),
                    Resolution::With => "with".to_string(),
                    Resolution::Undefined => "undefined".to_string(),
                };
                self.line(depth, &format!("var {}@{resolution}", var.name));
            }
            Expr::Interpolate { parts, path } => {
                self.line(depth, if *path { "interpolate path" } else { "interpolate" });
                for part in parts {
                    self.expr(*part, d);
                }
            }
            Expr::List(items) => {
                self.line(depth, "list");
                for item in items {
                    self.expr(*item, d);
                }
            }
            Expr::Attrs(attrs) => {
                self.line(depth, if attrs.recursive { "attrs rec" } else { "attrs" });
                for b in &attrs.scope {
                    let text = format!("scope {}{}", self.binding(b.id), Self::origin(b.origin));
                    self.line(d, &text);
                    self.expr(b.value, d + 1);
                }
                for e in &attrs.entries {
                    self.line(d, &format!("entry {}{}", e.name, Self::origin(e.origin)));
                    self.expr(e.value, d + 1);
                }
                for dynamic in &attrs.dynamics {
                    self.line(d, "dynamic");
                    self.expr(dynamic.name, d + 1);
                    self.expr(dynamic.value, d + 1);
                }
            }
            Expr::Let { bindings, body: let_body } => {
                self.line(depth, "let");
                for b in bindings {
                    let text = format!("binding {}{}", self.binding(b.id), Self::origin(b.origin));
                    self.line(d, &text);
                    self.expr(b.value, d + 1);
                }
                self.line(d, "in");
                self.expr(*let_body, d + 1);
            }
            Expr::Lambda(lambda) => {
                let name = lambda.name.as_deref().map(|n| format!(" name={n}")).unwrap_or_default();
                self.line(depth, &format!("lambda{name}"));
                match &lambda.param {
                    Param::Ident(b) => {
                        let text = format!("param {}", self.binding(*b));
                        self.line(d, &text);
                    }
                    Param::Pattern(pattern) => {
                        let mut text = "pattern".to_string();
                        if pattern.ellipsis {
                            text.push_str(" ...");
                        }
                        if let Some(alias) = pattern.alias {
                            let _ = write!(text, " @ {}", self.binding(alias));
                        }
                        self.line(d, &text);
                        for field in &pattern.fields {
                            let text = format!("field {}", self.binding(field.id));
                            self.line(d + 1, &text);
                            if let Some(default) = field.default {
                                self.expr(default, d + 2);
                            }
                        }
                    }
                }
                self.expr(lambda.body, d);
            }
            Expr::Apply { fun, args } => {
                self.line(depth, "apply");
                self.expr(*fun, d);
                for arg in args {
                    self.expr(*arg, d);
                }
            }
            Expr::Select { expr, path, default } => {
                let (text, keys) = Self::path(path);
                self.line(depth, &format!("select {text}"));
                self.expr(*expr, d);
                for key in keys {
                    self.line(d, "key");
                    self.expr(key, d + 1);
                }
                if let Some(default) = default {
                    self.line(d, "or");
                    self.expr(*default, d + 1);
                }
            }
            Expr::HasAttr { expr, path } => {
                let (text, keys) = Self::path(path);
                self.line(depth, &format!("has-attr {text}"));
                self.expr(*expr, d);
                for key in keys {
                    self.line(d, "key");
                    self.expr(key, d + 1);
                }
            }
            Expr::BinOp { op, lhs, rhs } => {
                self.line(depth, &format!("binop {}", op.symbol()));
                self.expr(*lhs, d);
                self.expr(*rhs, d);
            }
            Expr::Not(e) => {
                self.line(depth, "not");
                self.expr(*e, d);
            }
            Expr::If { cond, then_, else_ } => {
                self.line(depth, "if");
                self.expr(*cond, d);
                self.expr(*then_, d);
                self.expr(*else_, d);
            }
            Expr::Assert { cond, body } => {
                self.line(depth, "assert");
                self.expr(*cond, d);
                self.expr(*body, d);
            }
            Expr::With { namespace, body } => {
                self.line(depth, "with");
                self.expr(*namespace, d);
                self.expr(*body, d);
            }
            Expr::CurPos => self.line(depth, "cur-pos"),
        }
    }
}
