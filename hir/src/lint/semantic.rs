//! Lints that need name resolution, read from the HIR: unused bindings, shadowing, `with`
//! that nothing uses or that a binding hides, "did you mean" for undefined variables, null
//! checks on defaulted fields, eta-reducible lambdas, redundant `rec`, `builtins.x` where `x`
//! is global, deprecated builtins. The walk also records the facts the syntactic lints need
//! ([`Index`]).

use rustc_hash::FxHashMap as HashMap;

use lix_editions::Edition;
use lix_syntax::ast::{self, AstNode};
use lix_syntax::{SyntaxKind, SyntaxNode, TextRange};

use super::{Fix, Lint, LintDiagnostic, LintOptions, Safety, TextEdit};
use crate::globals::is_global;
use crate::hir::{AttrKey, BinOp, BindingId, BindingKind, Body, Expr, ExprId, Origin, Param, Resolution};
use crate::lower::with_stack;

/// Semantic facts about a file's syntax, keyed by source range.
#[derive(Default)]
pub(super) struct Index {
    /// How each variable reference (by its range) resolves.
    pub vars: HashMap<TextRange, Resolution>,
    /// The binding each binding name (by its range) defines.
    pub bindings: HashMap<TextRange, BindingId>,
}

/// What the semantic walk found.
pub(super) struct Facts {
    pub lints: Vec<LintDiagnostic>,
    pub suggestions: Vec<(TextRange, String)>,
    pub index: Index,
}

/// One scope level of the walk: names and their bindings, or a `with`.
enum Frame {
    Names(Vec<(Box<str>, BindingId)>),
    With(ExprId),
}

struct Walker<'a> {
    root: &'a SyntaxNode,
    body: &'a Body,
    edition: Edition,
    options: LintOptions,
    frames: Vec<Frame>,
    /// Ranges of the references to each binding (synthetic references excluded).
    refs: Vec<Vec<TextRange>>,
    /// Range of the value of each `let` binding.
    let_values: HashMap<BindingId, TextRange>,
    /// Whether a lookup may reach each `with` (by expression).
    with_used: HashMap<ExprId, bool>,
    /// Pattern fields with a default: the default's expression.
    defaults: HashMap<BindingId, ExprId>,
    /// Patterns: (fields, ellipsis, alias).
    patterns: Vec<(Vec<BindingId>, bool, Option<BindingId>)>,
    lints: Vec<LintDiagnostic>,
    suggestions: Vec<(TextRange, String)>,
    index: Index,
}

/// Walks the HIR of a file once.
pub(super) fn analyze(root: &SyntaxNode, body: &Body, edition: Edition, options: LintOptions) -> Facts {
    let mut w = Walker {
        root,
        body,
        edition,
        options,
        frames: Vec::new(),
        refs: vec![Vec::new(); body.bindings.len()],
        let_values: HashMap::default(),
        with_used: HashMap::default(),
        defaults: HashMap::default(),
        patterns: Vec::new(),
        lints: Vec::new(),
        suggestions: Vec::new(),
        index: Index::default(),
    };
    if !body.exprs.is_empty() {
        w.expr(body.root);
    }
    w.unused();
    let with_lints: Vec<LintDiagnostic> =
        w.with_used.iter().filter(|(_, used)| !**used).filter_map(|(id, _)| w.useless_with(*id)).collect();
    w.lints.extend(with_lints);
    Facts { lints: w.lints, suggestions: w.suggestions, index: w.index }
}

/// The node of `kind` whose range is exactly `range`.
pub(super) fn node_at(root: &SyntaxNode, range: TextRange, kind: SyntaxKind) -> Option<SyntaxNode> {
    if !root.text_range().contains_range(range) {
        return None;
    }
    let start = match root.covering_element(range) {
        rowan::NodeOrToken::Node(n) => n,
        rowan::NodeOrToken::Token(t) => t.parent()?,
    };
    start.ancestors().take_while(|n| n.text_range().contains_range(range)).find(|n| n.kind() == kind && n.text_range() == range)
}

