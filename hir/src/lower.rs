//! Lowering a syntax tree to HIR: desugaring (merged attribute paths, `inherit`, `rec`, legacy
//! `let`, operators defined through builtins, pipes, container inherits, paths made absolute)
//! and name resolution, as the reference implementation does both while parsing.
//!
//! Attribute sets and `let` are lowered in two steps. First their bindings are collected into a
//! [`PendingSet`] tree, merging attribute paths the way the reference's `addAttr` does: a path
//! through an existing set extends it (so a later `a.c = v;` joins an earlier `a = rec { ... };`
//! and sees its scope), and a set literal assigned to an existing set pours its attributes into
//! it (so `a.b = 1; a = rec { ... };` loses its recursion: the first definer's kind wins). Then
//! the pending tree is lowered, each set's values in the scope of the set they ended up in.
//!
//! Recursion follows the tree's depth, which the parser bounds by `MAX_DEPTH`; every recursive
//! step runs under `stacker::maybe_grow`, so deep trees grow the stack instead of overflowing it.

use std::collections::HashMap;

use lix_editions::Edition;
use lix_syntax::ast::{self, AstNode, BinOpKind, ContainerKind, LiteralKind, StrPart, UnaryOpKind};
use lix_syntax::strings::{unescape_string, unindent_parts, Cooked, IndPiece};
use lix_syntax::{TextRange, TextSize};

use crate::globals::is_global;
use crate::hir::{
    AttrEntry, AttrKey, Attrs, BinOp, Binding, BindingId, BindingInfo, BindingKind, Body, DynamicAttr, Expr, ExprId,
    Lambda, Origin, Param, PatField, Pattern, Resolution, Var,
};

/// Stack left free before a recursive step grows the stack.
const RED_ZONE: usize = 128 * 1024;
/// Size of each stack segment added for deep trees.
const STACK_SEGMENT: usize = 2 * 1024 * 1024;

/// Runs `f` with at least [`RED_ZONE`] bytes of stack.
pub(crate) fn with_stack<R>(f: impl FnOnce() -> R) -> R {
    stacker::maybe_grow(RED_ZONE, STACK_SEGMENT, f)
}

/// What lowering needs to know beyond the tree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LowerConfig {
    /// The file's edition (it decides which globals exist).
    pub edition: Edition,
    /// The absolute directory that relative path literals resolve against.
    pub base_dir: String,
    /// The home directory, for `~/` paths.
    pub home: Option<String>,
}

/// A problem found while lowering, with the range it concerns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LowerError {
    /// What is wrong, as the reference implementation words it.
    pub message: String,
    /// Where.
    pub range: TextRange,
}

/// A lowered file: its HIR and the errors found on the way.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Lowered {
    /// The file's expression.
    pub body: Body,
    /// Undefined variables and unresolvable paths, in the order found.
    pub errors: Vec<LowerError>,
}

/// Lowers the file `root` to HIR. Never panics, whatever the tree: missing parts become
/// [`Expr::Missing`].
pub fn lower(root: &ast::Root, config: &LowerConfig) -> Lowered {
    let mut lowerer = Lowerer { config, body: Body::default(), errors: Vec::new(), scopes: Vec::new() };
    let range = root.syntax().text_range();
    let id = lowerer.expr_or_missing(root.expr(), range);
    lowerer.body.root = id;
    Lowered { body: lowerer.body, errors: lowerer.errors }
}

/// One level of static scope.
enum Frame {
    /// Names bound by a `let`, `rec` set, lambda or pattern.
    Names(HashMap<Box<str>, BindingId>),
    /// The body of a `with`.
    With,
}

/// The bindings of a set or `let`, collected and merged, not yet lowered.
struct PendingSet {
    /// Whether the set is `rec` (always false for sets made by attribute paths).
    rec: bool,
    /// The node the set came from.
    range: TextRange,
    /// Static attributes in source order.
    entries: Vec<PendingEntry>,
    /// Index of each static name in `entries`.
    index: HashMap<String, usize>,
    /// Attributes with computed names.
    dynamics: Vec<PendingDynamic>,
    /// The `e` of each `inherit (e)`, in source order (after merging, the merged set's follow).
    sources: Vec<(Option<ast::Expr>, TextRange)>,
}

struct PendingEntry {
    name: String,
    span: TextRange,
    value: PendingValue,
}

struct PendingDynamic {
    name: ast::Attr,
    value: PendingValue,
}

enum PendingValue {
    /// An expression, named after its attribute when it is a lambda.
    Expr { expr: Option<ast::Expr>, range: TextRange, name: Option<String> },
    /// A set that attribute paths may extend.
    Set(PendingSet),
    /// `inherit name;`: the variable looked up outside the set.
    Inherit(TextRange),
    /// `inherit (e) name;`, with the index of `e` in the set's `sources`.
    InheritFrom(usize, TextRange),
}

impl PendingSet {
    fn new(rec: bool, range: TextRange) -> Self {
        PendingSet {
            rec,
            range,
            entries: Vec::new(),
            index: HashMap::new(),
            dynamics: Vec::new(),
            sources: Vec::new(),
        }
    }