/// The range of `node` together with the whitespace token just before it, for removals that
/// leave the surrounding layout as it was.
pub(super) fn with_leading_space(node: &SyntaxNode) -> TextRange {
    let range = node.text_range();
    match node.first_token().and_then(|t| t.prev_token()) {
        Some(t) if t.kind() == SyntaxKind::WHITESPACE => TextRange::new(t.text_range().start(), range.end()),
        _ => range,
    }
}

fn levenshtein(a: &str, b: &str) -> usize {
    // Transpositions count as one edit: `mpa` is one typo away from `map`.
    strsim::osa_distance(a, b)
}

impl Walker<'_> {
    fn expr(&mut self, id: ExprId) {
        with_stack(|| self.expr_inner(id));
    }

    fn push_names(&mut self, names: Vec<(Box<str>, BindingId)>, origins: &HashMap<BindingId, Origin>) {
        for (name, id) in &names {
            self.check_shadow(name, *id, origins.get(id).copied());
        }
        self.frames.push(Frame::Names(names));
    }

    fn lookup(&self, name: &str) -> Option<BindingId> {
        self.frames.iter().rev().find_map(|f| match f {
            Frame::Names(names) => names.iter().find(|(n, _)| &**n == name).map(|(_, id)| *id),
            Frame::With(_) => None,
        })
    }

    fn check_shadow(&mut self, name: &str, id: BindingId, origin: Option<Origin>) {
        if name.is_empty() || name.starts_with('_') || origin == Some(Origin::Inherit) {
            return;
        }
        let Some(outer) = self.lookup(name) else { return };
        let (inner_info, outer_info) = (self.body.binding(id), self.body.binding(outer));
        self.lints.push(LintDiagnostic {
            lint: Lint::Shadowed,
            message: format!("'{name}' hides an outer binding of the same name"),
            range: inner_info.span,
            notes: vec![(outer_info.span, format!("the outer '{name}' is bound here"))],
            fix: None,
        });
    }

    fn var(&mut self, id: ExprId, name: &str, resolution: Resolution) {
        let span = self.body.span(id);
        self.index.vars.insert(span, resolution);
        match resolution {
            Resolution::Local(b) => {
                // The variables a `rec` set makes for its own attributes stand where the
                // attribute's name is; they are not uses.
                if self.body.binding(b).span != span {
                    self.refs[b.0 as usize].push(span);
                }
            }
            Resolution::With => {
                for frame in &self.frames {
                    if let Frame::With(w) = frame {
                        self.with_used.insert(*w, true);
                    }
                }
            }
            Resolution::Undefined => self.suggest(name, span),
            Resolution::Global => {
                if name == "isNull" || name == "__isNull" || name == "__toPath" {
                    self.deprecated(name.trim_start_matches("__"), span);
                }
            }
        }
    }

    fn suggest(&mut self, name: &str, span: TextRange) {
        let mut best: Option<(usize, String)> = None;
        let mut consider = |candidate: &str| {
            if candidate.is_empty() || candidate == name {
                return;
            }
            let d = levenshtein(name, candidate);
            if d <= (name.chars().count() / 3).max(1) && best.as_ref().is_none_or(|(bd, _)| d < *bd) {
                best = Some((d, candidate.to_string()));
            }
        };
        for frame in self.frames.iter().rev() {
            if let Frame::Names(names) = frame {
                for (n, _) in names {
                    consider(n);
                }
            }
        }
        for global in crate::globals::names(self.edition) {
            if !global.starts_with("__") {
                consider(global);
            }
        }
        if let Some((_, candidate)) = best {
            self.suggestions.push((span, candidate));
        }
    }

    fn deprecated(&mut self, name: &str, span: TextRange) {
        let fix = if name == "isNull" { self.is_null_fix(span) } else { None };
        let message = if name == "isNull" {
            "'isNull' is deprecated; compare with 'null' instead".to_string()
        } else {
            "'toPath' is deprecated: it returns a string; write '/. + s' for a path".to_string()
        };
        self.lints.push(LintDiagnostic { lint: Lint::DeprecatedBuiltin, message, range: span, notes: Vec::new(), fix });
    }

    /// `isNull e` (the call around the function at `span`) as `e == null`.
    fn is_null_fix(&self, span: TextRange) -> Option<Fix> {
        let fun = node_at(self.root, span, SyntaxKind::VARIABLE).or_else(|| node_at(self.root, span, SyntaxKind::SELECT))?;
        let apply = ast::Apply::cast(fun.parent()?)?;
        if apply.function()?.syntax() != &fun {
            return None;
        }
        let arg = apply.argument()?;
        let parent = apply.syntax().parent()?;
        // `isNull a b` applies the boolean: leave that alone.
        if parent.kind() == SyntaxKind::APPLY {
            return None;
        }
        let arg_text = arg.syntax().to_string();
        let insert = if parent.kind() == SyntaxKind::PAREN || parent.kind() == SyntaxKind::ATTRPATH_VALUE {
            format!("{arg_text} == null")
        } else {
            format!("({arg_text} == null)")
        };
        Some(Fix {
            message: format!("replace with '{insert}'"),
            edits: vec![TextEdit { range: apply.syntax().text_range(), insert }],
            safety: Safety::Safe,
        })
    }

    fn expr_inner(&mut self, id: ExprId) {
        let body = self.body;
        match body.expr(id) {
            Expr::Missing | Expr::Int(_) | Expr::Float(_) | Expr::Str(_) | Expr::Path(_) | Expr::CurPos => {}
            Expr::Var(v) => self.var(id, &v.name, v.resolution),
            Expr::Interpolate { parts, .. } => parts.iter().for_each(|p| self.expr(*p)),
            Expr::List(items) => items.iter().for_each(|p| self.expr(*p)),
            Expr::Attrs(attrs) => {
                let origins: HashMap<BindingId, Origin> = attrs.scope.iter().map(|b| (b.id, b.origin)).collect();
                let names: Vec<(Box<str>, BindingId)> = attrs
                    .scope
                    .iter()
                    .filter(|b| body.binding(b.id).kind == BindingKind::RecAttr)
                    .map(|b| (body.binding(b.id).name.clone(), b.id))
                    .collect();
                for b in &attrs.scope {
                    self.index.bindings.insert(body.binding(b.id).span, b.id);
                }
                let own = attrs.recursive && !names.is_empty();
                if own {
                    self.push_names(names.clone(), &origins);
                }
                for b in &attrs.scope {
                    self.expr(b.value);
                }
                for e in &attrs.entries {
                    self.expr(e.value);
                }
                for d in &attrs.dynamics {
                    self.expr(d.name);
                    self.expr(d.value);
                }
                if own {
                    self.frames.pop();
                }
                // `__overrides` in a `rec` set overrides its attributes: `rec` matters there.
                let overrides = attrs.entries.iter().any(|e| &*e.name == "__overrides");
                if attrs.recursive && !overrides && names.iter().all(|(_, b)| self.refs[b.0 as usize].is_empty()) {
                    self.redundant_rec(body.span(id));
                }
            }
            Expr::Let { bindings, body: let_body } => {
                let origins: HashMap<BindingId, Origin> = bindings.iter().map(|b| (b.id, b.origin)).collect();
                let names: Vec<(Box<str>, BindingId)> = bindings
                    .iter()
                    .filter(|b| body.binding(b.id).kind == BindingKind::Let)
                    .map(|b| (body.binding(b.id).name.clone(), b.id))
                    .collect();
                for b in bindings {
                    self.index.bindings.insert(body.binding(b.id).span, b.id);
                    self.let_values.insert(b.id, body.span(b.value));
                }
                self.push_names(names, &origins);
                for b in bindings {
                    self.expr(b.value);
                }
                self.expr(*let_body);
                self.frames.pop();
            }
            Expr::Lambda(lambda) => {
                let mut names = Vec::new();
                match &lambda.param {
                    Param::Ident(b) => names.push((body.binding(*b).name.clone(), *b)),
                    Param::Pattern(p) => {
                        for f in &p.fields {
                            names.push((body.binding(f.id).name.clone(), f.id));
                            if let Some(d) = f.default {
                                self.defaults.insert(f.id, d);
                            }
                        }
                        names.extend(p.alias.map(|a| (body.binding(a).name.clone(), a)));
                        self.patterns.push((p.fields.iter().map(|f| f.id).collect(), p.ellipsis, p.alias));
                    }
                }
                for (_, b) in &names {
                    self.index.bindings.insert(body.binding(*b).span, *b);
                }
                self.push_names(names, &HashMap::default());
                if let Param::Pattern(p) = &lambda.param {
                    for f in &p.fields {
                        if let Some(d) = f.default {
                            self.expr(d);
                        }
                    }
                }
                self.expr(lambda.body);
                self.frames.pop();
                if let Param::Ident(p) = lambda.param {
                    self.eta(id, p, lambda.body);
                }
            }
            Expr::Apply { fun, args } => {
                self.expr(*fun);
                args.iter().for_each(|a| self.expr(*a));
            }
            Expr::Select { expr, path, default } => {
                self.builtins_select(id, *expr, path);
                self.expr(*expr);
                self.keys(path);
                if let Some(d) = default {
                    self.expr(*d);
                }
            }
            Expr::HasAttr { expr, path } => {
                self.expr(*expr);
                self.keys(path);
            }
            Expr::BinOp { op, lhs, rhs } => {
                if matches!(op, BinOp::Eq | BinOp::NotEq) {
                    self.null_check(*lhs, *rhs);
                }
                self.expr(*lhs);
                self.expr(*rhs);
            }
            Expr::Not(e) => self.expr(*e),
            Expr::If { cond, then_, else_ } => {
                self.expr(*cond);
                self.expr(*then_);
                self.expr(*else_);
            }
            Expr::Assert { cond, body: b } => {
                self.expr(*cond);
                self.expr(*b);
            }
            Expr::With { namespace, body: b } => {
                self.expr(*namespace);
                self.with_used.entry(id).or_insert(false);
                self.frames.push(Frame::With(id));
                self.expr(*b);
                self.frames.pop();
                self.with_hidden(*namespace, *b);
            }
        }
    }

    fn keys(&mut self, path: &[AttrKey]) {
        for key in path {
            if let AttrKey::Dynamic(e) = key {
                self.expr(*e);
            }
        }
    }

    /// `builtins.x` for a global `x` (L018), and `builtins.isNull`/`toPath` (L020).
    fn builtins_select(&mut self, id: ExprId, expr: ExprId, path: &[AttrKey]) {
        let Expr::Var(v) = self.body.expr(expr) else { return };
        if &*v.name != "builtins" || v.resolution != Resolution::Global {
            return;
        }
        let [AttrKey::Static(name)] = path else { return };
        let span = self.body.span(id);
        // The selection must be the whole `builtins.x` node, not a desugared inherit.
        if node_at(self.root, span, SyntaxKind::SELECT).is_none() {
            return;
        }
        if &**name == "isNull" || &**name == "toPath" {
            self.deprecated(name, span);
            return;
        }
        if name.starts_with("__") || !is_global(name, self.edition) || self.lookup(name).is_some() {
            return;
        }
        if let Some(select) = node_at(self.root, span, SyntaxKind::SELECT).and_then(ast::Select::cast) {
            if select.default_expr().is_some() {
                return;
            }
        }
        self.lints.push(LintDiagnostic {
            lint: Lint::BuiltinsPrefix,
            message: format!("'builtins.{name}' is the global '{name}'"),
            range: span,
            notes: Vec::new(),
            fix: Some(Fix {
                message: format!("replace with '{name}'"),
                edits: vec![TextEdit { range: span, insert: name.to_string() }],
                safety: Safety::Safe,
            }),
        });
    }

    /// `x == null` where `x` is a pattern field whose default is not `null` (L013).
    fn null_check(&mut self, lhs: ExprId, rhs: ExprId) {
        let is_null = |e: ExprId| matches!(self.body.expr(e), Expr::Var(v) if &*v.name == "null" && v.resolution == Resolution::Global);
        let (field, other) = if is_null(rhs) { (lhs, rhs) } else { (rhs, lhs) };
        if !is_null(other) {
            return;
        }
        let Expr::Var(v) = self.body.expr(field) else { return };
        let Resolution::Local(b) = v.resolution else { return };
        let Some(&default) = self.defaults.get(&b) else { return };
        if is_null(default) {
            return;
        }
        let span = self.body.span(field);
        self.lints.push(LintDiagnostic {
            lint: Lint::NullCheckWithDefault,
            message: format!("'{}' has a default that is not null, so it is null only when a caller passes null", v.name),
            range: span,
            notes: vec![(self.body.span(default), "the default".to_string())],
            fix: None,
        });
    }

    /// `x: f x` (L014).
    fn eta(&mut self, lambda: ExprId, param: BindingId, body: ExprId) {
        let Expr::Apply { fun, args } = self.body.expr(body) else { return };
        let Some((last, init)) = args.split_last() else { return };
        if !matches!(self.body.expr(*last), Expr::Var(v) if v.resolution == Resolution::Local(param)) {
            return;
        }
        if self.refs[param.0 as usize].len() != 1 {
            return;
        }
        let span = self.body.span(lambda);
        let Some(node) = node_at(self.root, span, SyntaxKind::LAMBDA).and_then(ast::Lambda::cast) else { return };
        let _ = (fun, init);
        // The syntax of the call without its last argument: the `APPLY` node's function.
        let mut call = node.body();
        while let Some(ast::Expr::Paren(p)) = call {
            call = p.expr();
        }
        let Some(ast::Expr::Apply(apply)) = call else { return };
        let Some(function) = apply.function() else { return };
        let text = function.syntax().to_string();
        let name = &self.body.binding(param).name;
        self.lints.push(LintDiagnostic {
            lint: Lint::EtaReduction,
            message: format!("'{name}: {text} {name}' is '{text}'"),
            range: span,
            notes: Vec::new(),
            fix: Some(Fix { message: format!("replace with '{text}'"), edits: vec![TextEdit { range: span, insert: text }], safety: Safety::Unsafe }),
        });
    }

    fn redundant_rec(&mut self, span: TextRange) {
        let Some(node) = node_at(self.root, span, SyntaxKind::ATTR_SET) else { return };
        let Some(rec) = node.children_with_tokens().filter_map(|e| e.into_token()).find(|t| t.kind() == SyntaxKind::REC_KW) else {
            return;
        };
        let mut end = rec.text_range().end();
        if let Some(next) = rec.next_token().filter(|t| t.kind() == SyntaxKind::WHITESPACE) {
            end = next.text_range().end();
        }
        self.lints.push(LintDiagnostic {
            lint: Lint::RedundantRec,
            message: "this set is 'rec' but none of its attributes is referred to".to_string(),
            range: rec.text_range(),
            notes: Vec::new(),
            fix: Some(Fix {
                message: "remove 'rec'".to_string(),
                edits: vec![TextEdit { range: TextRange::new(rec.text_range().start(), end), insert: String::new() }],
                safety: Safety::Safe,
            }),
        });
    }

    /// L007: a literal `with` set's attribute that a binding hides.
    fn with_hidden(&mut self, namespace: ExprId, body: ExprId) {
        let mut ns = namespace;
        while let Expr::Let { body: b, .. } = self.body.expr(ns) {
            ns = *b;
        }
        let Expr::Attrs(attrs) = self.body.expr(ns) else { return };
        if attrs.entries.is_empty() {
            return;
        }
        let mut stack = vec![body];
        let mut found = Vec::new();
        while let Some(e) = stack.pop() {
            match self.body.expr(e) {
                Expr::Var(v) if matches!(v.resolution, Resolution::Local(_) | Resolution::Global) => {
                    if let Some(entry) = attrs.entries.iter().find(|en| en.name == v.name) {
                        if node_at(self.root, self.body.span(e), SyntaxKind::VARIABLE).is_some() {
                            found.push((self.body.span(e), entry.span, v.name.clone()));
                        }
                    }
                }
                other => stack.extend(children(other)),
            }
        }
        found.sort_by_key(|(span, _, _)| (span.start(), span.end()));
        for (span, attr, name) in found {
            self.lints.push(LintDiagnostic {
                lint: Lint::WithHidden,
                message: format!("'{name}' comes from a binding, not from the 'with' set that has it"),
                range: span,
                notes: vec![(attr, format!("the 'with' attribute '{name}' is hidden"))],
                fix: None,
            });
        }
    }

    fn useless_with(&self, id: ExprId) -> Option<LintDiagnostic> {
        let span = self.body.span(id);
        let node = node_at(self.root, span, SyntaxKind::WITH).and_then(ast::With::cast)?;
        let body = node.body()?;
        let head = TextRange::new(span.start(), body.syntax().text_range().start());
        let keyword = node.syntax().first_token().map_or(span, |t| t.text_range());
        // Comments between `with` and the body would go with the removal: keep them by not
        // offering the fix.
        let has_comment = node
            .syntax()
            .children_with_tokens()
            .filter_map(|e| e.into_token())
            .any(|t| t.kind() == SyntaxKind::COMMENT && t.text_range().end() <= head.end());
        let fix = (!has_comment).then(|| Fix {
            message: "remove the 'with'".to_string(),
            edits: vec![TextEdit { range: head, insert: String::new() }],
            safety: Safety::Safe,
        });
        Some(LintDiagnostic {
            lint: Lint::UselessWith,
            message: "no variable in the body of this 'with' comes from it".to_string(),
            range: TextRange::new(span.start(), node.namespace().map_or(keyword.end(), |n| n.syntax().text_range().end())),
            notes: Vec::new(),
            fix,
        })
    }

    /// L001–L004: bindings nothing refers to.
    fn unused(&mut self) {
        let body = self.body;
        let mut alias_used: HashMap<BindingId, bool> = HashMap::default();
        for (_, _, alias) in &self.patterns {
            if let Some(a) = alias {
                alias_used.insert(*a, !self.refs[a.0 as usize].is_empty());
            }
        }
        let mut exempt_fields = rustc_hash::FxHashSet::default();
        for (fields, ellipsis, alias) in &self.patterns {
            if *ellipsis && alias.is_some_and(|a| alias_used.get(&a) == Some(&true)) {
                exempt_fields.extend(fields.iter().copied());
            }
        }
        for (i, info) in body.bindings.iter().enumerate() {
            let id = BindingId(i as u32);
            if info.name.is_empty() || info.name.starts_with('_') {
                continue;
            }
            let refs = &self.refs[i];
            let lint = match info.kind {
                BindingKind::Let => {
                    let own = self.let_values.get(&id).copied();
                    if refs.iter().any(|r| own.is_none_or(|v| !v.contains_range(*r))) {
                        continue;
                    }
                    Lint::UnusedLet
                }
                BindingKind::Param if self.options.lambda_args && refs.is_empty() => Lint::UnusedLambdaArg,
                BindingKind::PatField if self.options.lambda_args && refs.is_empty() && !exempt_fields.contains(&id) => {
                    Lint::UnusedPatternField
                }
                BindingKind::PatAlias if self.options.lambda_args && refs.is_empty() => Lint::UnusedPatternAlias,
                _ => continue,
            };
            let (message, fix) = match lint {
                Lint::UnusedLet => (format!("'{}' is bound but never used", info.name), self.remove_let_binding(info.span, &info.name)),
                Lint::UnusedLambdaArg => (format!("parameter '{}' is never used", info.name), None),
                Lint::UnusedPatternField => (format!("pattern field '{}' is never used", info.name), self.remove_field(info.span)),
                _ => (format!("'@ {}' is never used", info.name), self.remove_alias(info.span)),
            };
            let range = match info.kind {
                // The whole `x` of `x: ...` is the parameter node; point at the name.
                BindingKind::Param => node_at(self.root, info.span, SyntaxKind::IDENT_PARAM)
                    .and_then(|n| n.first_token())
                    .map_or(info.span, |t| t.text_range()),
                _ => info.span,
            };
            self.lints.push(LintDiagnostic { lint, message, range, notes: Vec::new(), fix });
        }
    }

    /// Removes every binding of the `let` around `span` that defines `name`.
    fn remove_let_binding(&self, span: TextRange, name: &str) -> Option<Fix> {
        let start = match self.root.covering_element(span) {
            rowan::NodeOrToken::Node(n) => n,
            rowan::NodeOrToken::Token(t) => t.parent()?,
        };
        let scope = start.ancestors().find(|n| matches!(n.kind(), SyntaxKind::LET_IN | SyntaxKind::LEGACY_LET))?;
        let mut removed: Vec<SyntaxNode> = Vec::new();
        for binding in ast::Binding::of(&scope) {
            match binding {
                ast::Binding::AttrpathValue(b) => {
                    let first = b.attrpath().and_then(|p| p.attrs().next()).and_then(|a| a.static_name());
                    if first.as_deref() == Some(name) {
                        removed.push(b.syntax().clone());
                    }
                }
                ast::Binding::Inherit(i) => {
                    let attrs: Vec<ast::Attr> = i.attrs().collect();
                    let matching: Vec<&ast::Attr> = attrs.iter().filter(|a| a.static_name().as_deref() == Some(name)).collect();
                    if matching.is_empty() {
                        continue;
                    }
                    if matching.len() == attrs.len() {
                        removed.push(i.syntax().clone());
                    } else {
                        removed.extend(matching.into_iter().map(|a| a.syntax().clone()));
                    }
                }
            }
        }
        // A comment in what is removed would be lost with it.
        if removed.is_empty() || removed.iter().any(|n| n.descendants_with_tokens().any(|e| e.kind() == SyntaxKind::COMMENT)) {
            return None;
        }
        let edits = removed.iter().map(|n| TextEdit { range: with_leading_space(n), insert: String::new() }).collect();
        Some(Fix { message: format!("remove '{name}'"), edits, safety: Safety::Safe })
    }

    /// Removes the pattern field named at `span` with one comma next to it. Unsafe: the
    /// function's `functionArgs` lose the name, and without `...` it rejects the attribute.
    fn remove_field(&self, span: TextRange) -> Option<Fix> {
        let name = node_at(self.root, span, SyntaxKind::NAME)?;
        let entry = name.parent().filter(|p| p.kind() == SyntaxKind::PAT_ENTRY)?;
        if entry.descendants_with_tokens().any(|e| e.kind() == SyntaxKind::COMMENT) {
            return None;
        }
        let next_non_trivia = |mut t: Option<lix_syntax::SyntaxToken>, forward: bool| {
            while let Some(tok) = t {
                if !tok.kind().is_trivia() {
                    return Some(tok);
                }
                if tok.kind() == SyntaxKind::COMMENT {
                    return None;
                }
                t = if forward { tok.next_token() } else { tok.prev_token() };
            }
            None
        };
        let after = next_non_trivia(entry.last_token().and_then(|t| t.next_token()), true);
        let range = match after {
            Some(comma) if comma.kind() == SyntaxKind::COMMA => {
                let mut end = comma.text_range().end();
                if let Some(ws) = comma.next_token().filter(|t| t.kind() == SyntaxKind::WHITESPACE) {
                    end = ws.text_range().end();
                }
                TextRange::new(entry.text_range().start(), end)
            }
            _ => {
                let before = next_non_trivia(entry.first_token().and_then(|t| t.prev_token()), false)?;
                if before.kind() != SyntaxKind::COMMA {
                    // The only field: `{ a }` becomes `{ }`.
                    match entry.last_token().and_then(|t| t.next_token()).filter(|t| t.kind() == SyntaxKind::WHITESPACE) {
                        Some(ws) => TextRange::new(entry.text_range().start(), ws.text_range().end()),
                        None => entry.text_range(),
                    }
                } else {
                    // `a, b` loses `, b`; leading-comma style `a\n, b` loses `\n, b`.
                    let start = match before.prev_token().filter(|t| t.kind() == SyntaxKind::WHITESPACE) {
                        Some(ws) => ws.text_range().start(),
                        None => before.text_range().start(),
                    };
                    TextRange::new(start, entry.text_range().end())
                }
            }
        };
        Some(Fix {
            message: format!("remove '{}' from the pattern", name),
            edits: vec![TextEdit { range, insert: String::new() }],
            safety: Safety::Unsafe,
        })
    }

    fn remove_alias(&self, span: TextRange) -> Option<Fix> {
        let name = node_at(self.root, span, SyntaxKind::NAME)?;
        let bind = name.parent().filter(|p| p.kind() == SyntaxKind::PAT_BIND)?;
        // `args @ { ... }` loses the space after it, `{ ... } @ args` the space before.
        let range = match bind.last_token().and_then(|t| t.next_token()) {
            Some(t) if t.kind() == SyntaxKind::WHITESPACE && bind.next_sibling().is_some() => {
                TextRange::new(bind.text_range().start(), t.text_range().end())
            }
            _ => with_leading_space(&bind),
        };
        Some(Fix {
            message: "remove the '@' name".to_string(),
            edits: vec![TextEdit { range, insert: String::new() }],
            safety: Safety::Safe,
        })
    }
}