    fn push(&mut self, name: String, span: TextRange, value: PendingValue) {
        self.index.insert(name.clone(), self.entries.len());
        self.entries.push(PendingEntry { name, span, value });
    }

    /// Pours `other` (a set literal assigned where a set already is) into `self`. Clashing names
    /// are duplicate attributes, which the parser's validation reports; the first one stays.
    fn merge(&mut self, other: PendingSet) {
        let offset = self.sources.len();
        self.sources.extend(other.sources);
        for mut entry in other.entries {
            if self.index.contains_key(&entry.name) {
                continue;
            }
            if let PendingValue::InheritFrom(i, _) = &mut entry.value {
                *i += offset;
            }
            self.push(entry.name, entry.span, entry.value);
        }
        self.dynamics.extend(other.dynamics);
    }
}

/// What kind of scope a set of bindings makes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum SetKind {
    /// A `let`: every name is bound for the values and the body.
    Let,
    /// An attribute set, whose scope is its own only when it is `rec`.
    Attrs,
}

/// Strips parentheses, which vanish in the reference's tree.
fn strip_parens(mut expr: Option<ast::Expr>) -> Option<ast::Expr> {
    while let Some(ast::Expr::Paren(p)) = expr {
        expr = p.expr();
    }
    expr
}

/// `path` (absolute) with `.` and empty components dropped and `..` resolved, without a
/// trailing slash.
fn canonicalise(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            part => parts.push(part),
        }
    }
    if parts.is_empty() {
        return "/".to_string();
    }
    let mut out = String::with_capacity(path.len());
    for part in parts {
        out.push('/');
        out.push_str(part);
    }
    out
}

struct Lowerer<'a> {
    config: &'a LowerConfig,
    body: Body,
    errors: Vec<LowerError>,
    scopes: Vec<Frame>,
}