/// The direct subexpressions of `expr`.
pub(super) fn children(expr: &Expr) -> Vec<ExprId> {
    let mut out = Vec::new();
    let keys = |path: &[AttrKey], out: &mut Vec<ExprId>| {
        out.extend(path.iter().filter_map(|k| match k {
            AttrKey::Dynamic(e) => Some(*e),
            AttrKey::Static(_) => None,
        }))
    };
    match expr {
        Expr::Missing | Expr::Int(_) | Expr::Float(_) | Expr::Str(_) | Expr::Path(_) | Expr::Var(_) | Expr::CurPos => {}
        Expr::Interpolate { parts, .. } => out.extend(parts),
        Expr::List(items) => out.extend(items),
        Expr::Attrs(a) => {
            out.extend(a.scope.iter().map(|b| b.value));
            out.extend(a.entries.iter().map(|e| e.value));
            out.extend(a.dynamics.iter().flat_map(|d| [d.name, d.value]));
        }
        Expr::Let { bindings, body } => {
            out.extend(bindings.iter().map(|b| b.value));
            out.push(*body);
        }
        Expr::Lambda(l) => {
            if let Param::Pattern(p) = &l.param {
                out.extend(p.fields.iter().filter_map(|f| f.default));
            }
            out.push(l.body);
        }
        Expr::Apply { fun, args } => {
            out.push(*fun);
            out.extend(args);
        }
        Expr::Select { expr, path, default } => {
            out.push(*expr);
            keys(path, &mut out);
            out.extend(default);
        }
        Expr::HasAttr { expr, path } => {
            out.push(*expr);
            keys(path, &mut out);
        }
        Expr::BinOp { lhs, rhs, .. } => out.extend([*lhs, *rhs]),
        Expr::Not(e) => out.push(*e),
        Expr::If { cond, then_, else_ } => out.extend([*cond, *then_, *else_]),
        Expr::Assert { cond, body } => out.extend([*cond, *body]),
        Expr::With { namespace, body } => out.extend([*namespace, *body]),
    }
    out
}