impl Lowerer<'_> {
    fn alloc(&mut self, expr: Expr, range: TextRange) -> ExprId {
        let id = ExprId(self.body.exprs.len() as u32);
        self.body.exprs.push(expr);
        self.body.spans.push(range);
        id
    }

    fn alloc_binding(&mut self, name: &str, span: TextRange, kind: BindingKind) -> BindingId {
        let id = BindingId(self.body.bindings.len() as u32);
        self.body.bindings.push(BindingInfo { name: name.into(), span, kind });
        id
    }

    fn error(&mut self, message: String, range: TextRange) {
        self.errors.push(LowerError { message, range });
    }

    fn missing(&mut self, range: TextRange) -> ExprId {
        self.alloc(Expr::Missing, range)
    }

    /// Where `name` comes from, seen from the innermost scope.
    fn resolve(&mut self, name: &str, range: TextRange) -> Var {
        let mut in_with = false;
        for frame in self.scopes.iter().rev() {
            match frame {
                Frame::Names(names) => {
                    if let Some(&id) = names.get(name) {
                        return Var { name: name.into(), resolution: Resolution::Local(id) };
                    }
                }
                Frame::With => in_with = true,
            }
        }
        let resolution = if is_global(name, self.config.edition) {
            Resolution::Global
        } else if in_with {
            Resolution::With
        } else {
            self.error(format!("undefined variable '{name}'"), range);
            Resolution::Undefined
        };
        Var { name: name.into(), resolution }
    }

    fn var(&mut self, name: &str, range: TextRange) -> ExprId {
        let var = self.resolve(name, range);
        self.alloc(Expr::Var(var), range)
    }

    /// `fun args`, appending to `fun` when it is a call already, as the reference does
    /// (`(f a) b` is one call with two arguments).
    fn call(&mut self, fun: ExprId, new_args: Vec<ExprId>, range: TextRange) -> ExprId {
        if let Expr::Apply { args, .. } = &mut self.body.exprs[fun.0 as usize] {
            args.extend(new_args);
            self.body.spans[fun.0 as usize] = range;
            return fun;
        }
        self.alloc(Expr::Apply { fun, args: new_args }, range)
    }

    /// A call of the builtin `name` (resolved like any variable, so it can be shadowed).
    fn builtin_call(&mut self, name: &str, args: Vec<ExprId>, range: TextRange) -> ExprId {
        let fun = self.var(name, range);
        self.alloc(Expr::Apply { fun, args }, range)
    }

    /// `dbg` where it names the global of edition 2026: the run-time builtin `__dbg` applied to
    /// the position of `dbg` and the source text of its argument (`text`, empty when `dbg` is
    /// not applied here), so that it can print both. A local `dbg` is an ordinary variable.
    fn dbg(&mut self, range: TextRange, text: &str) -> ExprId {
        let var = self.resolve("dbg", range);
        if var.resolution != Resolution::Global {
            return self.alloc(Expr::Var(var), range);
        }
        let fun = self.alloc(Expr::Var(Var { name: "__dbg".into(), resolution: Resolution::Global }), range);
        let pos = self.alloc(Expr::CurPos, range);
        let text = self.alloc(Expr::Str(text.into()), range);
        self.alloc(Expr::Apply { fun, args: vec![pos, text] }, range)
    }

    fn expr_or_missing(&mut self, expr: Option<ast::Expr>, range: TextRange) -> ExprId {
        match expr {
            Some(expr) => self.expr(expr),
            None => self.missing(range),
        }
    }

    fn expr(&mut self, expr: ast::Expr) -> ExprId {
        with_stack(|| self.expr_inner(expr))
    }

    fn expr_inner(&mut self, expr: ast::Expr) -> ExprId {
        let range = expr.syntax().text_range();
        match expr {
            ast::Expr::Literal(lit) => self.literal(&lit, range),
            ast::Expr::Variable(v) => match v.token() {
                Some(token) if token.text() == "__curPos" => self.alloc(Expr::CurPos, range),
                Some(token) if token.text() == "dbg" => self.dbg(token.text_range(), ""),
                Some(token) => self.var(token.text(), token.text_range()),
                None => self.missing(range),
            },
            ast::Expr::Str(s) => self.string(&s),
            ast::Expr::PathExpr(p) => self.path(&p),
            ast::Expr::Paren(p) => self.expr_or_missing(p.expr(), range),
            ast::Expr::List(list) => self.list(&list),
            ast::Expr::AttrSet(set) => {
                let pending = self.collect(set.bindings(), set.is_rec(), range);
                self.attrs(pending)
            }
            ast::Expr::LetIn(let_in) => {
                let pending = self.collect(let_in.bindings(), false, range);
                let body = let_in.body();
                self.let_(pending, range, |this, _| this.expr_or_missing(body, range))
            }
            ast::Expr::LegacyLet(legacy) => {
                let pending = self.collect(legacy.bindings(), false, range);
                self.let_(pending, range, |this, names| match names.get("body") {
                    Some(&id) => {
                        let var = Var { name: "body".into(), resolution: Resolution::Local(id) };
                        let e = this.alloc(Expr::Var(var), range);
                        // The reference evaluates `(rec { ... }).body`: it shows that selection
                        // and the attribute's definition.
                        let defined = this.body.bindings[id.0 as usize].span;
                        this.body.frames.push((e, "while evaluating the attribute 'body'".into(), range));
                        this.body.frames.push((e, "from the definition of 'body'".into(), defined));
                        e
                    }
                    // `let { }` is `(rec { ... }).body`: a missing attribute.
                    None => {
                        let empty = Attrs { recursive: true, scope: vec![], entries: vec![], dynamics: vec![] };
                        let set = this.alloc(Expr::Attrs(empty), range);
                        let path = vec![AttrKey::Static("body".into())];
                        this.alloc(Expr::Select { expr: set, path, default: None }, range)
                    }
                })
            }
            ast::Expr::With(with) => {
                let namespace = self.expr_or_missing(with.namespace(), range);
                self.scopes.push(Frame::With);
                let body = self.expr_or_missing(with.body(), range);
                self.scopes.pop();
                self.alloc(Expr::With { namespace, body }, range)
            }
            ast::Expr::Assert(assert) => {
                let cond = self.expr_or_missing(assert.condition(), range);
                let body = self.expr_or_missing(assert.body(), range);
                self.alloc(Expr::Assert { cond, body }, range)
            }
            ast::Expr::IfElse(if_) => {
                let cond = self.expr_or_missing(if_.condition(), range);
                let then_ = self.expr_or_missing(if_.then_branch(), range);
                let else_ = self.expr_or_missing(if_.else_branch(), range);
                self.alloc(Expr::If { cond, then_, else_ }, range)
            }
            ast::Expr::Lambda(lambda) => self.lambda(&lambda, range),
            ast::Expr::Apply(apply) => self.apply(apply, range),
            ast::Expr::Select(select) => {
                let expr = self.expr_or_missing(select.expr(), range);
                let path = self.attr_keys(select.attrpath(), range);
                let default = select.default_expr().map(|d| self.expr(d));
                self.alloc(Expr::Select { expr, path, default }, range)
            }
            ast::Expr::HasAttr(has) => {
                let expr = self.expr_or_missing(has.expr(), range);
                let path = self.attr_keys(has.attrpath(), range);
                self.alloc(Expr::HasAttr { expr, path }, range)
            }
            ast::Expr::UnaryOp(op) => {
                let operand = self.expr_or_missing(op.operand(), range);
                match op.operator() {
                    Some(UnaryOpKind::Negate) => {
                        let zero = self.alloc(Expr::Int(0), range);
                        self.builtin_call("__sub", vec![zero, operand], range)
                    }
                    Some(UnaryOpKind::Not) => self.alloc(Expr::Not(operand), range),
                    None => self.missing(range),
                }
            }
            ast::Expr::BinOp(op) => self.binop(&op, range),
            ast::Expr::ContainerInherit(inherit) => self.container_inherit(&inherit, range),
            ast::Expr::Error(_) => self.missing(range),
        }
    }

    fn literal(&mut self, lit: &ast::Literal, range: TextRange) -> ExprId {
        let Some(token) = lit.token() else { return self.missing(range) };
        let text = token.text();
        match lit.kind() {
            // Out-of-range integers are reported by the lexer.
            Some(LiteralKind::Integer) => match text.parse::<i64>() {
                Ok(n) => self.alloc(Expr::Int(n), range),
                Err(_) => self.missing(range),
            },
            Some(LiteralKind::Float) => match text.parse::<f64>() {
                Ok(f) => self.alloc(Expr::Float(f), range),
                Err(_) => self.missing(range),
            },
            Some(LiteralKind::Uri) => self.alloc(Expr::Str(text.into()), range),
            Some(LiteralKind::SearchPath) => {
                let inner = text.strip_prefix('<').unwrap_or(text);
                let inner = inner.strip_suffix('>').unwrap_or(inner);
                let nix_path = self.var("__nixPath", range);
                let name = self.alloc(Expr::Str(inner.into()), range);
                self.builtin_call("__findFile", vec![nix_path, name], range)
            }
            None => self.missing(range),
        }
    }

    /// Nix strings cannot hold NUL bytes: a literal piece with one is an error (the reference's
    /// message shows the piece as written, the NUL as `␀`).
    fn check_nul_bytes(&mut self, s: &ast::Str) {
        for part in s.parts() {
            let StrPart::Literal(t) = part else { continue };
            let text = t.text();
            if !text.contains('\0') {
                continue;
            }
            // An indented string's first piece starts after the newline that follows `''`.
            let skip = if s.is_indented() && text.starts_with('\n') { 1 } else { 0 };
            let shown = text[skip..].replace('\0', "\u{2400}");
            let range = t.text_range();
            let range = TextRange::new(range.start() + TextSize::from(skip as u32), range.end());
            self.error(
                format!("input string '{shown}' cannot be represented as Nix string because it contains null bytes"),
                range,
            );
        }
    }

    /// A string literal: `Str` without interpolation, else the pieces to concatenate.
    fn string(&mut self, s: &ast::Str) -> ExprId {
        let range = s.syntax().text_range();
        self.check_nul_bytes(s);
        // Literal text (decoded) or interpolations, in order.
        let mut pieces: Vec<Result<String, ast::Interpol>> = Vec::new();
        if s.is_indented() {
            let parts: Vec<StrPart> = s.parts().collect();
            let raw: Vec<IndPiece<'_>> = parts
                .iter()
                .map(|p| match p {
                    StrPart::Literal(t) => IndPiece::Text(t.text()),
                    StrPart::Interpolation(_) => IndPiece::Interpolation,
                })
                .collect();
            let mut interpolations = parts.iter().filter_map(|p| match p {
                StrPart::Interpolation(i) => Some(i.clone()),
                StrPart::Literal(_) => None,
            });
            for cooked in unindent_parts(&raw) {
                match cooked {
                    Cooked::Text(text) => pieces.push(Ok(text)),
                    Cooked::Interpolation => {
                        if let Some(i) = interpolations.next() {
                            pieces.push(Err(i));
                        }
                    }
                }
            }
        } else {
            let mut raw = String::new();
            for part in s.parts() {
                match part {
                    StrPart::Literal(t) => raw.push_str(t.text()),
                    StrPart::Interpolation(i) => {
                        if !raw.is_empty() {
                            pieces.push(Ok(unescape_string(&std::mem::take(&mut raw))));
                        }
                        pieces.push(Err(i));
                    }
                }
            }
            if !raw.is_empty() {
                pieces.push(Ok(unescape_string(&raw)));
            }
        }
        if pieces.iter().all(|p| p.is_ok()) {
            let text: String = pieces.into_iter().filter_map(Result::ok).collect();
            return self.alloc(Expr::Str(text.into()), range);
        }
        let mut parts = Vec::with_capacity(pieces.len());
        for piece in pieces {
            match piece {
                Ok(text) if text.is_empty() => {}
                Ok(text) => parts.push(self.alloc(Expr::Str(text.into()), range)),
                Err(i) => {
                    let r = i.syntax().text_range();
                    let part = self.expr_or_missing(i.expr(), r);
                    self.body.interpolations.push((part, r));
                    parts.push(part);
                }
            }
        }
        self.alloc(Expr::Interpolate { parts, path: false }, range)
    }

    /// The absolute path a path literal's first piece stands for.
    fn resolve_path(&mut self, text: &str, range: TextRange) -> Option<String> {
        if text.starts_with('/') {
            Some(canonicalise(text))
        } else if let Some(rest) = text.strip_prefix('~') {
            // The reference does not canonicalise home paths.
            match &self.config.home {
                Some(home) => Some(format!("{home}{rest}")),
                None => {
                    self.error(format!("cannot resolve '{text}': the home directory is unknown"), range);
                    None
                }
            }
        } else {
            Some(canonicalise(&format!("{}/{}", self.config.base_dir, text)))
        }
    }

    fn path(&mut self, p: &ast::PathExpr) -> ExprId {
        let range = p.syntax().text_range();
        let parts: Vec<StrPart> = p.parts().collect();
        let interpolated = parts.iter().any(|p| matches!(p, StrPart::Interpolation(_)));
        if !interpolated {
            let text: String = parts
                .iter()
                .filter_map(|p| match p {
                    StrPart::Literal(t) => Some(t.text()),
                    StrPart::Interpolation(_) => None,
                })
                .collect();
            return match self.resolve_path(&text, range) {
                Some(path) => self.alloc(Expr::Path(path.into()), range),
                None => self.missing(range),
            };
        }
        let mut out = Vec::with_capacity(parts.len());
        for (i, part) in parts.into_iter().enumerate() {
            match part {
                StrPart::Literal(t) if i == 0 => {
                    let text = t.text();
                    let r = t.text_range();
                    match self.resolve_path(text, r) {
                        Some(mut path) => {
                            // The reference keeps the slash before the first interpolation.
                            if text.len() > 1 && text.ends_with('/') && !path.ends_with('/') {
                                path.push('/');
                            }
                            out.push(self.alloc(Expr::Path(path.into()), r));
                        }
                        None => out.push(self.missing(r)),
                    }
                }
                StrPart::Literal(t) => {
                    if !t.text().is_empty() {
                        out.push(self.alloc(Expr::Str(t.text().into()), t.text_range()));
                    }
                }
                StrPart::Interpolation(interpol) => {
                    let r = interpol.syntax().text_range();
                    let part = self.expr_or_missing(interpol.expr(), r);
                    self.body.interpolations.push((part, r));
                    out.push(part);
                }
            }
        }
        self.alloc(Expr::Interpolate { parts: out, path: true }, range)
    }

    fn list(&mut self, list: &ast::List) -> ExprId {
        let range = list.syntax().text_range();
        let mut items = Vec::new();
        let mut sources = Vec::new();
        for item in list.items() {
            match &item {
                // Standing directly in a list, the list form of a container inherit splices.
                ast::Expr::ContainerInherit(inherit) if inherit.kind() == Some(ContainerKind::List) => {
                    let (source, values) = self.container_values(inherit);
                    sources.extend(source);
                    items.extend(values.into_iter().map(|(_, _, v, _)| v));
                }
                _ => items.push(self.expr(item)),
            }
        }
        let list = self.alloc(Expr::List(items), range);
        if sources.is_empty() {
            list
        } else {
            self.alloc(Expr::Let { bindings: sources, body: list }, range)
        }
    }

    /// The values a container inherit takes: the hidden binding of `(e)` if any, and for each
    /// name its text, range, value and origin.
    #[allow(clippy::type_complexity)]
    fn container_values(
        &mut self,
        inherit: &ast::ContainerInherit,
    ) -> (Option<Binding>, Vec<(String, TextRange, ExprId, Origin)>) {
        let source = inherit.from().map(|from| {
            let r = from.syntax().text_range();
            let value = self.expr_or_missing(from.expr(), r);
            let id = self.alloc_binding("", r, BindingKind::InheritSource);
            Binding { id, value, origin: Origin::Plain }
        });
        let mut values = Vec::new();
        for attr in inherit.attrs() {
            // Dynamic names are a syntax error, reported by validation.
            let Some(name) = attr.static_name() else { continue };
            let r = attr.syntax().text_range();
            let (value, origin) = match &source {
                Some(source) => (self.inherit_select(source.id, &name, r), Origin::InheritFrom(source.id)),
                None => (self.var(&name, r), Origin::Inherit),
            };
            values.push((name, r, value, origin));
        }
        (source, values)
    }

    fn inherit_select(&mut self, source: BindingId, name: &str, range: TextRange) -> ExprId {
        let var = Var { name: "".into(), resolution: Resolution::Local(source) };
        let expr = self.alloc(Expr::Var(var), range);
        let path = vec![AttrKey::Static(name.into())];
        self.alloc(Expr::Select { expr, path, default: None }, range)
    }

    fn container_inherit(&mut self, inherit: &ast::ContainerInherit, range: TextRange) -> ExprId {
        let Some(kind) = inherit.kind() else { return self.missing(range) };
        let (source, values) = self.container_values(inherit);
        match kind {
            ContainerKind::List => {
                let list = self.alloc(Expr::List(values.into_iter().map(|(_, _, v, _)| v).collect()), range);
                match source {
                    Some(source) => self.alloc(Expr::Let { bindings: vec![source], body: list }, range),
                    None => list,
                }
            }
            ContainerKind::Set => {
                let mut entries: Vec<AttrEntry> = Vec::new();
                for (name, span, value, origin) in values {
                    // A repeated name is a duplicate attribute, reported by validation.
                    if entries.iter().all(|e| *e.name != *name) {
                        entries.push(AttrEntry { name: name.into(), span, value, origin });
                    }
                }
                let attrs = Attrs { recursive: false, scope: source.into_iter().collect(), entries, dynamics: vec![] };
                self.alloc(Expr::Attrs(attrs), range)
            }
        }
    }

    fn apply(&mut self, apply: ast::Apply, range: TextRange) -> ExprId {
        // `f a b` nests to the left; walk the spine without recursion.
        let mut args = Vec::new();
        let mut node = apply;
        let head = loop {
            args.push((node.argument(), node.syntax().text_range()));
            match strip_parens(node.function()) {
                Some(ast::Expr::Apply(inner)) => node = inner,
                other => break other,
            }
        };
        let head_range = node.syntax().text_range();
        let fun = match head {
            // `dbg e`: the builtin also gets the source text of `e`.
            Some(ast::Expr::Variable(v)) if v.token().is_some_and(|t| t.text() == "dbg") => {
                let text = args.last().and_then(|(arg, _)| arg.as_ref()).map(|a| a.syntax().text().to_string());
                self.dbg(v.syntax().text_range(), text.as_deref().unwrap_or(""))
            }
            head => self.expr_or_missing(head, head_range),
        };
        let args: Vec<ExprId> = args.into_iter().rev().map(|(arg, r)| self.expr_or_missing(arg, r)).collect();
        self.call(fun, args, range)
    }

    fn binop(&mut self, op: &ast::BinOp, range: TextRange) -> ExprId {
        let lhs = self.expr_or_missing(op.lhs(), range);
        let rhs = self.expr_or_missing(op.rhs(), range);
        let Some(kind) = op.operator() else { return self.missing(range) };
        // Operators that the reference evaluates as builtin calls are placed at the operator,
        // where its "while calling the 'sub' builtin" frames point.
        let at = op.operator_token().map_or(range, |t| t.text_range());
        let op = match kind {
            BinOpKind::Implies => BinOp::Impl,
            BinOpKind::Or => BinOp::Or,
            BinOpKind::And => BinOp::And,
            BinOpKind::Equal => BinOp::Eq,
            BinOpKind::NotEqual => BinOp::NotEq,
            BinOpKind::Update => BinOp::Update,
            BinOpKind::Add => BinOp::Add,
            BinOpKind::Mul => return self.alloc(Expr::BinOp { op: BinOp::Mul, lhs, rhs }, at),
            BinOpKind::Div => return self.alloc(Expr::BinOp { op: BinOp::Div, lhs, rhs }, at),
            BinOpKind::Concat => return self.alloc(Expr::BinOp { op: BinOp::Concat, lhs, rhs }, at),
            BinOpKind::Sub => return self.builtin_call("__sub", vec![lhs, rhs], at),
            BinOpKind::Less => return self.builtin_call("__lessThan", vec![lhs, rhs], at),
            BinOpKind::Greater => return self.builtin_call("__lessThan", vec![rhs, lhs], at),
            BinOpKind::LessOrEq => {
                let less = self.builtin_call("__lessThan", vec![rhs, lhs], at);
                return self.alloc(Expr::Not(less), range);
            }
            BinOpKind::GreaterOrEq => {
                let less = self.builtin_call("__lessThan", vec![lhs, rhs], at);
                return self.alloc(Expr::Not(less), range);
            }
            BinOpKind::PipeInto => return self.call(rhs, vec![lhs], range),
            BinOpKind::PipeFrom => return self.call(lhs, vec![rhs], range),
        };
        self.alloc(Expr::BinOp { op, lhs, rhs }, range)
    }

    fn attr_keys(&mut self, path: Option<ast::Attrpath>, range: TextRange) -> Vec<AttrKey> {
        let mut keys: Vec<AttrKey> = match path {
            Some(path) => path.attrs().map(|attr| self.attr_key(&attr)).collect(),
            None => Vec::new(),
        };
        if keys.is_empty() {
            keys.push(AttrKey::Dynamic(self.missing(range)));
        }
        keys
    }

    fn attr_key(&mut self, attr: &ast::Attr) -> AttrKey {
        match attr.static_name() {
            Some(name) => AttrKey::Static(name.into()),
            None => AttrKey::Dynamic(self.attr_name_expr(attr)),
        }
    }

    /// The expression computing a dynamic attribute name.
    fn attr_name_expr(&mut self, attr: &ast::Attr) -> ExprId {
        let range = attr.syntax().text_range();
        match attr {
            ast::Attr::Dynamic(d) => self.expr_or_missing(d.expr(), range),
            ast::Attr::Str(s) => self.string(s),
            ast::Attr::Name(_) => self.missing(range),
        }
    }

    fn lambda(&mut self, lambda: &ast::Lambda, range: TextRange) -> ExprId {
        let mut names = HashMap::new();
        let param = match lambda.param() {
            Some(ast::Param::IdentParam(p)) => {
                let name = p.name().and_then(|n| n.text()).unwrap_or_default();
                let span = p.syntax().text_range();
                let id = self.alloc_binding(&name, span, BindingKind::Param);
                names.insert(name.into_boxed_str(), id);
                Param::Ident(id)
            }
            Some(ast::Param::Pattern(p)) => {
                let mut fields = Vec::new();
                for entry in p.entries() {
                    let Some(name) = entry.name() else { continue };
                    let text = name.text().unwrap_or_default();
                    let id = self.alloc_binding(&text, name.syntax().text_range(), BindingKind::PatField);
                    names.entry(text.into_boxed_str()).or_insert(id);
                    fields.push((id, entry.default()));
                }
                let alias = p.bind().and_then(|b| b.name()).map(|name| {
                    let text = name.text().unwrap_or_default();
                    let id = self.alloc_binding(&text, name.syntax().text_range(), BindingKind::PatAlias);
                    names.entry(text.into_boxed_str()).or_insert(id);
                    id
                });
                let ellipsis = p.has_ellipsis();
                // Defaults see every field and the alias.
                self.scopes.push(Frame::Names(names));
                let fields = fields
                    .into_iter()
                    .map(|(id, default)| PatField { id, default: default.map(|d| self.expr(d)) })
                    .collect();
                let body = self.expr_or_missing(lambda.body(), range);
                self.scopes.pop();
                let pattern = Pattern { fields, ellipsis, alias };
                let lambda = Lambda { name: None, param: Param::Pattern(pattern), body };
                return self.alloc(Expr::Lambda(Box::new(lambda)), range);
            }
            None => Param::Ident(self.alloc_binding("", range, BindingKind::Param)),
        };
        self.scopes.push(Frame::Names(names));
        let body = self.expr_or_missing(lambda.body(), range);
        self.scopes.pop();
        self.alloc(Expr::Lambda(Box::new(Lambda { name: None, param, body })), range)
    }

    // ------------------------------------------------------------ sets and `let`

    /// Collects the bindings of a set or `let` node, merging attribute paths.
    fn collect(&mut self, bindings: impl Iterator<Item = ast::Binding>, rec: bool, range: TextRange) -> PendingSet {
        with_stack(|| {
            let mut set = PendingSet::new(rec, range);
            for binding in bindings {
                match binding {
                    ast::Binding::AttrpathValue(b) => self.collect_path_value(&mut set, &b),
                    ast::Binding::Inherit(inherit) => {
                        let source = inherit.from().map(|from| {
                            set.sources.push((from.expr(), from.syntax().text_range()));
                            set.sources.len() - 1
                        });
                        for attr in inherit.attrs() {
                            let Some(name) = attr.static_name() else { continue };
                            if set.index.contains_key(&name) {
                                continue;
                            }
                            let r = attr.syntax().text_range();
                            let value = match source {
                                Some(i) => PendingValue::InheritFrom(i, r),
                                None => PendingValue::Inherit(r),
                            };
                            set.push(name, r, value);
                        }
                    }
                }
            }
            set
        })
    }

    /// Adds `a.b.c = value;` to `set` as the reference's `addAttr` does.
    fn collect_path_value(&mut self, set: &mut PendingSet, binding: &ast::AttrpathValue) {
        let range = binding.syntax().text_range();
        let attrs: Vec<ast::Attr> = binding.attrpath().map(|p| p.attrs().collect()).unwrap_or_default();
        let Some((last, init)) = attrs.split_last() else { return };
        // As in the reference, an attribute that a path defines inside a nested set (`b` and
        // `c` of `a.b.c = v;`) is positioned where the whole path starts.
        let path_range = binding.attrpath().map_or(range, |p| p.syntax().text_range());
        let mut cur = set;
        for (i, attr) in init.iter().enumerate() {
            let span = if i == 0 { attr.syntax().text_range() } else { path_range };
            cur = match attr.static_name() {
                Some(name) => {
                    let index = match cur.index.get(&name) {
                        Some(&i) => i,
                        None => {
                            cur.push(name, span, PendingValue::Set(PendingSet::new(false, range)));
                            cur.entries.len() - 1
                        }
                    };
                    match &mut cur.entries[index].value {
                        PendingValue::Set(nested) => nested,
                        // A path through a non-set: a duplicate attribute, reported by
                        // validation.
                        _ => return,
                    }
                }
                None => {
                    let value = PendingValue::Set(PendingSet::new(false, range));
                    cur.dynamics.push(PendingDynamic { name: attr.clone(), value });
                    let last = cur.dynamics.len() - 1;
                    match &mut cur.dynamics[last].value {
                        PendingValue::Set(nested) => nested,
                        _ => return,
                    }
                }
            };
        }
        let value = binding.value();
        let value_range = value.as_ref().map_or(range, |v| v.syntax().text_range());
        let literal = match strip_parens(value.clone()) {
            Some(ast::Expr::AttrSet(s)) => Some(s),
            _ => None,
        };
        match last.static_name() {
            Some(name) => {
                if let Some(&i) = cur.index.get(&name) {
                    if let (PendingValue::Set(existing), Some(literal)) = (&mut cur.entries[i].value, literal) {
                        let other = self.collect(literal.bindings(), literal.is_rec(), literal.syntax().text_range());
                        existing.merge(other);
                    }
                    // Otherwise a duplicate attribute, reported by validation.
                    return;
                }
                let span = if init.is_empty() { last.syntax().text_range() } else { path_range };
                let value = match literal {
                    Some(literal) => {
                        PendingValue::Set(self.collect(literal.bindings(), literal.is_rec(), literal.syntax().text_range()))
                    }
                    None => PendingValue::Expr { expr: value, range: value_range, name: Some(name.clone()) },
                };
                cur.push(name, span, value);
            }
            None => {
                let value = PendingValue::Expr { expr: value, range: value_range, name: None };
                cur.dynamics.push(PendingDynamic { name: last.clone(), value });
            }
        }
    }

    /// Lowers one pending value in the current scope; `outside` is the number of frames that
    /// are visible to a plain `inherit`.
    fn pending_value(&mut self, name: &str, value: PendingValue, outside: usize, sources: &[BindingId]) -> (ExprId, Origin) {
        match value {
            PendingValue::Expr { expr, range, name: lambda_name } => {
                let id = self.expr_or_missing(expr, range);
                if let (Expr::Lambda(lambda), Some(n)) = (&mut self.body.exprs[id.0 as usize], lambda_name) {
                    lambda.name = Some(n.into());
                }
                (id, Origin::Plain)
            }
            PendingValue::Set(set) => (self.attrs(set), Origin::Plain),
            PendingValue::Inherit(range) => {
                let inner = self.scopes.split_off(outside);
                let id = self.var(name, range);
                self.scopes.extend(inner);
                (id, Origin::Inherit)
            }
            PendingValue::InheritFrom(i, range) => match sources.get(i) {
                Some(&source) => (self.inherit_select(source, name, range), Origin::InheritFrom(source)),
                None => (self.missing(range), Origin::Plain),
            },
        }
    }

    /// The hidden bindings of a set's `inherit (e)` sources, lowered in the current scope.
    fn sources(&mut self, sources: Vec<(Option<ast::Expr>, TextRange)>) -> Vec<Binding> {
        sources
            .into_iter()
            .map(|(expr, range)| {
                let id = self.alloc_binding("", range, BindingKind::InheritSource);
                let value = self.expr_or_missing(expr, range);
                Binding { id, value, origin: Origin::Plain }
            })
            .collect()
    }

    /// Lowers a pending attribute set.
    fn attrs(&mut self, set: PendingSet) -> ExprId {
        with_stack(|| self.scope_of(set, SetKind::Attrs).0)
    }

    /// Lowers a pending `let` whose body `body` builds, given the names the `let` binds.
    fn let_(
        &mut self,
        set: PendingSet,
        range: TextRange,
        body: impl FnOnce(&mut Self, &HashMap<Box<str>, BindingId>) -> ExprId,
    ) -> ExprId {
        let (_, bindings, names) = self.scope_of(set, SetKind::Let);
        self.scopes.push(Frame::Names(names.clone()));
        let body = body(self, &names);
        self.scopes.pop();
        self.alloc(Expr::Let { bindings, body }, range)
    }

    /// Lowers the bindings of `set`. For `Attrs` returns the set's expression; for `Let` the
    /// bindings and names (the expression is a placeholder the caller ignores).
    fn scope_of(&mut self, set: PendingSet, kind: SetKind) -> (ExprId, Vec<Binding>, HashMap<Box<str>, BindingId>) {
        let own_scope = kind == SetKind::Let || set.rec;
        let binding_kind = if kind == SetKind::Let { BindingKind::Let } else { BindingKind::RecAttr };
        let outside = self.scopes.len();
        let mut names = HashMap::new();
        let mut ids = Vec::new();
        if own_scope {
            for entry in &set.entries {
                let id = self.alloc_binding(&entry.name, entry.span, binding_kind);
                names.insert(entry.name.as_str().into(), id);
                ids.push(id);
            }
            self.scopes.push(Frame::Names(names.clone()));
        }
        let mut scope = self.sources(set.sources);
        let source_ids: Vec<BindingId> = scope.iter().map(|b| b.id).collect();
        let mut entries = Vec::new();
        for (i, entry) in set.entries.into_iter().enumerate() {
            let (value, origin) = self.pending_value(&entry.name, entry.value, outside, &source_ids);
            match ids.get(i) {
                Some(&id) => {
                    scope.push(Binding { id, value, origin });
                    if kind == SetKind::Attrs {
                        let var = Var { name: entry.name.as_str().into(), resolution: Resolution::Local(id) };
                        let value = self.alloc(Expr::Var(var), entry.span);
                        entries.push(AttrEntry { name: entry.name.into(), span: entry.span, value, origin });
                    }
                }
                None => entries.push(AttrEntry { name: entry.name.into(), span: entry.span, value, origin }),
            }
        }
        let mut dynamics = Vec::new();
        // `let` cannot have dynamic names (validation reports them).
        if kind == SetKind::Attrs {
            for dynamic in set.dynamics {
                let name = self.attr_name_expr(&dynamic.name);
                let (value, _) = self.pending_value("", dynamic.value, outside, &source_ids);
                dynamics.push(DynamicAttr { name, value });
            }
        }
        if own_scope {
            self.scopes.pop();
        }
        match kind {
            SetKind::Attrs => {
                let attrs = Attrs { recursive: set.rec, scope, entries, dynamics };
                (self.alloc(Expr::Attrs(attrs), set.range), Vec::new(), HashMap::new())
            }
            SetKind::Let => (ExprId(0), scope, names),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_paths() {
        assert_eq!(canonicalise("/a/./b//c/../d/"), "/a/b/d");
        assert_eq!(canonicalise("/.."), "/");
        assert_eq!(canonicalise("/"), "/");
    }
}
