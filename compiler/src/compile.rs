//! HIR → bytecode. The compiler owns scopes: each binding gets a slot in the frame of the
//! prototype that binds it, and code in nested prototypes reaches it through upvalues captured
//! when the closure or thunk is created. Recursive scopes (`let`, `rec`, pattern defaults)
//! create their thunks and closures first and capture afterwards, so they can see each other.
//!
//! Values that already are values (literals, lambdas, variables that are initialised) get no
//! thunk.

use lix_hir::hir::{
    AttrKey, BinOp, Binding, BindingId, Body, Expr, ExprId, Lambda, Param, Resolution,
};
use lix_syntax::TextRange;
use rustc_hash::{FxHashMap, FxHashSet};

use crate::bytecode::{
    ArgCheck, AssertEqInfo, CompiledFile, ContextRegion, ImmediateDefault, Op, OverrideInfo, PatternInfo, SpecOp, Proto, ProtoId, ProtoKind, Slot, WithLookup,
};

/// Compiles a lowered file. `assert_text` renders an assertion's condition for its message.
pub fn compile(body: &Body, assert_text: &dyn Fn(ExprId) -> String) -> CompiledFile {
    compile_with(body, assert_text, false)
}

/// Compiles a file for `scopedImport`: its root prototype expects the scope set in local 0, and
/// every name that no `let` or lambda binds is looked up there first, then among the globals,
/// then in the enclosing `with`s.
pub fn compile_scoped(body: &Body, assert_text: &dyn Fn(ExprId) -> String) -> CompiledFile {
    compile_with(body, assert_text, true)
}

fn compile_with(body: &Body, assert_text: &dyn Fn(ExprId) -> String, scoped: bool) -> CompiledFile {
    let root_span = body.spans.get(body.root.0 as usize).copied().unwrap_or_default();
    let mut c = Compiler {
        body,
        assert_text,
        out: CompiledFile::default(),
        fns: Vec::new(),
        withs: Vec::new(),
        names: FxHashMap::default(),
        strings: FxHashMap::default(),
        group: FxHashSet::default(),
        scoped,
        curried_name: None,
        kept: FxHashSet::default(),
        let_lambdas: FxHashMap::default(),
        passed: Vec::new(),
        lambda_args: Vec::new(),
        interpolations: body.interpolations.iter().copied().collect(),
    };
    c.begin(ProtoKind::File, root_span);
    if scoped {
        c.new_slot(Key::Scope);
    }
    c.strict(body.root);
    c.emit(Op::Return, body.root);
    c.out.root = c.finish();
    c.settle_keeps_arg();
    c.out
}

/// What a frame slot can hold: a binding, or the namespace of a `with`.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum Key {
    Binding(BindingId),
    With(ExprId),
    /// The scope set of a `scopedImport`ed file.
    Scope,
}

struct FnState {
    proto: Proto,
    locals: FxHashMap<Key, u32>,
    upvalues: FxHashMap<Key, u32>,
}

struct Compiler<'a> {
    body: &'a Body,
    assert_text: &'a dyn Fn(ExprId) -> String,
    out: CompiledFile,
    fns: Vec<FnState>,
    /// Lexically enclosing `with` scopes, innermost last.
    withs: Vec<Key>,
    names: FxHashMap<Box<str>, u32>,
    strings: FxHashMap<Box<[u8]>, u32>,
    /// Bindings of the recursive scope being initialised: reading them needs a thunk.
    group: FxHashSet<BindingId>,
    /// Compiling for `scopedImport`.
    scoped: bool,
    /// The name a lambda that is directly the body of a named lambda takes.
    curried_name: Option<Box<str>>,
    /// Bindings that some code loads without forcing them ([`Proto::keeps_arg`]).
    kept: FxHashSet<BindingId>,
    /// `let` bindings whose value is a lambda: the parameters of its curried chain
    /// (`f = a: b: ...` gives `[a, b]`; `None` from a pattern on).
    let_lambdas: FxHashMap<BindingId, Vec<Option<BindingId>>>,
    /// A binding passed, unforced, as the argument of such a lambda: kept when that
    /// parameter is ([`Self::settle_keeps_arg`]).
    passed: Vec<(BindingId, BindingId)>,
    /// Every lambda prototype and the binding of its argument, to settle `keeps_arg` once the
    /// whole file is compiled.
    lambda_args: Vec<(ProtoId, Option<BindingId>)>,
    /// [`lix_hir::Body::interpolations`], by expression.
    interpolations: FxHashMap<ExprId, TextRange>,
}

impl Compiler<'_> {
    fn begin(&mut self, kind: ProtoKind, span: TextRange) {
        self.fns.push(FnState {
            proto: Proto {
                kind,
                code: Vec::new(),
                spans: Vec::new(),
                slots: 0,
                captures: Vec::new(),
                span,
                contexts: Vec::new(),
                keeps_arg: false,
            },
            locals: FxHashMap::default(),
            upvalues: FxHashMap::default(),
        });
    }

    fn finish(&mut self) -> ProtoId {
        let f = self.fns.pop().expect("a prototype is being compiled");
        self.out.protos.push(f.proto);
        (self.out.protos.len() - 1) as ProtoId
    }

    fn cur(&mut self) -> &mut FnState {
        self.fns.last_mut().expect("a prototype is being compiled")
    }

    fn emit(&mut self, op: Op, at: ExprId) -> u32 {
        let span = self.body.spans.get(at.0 as usize).copied().unwrap_or_default();
        let p = &mut self.cur().proto;
        p.code.push(op);
        p.spans.push(span);
        (p.code.len() - 1) as u32
    }

    fn here(&mut self) -> u32 {
        self.cur().proto.code.len() as u32
    }

    fn patch(&mut self, at: u32) {
        let target = self.here();
        match &mut self.cur().proto.code[at as usize] {
            Op::Jump(t) | Op::JumpIfFalse(t) | Op::JumpIfTrue(t) => *t = target,
            Op::SelectOr { target: t, .. } | Op::SelectDynOr { target: t } => *t = target,
            _ => {}
        }
    }

    fn new_slot(&mut self, key: Key) -> u32 {
        let f = self.cur();
        let slot = f.proto.slots;
        f.proto.slots += 1;
        f.locals.insert(key, slot);
        slot
    }

    fn name(&mut self, name: &str) -> u32 {
        if let Some(&n) = self.names.get(name) {
            return n;
        }
        self.out.names.push(name.into());
        let n = (self.out.names.len() - 1) as u32;
        self.names.insert(name.into(), n);
        n
    }

    fn string(&mut self, text: &str) -> u32 {
        let bytes: Box<[u8]> = lix_syntax::source::encode(text).into_owned().into();
        if let Some(&n) = self.strings.get(&bytes) {
            return n;
        }
        self.out.strings.push(bytes.clone());
        let n = (self.out.strings.len() - 1) as u32;
        self.strings.insert(bytes, n);
        n
    }

    /// Where `key` lives from the innermost prototype, capturing it through every prototype
    /// between its binder and here.
    fn resolve(&mut self, key: Key) -> Option<Slot> {
        let top = self.fns.len() - 1;
        let mut level = top;
        let mut found = loop {
            let f = &self.fns[level];
            if let Some(&s) = f.locals.get(&key) {
                break Slot::Local(s);
            }
            if let Some(&u) = f.upvalues.get(&key) {
                break Slot::Upvalue(u);
            }
            if level == 0 {
                return None;
            }
            level -= 1;
        };
        for l in level + 1..=top {
            let f = &mut self.fns[l];
            let idx = f.proto.captures.len() as u32;
            f.proto.captures.push(found);
            f.upvalues.insert(key, idx);
            found = Slot::Upvalue(idx);
        }
        Some(found)
    }

    /// Compiles `e` so that it leaves its value in weak head normal form.
    fn strict(&mut self, e: ExprId) {
        if !self.body.frames.is_empty() && self.body.frames.iter().any(|f| f.0 == e) {
            return self.strict_in_frames(e);
        }
        stacker::maybe_grow(64 * 1024, 1024 * 1024, || self.strict_inner(e))
    }

    /// [`Self::strict`] of a desugared expression inside the trace frames its original form
    /// gets ([`lix_hir::Body::frames`]).
    fn strict_in_frames(&mut self, e: ExprId) {
        let start = self.here();
        self.strict_inner(e);
        let end = self.here();
        // The list is outermost first; of two regions with the same range, the inner one
        // comes first in `contexts`.
        for (_, message, span) in self.body.frames.iter().rev().filter(|f| f.0 == e) {
            let (message, span) = (message.clone(), *span);
            self.cur().proto.contexts.push(ContextRegion { start, end, message, span, builtin: false });
        }
    }

    fn strict_inner(&mut self, e: ExprId) {
        let body = self.body;
        match body.expr(e) {
            Expr::Missing => {
                self.out.errors.push("syntax error: this expression is incomplete".into());
                let n = (self.out.errors.len() - 1) as u32;
                self.emit(Op::Error(n), e);
            }
            Expr::Int(_) | Expr::Float(_) | Expr::Str(_) | Expr::Path(_) => self.lazy(e),
            Expr::Lambda(_) => {
                // Forced at once: where the reference would make no thunk, it prints as a lambda.
                self.lazy(e);
                self.emit(Op::Force, e);
            }
            Expr::Var(v) if self.scoped && !matches!(v.resolution, Resolution::Local(_)) => {
                self.with_lookup(&v.name, e);
            }
            Expr::Var(v) => match v.resolution {
                Resolution::With => self.with_lookup(&v.name, e),
                Resolution::Undefined => {
                    self.out.errors.push(format!("undefined variable '{}'", v.name).into());
                    let n = (self.out.errors.len() - 1) as u32;
                    self.emit(Op::Error(n), e);
                }
                Resolution::Local(b) if !self.group.contains(&b) => {
                    match self.resolve(Key::Binding(b)) {
                        Some(slot) => self.emit(Op::LoadForce(slot), e),
                        None => self.emit(Op::Null, e),
                    };
                }
                _ => {
                    self.lazy(e);
                    self.emit(Op::Force, e);
                }
            },
            Expr::Interpolate { parts, path } => {
                for &p in parts {
                    self.strict(p);
                }
                let where_: Box<[TextRange]> = parts
                    .iter()
                    .map(|&p| self.interpolations.get(&p).copied().unwrap_or_else(|| body.span(p)))
                    .collect();
                self.out.interpolations.push(where_);
                let spans = (self.out.interpolations.len() - 1) as u32;
                self.emit(Op::Interpolate { parts: parts.len() as u32, path: *path, spans }, e);
            }
            Expr::List(items) => {
                for &i in items {
                    self.lazy(i);
                }
                self.emit(Op::List(items.len() as u32), e);
            }
            Expr::Attrs(attrs) => {
                let overridable = attrs.recursive && attrs.entries.iter().any(|en| &*en.name == "__overrides");
                let late = self.group_bindings(&attrs.scope, e, overridable);
                let overrides = if attrs.recursive { self.overrides(attrs, &late, e) } else { None };
                let mut entries: Vec<_> = attrs.entries.iter().collect();
                entries.sort_by(|a, b| a.name.as_bytes().cmp(b.name.as_bytes()));
                let mut shape = Vec::with_capacity(entries.len());
                let mut spans = Vec::with_capacity(entries.len());
                for entry in entries {
                    self.lazy(entry.value);
                    shape.push(self.name(&entry.name));
                    spans.push(entry.span);
                }
                self.out.shapes.push(shape);
                self.out.shape_spans.push(spans);
                let n = (self.out.shapes.len() - 1) as u32;
                self.emit(Op::Attrs(n), e);
                if let Some(o) = overrides {
                    self.emit(Op::AddOverrides(o), e);
                }
                for d in &attrs.dynamics {
                    self.strict(d.name);
                    self.lazy(d.value);
                    self.emit(Op::DynAttr, d.name);
                }
            }
            Expr::Let { bindings, body: inner } => {
                for b in bindings.iter() {
                    if matches!(body.expr(b.value), Expr::Lambda(_)) {
                        let params = self.curried_params(b.value);
                        self.let_lambdas.insert(b.id, params);
                    }
                }
                let _ = self.group_bindings(bindings, e, false);
                self.strict(*inner);
            }
            Expr::Apply { fun, args } => {
                if let Some(op) = self.builtin_op(*fun, args.len()) {
                    let name = if op == Op::Sub { "sub" } else { "lessThan" };
                    self.region(format!("while calling the '{name}' builtin"), e, true, |c| {
                        c.strict(args[0]);
                        c.strict(args[1]);
                        c.emit(op, e);
                    });
                    return;
                }
                self.strict(*fun);
                if let Some(last @ Op::LoadForce(_)) = self.cur().proto.code.last_mut() {
                    if let Op::LoadForce(slot) = *last {
                        *last = Op::LoadFn(slot);
                    }
                }
                if args.len() > 1 && self.is_global_function(*fun) {
                    for &a in args {
                        self.argument(a, ArgCheck::None);
                    }
                    self.emit(Op::CallN(args.len() as u32), e);
                    return;
                }
                // A variable passed to a `let`-bound lambda is kept only if that parameter is.
                let params = match body.expr(*fun) {
                    Expr::Var(v) => match v.resolution {
                        Resolution::Local(f) => self.let_lambdas.get(&f).cloned(),
                        _ => None,
                    },
                    _ => None,
                };
                // The first two arguments in one `Call2` (which fuses the calls of a curried
                // lambda), any others one `Call` each.
                let paired = args.len() >= 2;
                for (i, &a) in args.iter().enumerate() {
                    let param = params.as_ref().and_then(|p| p.get(i).copied().flatten());
                    match (param, body.expr(a)) {
                        (Some(p), Expr::Var(v)) if self.is_atom(a) => {
                            if let Resolution::Local(b) = v.resolution {
                                self.passed.push((b, p));
                            }
                            self.operand(a);
                        }
                        _ if i == 1 && paired => self.argument(a, ArgCheck::CurriedCallee),
                        _ => self.argument(a, ArgCheck::Callee),
                    }
                    match i {
                        0 if paired => {}
                        1 if paired => {
                            self.emit(Op::Call2, e);
                            self.emit(Op::CallBelow, e);
                        }
                        _ => {
                            self.emit(Op::Call, e);
                        }
                    }
                }
            }
            Expr::Select { expr, path, default } => {
                let expr = *expr;
                let mut path = &path[..];
                match (self.builtins_attr(expr, path), default) {
                    // `builtins.name`: one op instead of three (loading `builtins`, which is
                    // a set already, cannot fail).
                    (Some(name), None) => {
                        let global = self.name("builtins");
                        let name = self.name(name);
                        self.emit(Op::SelectGlobal { global, name }, e);
                        path = &path[1..];
                    }
                    _ => self.region("while selecting an attribute".to_string(), e, false, |c| c.strict(expr)),
                }
                let mut jumps = Vec::new();
                for key in path {
                    match (key, default.is_some()) {
                        (AttrKey::Static(name), false) => {
                            let n = self.name(name);
                            self.emit(Op::Select(n), e);
                        }
                        (AttrKey::Static(name), true) => {
                            let n = self.name(name);
                            jumps.push(self.emit(Op::SelectOr { name: n, target: 0 }, e));
                        }
                        (AttrKey::Dynamic(k), false) => {
                            self.strict(*k);
                            self.emit(Op::SelectDyn, e);
                        }
                        (AttrKey::Dynamic(k), true) => {
                            self.strict(*k);
                            jumps.push(self.emit(Op::SelectDynOr { target: 0 }, e));
                        }
                    }
                }
                if let Some(d) = default {
                    let end = self.emit(Op::Jump(0), e);
                    for j in jumps {
                        self.patch(j);
                    }
                    self.strict(*d);
                    self.patch(end);
                }
            }
            Expr::HasAttr { expr, path } => {
                let expr = *expr;
                self.region("in the argument of '?'".to_string(), expr, false, |c| c.strict(expr));
                let mut jumps = Vec::new();
                for (i, key) in path.iter().enumerate() {
                    let last = i + 1 == path.len();
                    match key {
                        AttrKey::Static(name) => {
                            let n = self.name(name);
                            if last {
                                self.emit(Op::HasAttr(n), e);
                            } else {
                                jumps.push(self.emit(Op::SelectOr { name: n, target: 0 }, e));
                            }
                        }
                        AttrKey::Dynamic(k) => {
                            self.strict(*k);
                            if last {
                                self.emit(Op::HasAttrDyn, e);
                            } else {
                                jumps.push(self.emit(Op::SelectDynOr { target: 0 }, e));
                            }
                        }
                    }
                }
                if !jumps.is_empty() {
                    let end = self.emit(Op::Jump(0), e);
                    for j in jumps {
                        self.patch(j);
                    }
                    self.emit(Op::Bool(false), e);
                    self.patch(end);
                }
            }
            Expr::BinOp { op, lhs, rhs } => self.binop(*op, *lhs, *rhs, e),
            Expr::Not(inner) => {
                let inner = *inner;
                self.region("in the argument of '!'".to_string(), inner, false, |c| {
                    c.strict(inner);
                    c.emit(Op::Not, e);
                });
            }
            Expr::If { cond, then_, else_ } => {
                self.strict(*cond);
                let to_else = self.emit(Op::JumpIfFalse(0), *cond);
                self.strict(*then_);
                let to_end = self.emit(Op::Jump(0), e);
                self.patch(to_else);
                self.strict(*else_);
                self.patch(to_end);
            }
            Expr::Assert { cond, body: inner } => {
                if let Expr::BinOp { op: BinOp::Eq, lhs, rhs } = body.expr(*cond) {
                    self.strict(*lhs);
                    self.strict(*rhs);
                    let condition = (self.assert_text)(*cond).into();
                    let between = TextRange::new(body.span(*lhs).end(), body.span(*rhs).start().max(body.span(*lhs).end()));
                    self.out.assert_eqs.push(AssertEqInfo { condition, between });
                    let n = (self.out.assert_eqs.len() - 1) as u32;
                    self.emit(Op::AssertEq(n), e);
                    self.strict(*inner);
                    return;
                }
                self.strict(*cond);
                let text = (self.assert_text)(*cond);
                self.out.assert_messages.push(format!("assertion '{text}' failed").into());
                let n = (self.out.assert_messages.len() - 1) as u32;
                self.emit(Op::Assert(n), e);
                self.strict(*inner);
            }
            Expr::With { namespace, body: inner } => {
                // Always a thunk of its own, even for a variable: the scope counts as evaluated
                // only once a lookup has forced it through this `with` (`Op::WithLookupLazy`),
                // as in the reference.
                let p = self.thunk(*namespace);
                self.emit(Op::Thunk(p), *namespace);
                let key = Key::With(e);
                let slot = self.new_slot(key);
                self.emit(Op::Store(slot), e);
                self.withs.push(key);
                self.strict(*inner);
                self.withs.pop();
            }
            Expr::CurPos => {
                self.emit(Op::CurPos, e);
            }
        }
    }

    /// A `rec` set's `__overrides` (an old Nix feature that nixpkgs no longer uses): their
    /// values replace the set's own, in the set and in its scope.
    fn overrides(&mut self, attrs: &lix_hir::hir::Attrs, late: &[u32], e: ExprId) -> Option<u32> {
        let local_slot = |c: &Self, v: ExprId| match c.body.expr(v) {
            Expr::Var(var) => match var.resolution {
                Resolution::Local(b) => c.fns.last().and_then(|f| f.locals.get(&Key::Binding(b)).copied()),
                _ => None,
            },
            _ => None,
        };
        let entry = attrs.entries.iter().find(|en| &*en.name == "__overrides")?;
        let source = local_slot(self, entry.value)?;
        let mut targets = Vec::new();
        for en in &attrs.entries {
            if let Some(slot) = local_slot(self, en.value) {
                let name = self.name(&en.name);
                targets.push((name, slot));
            }
        }
        self.out.overrides.push(OverrideInfo { source, targets, late: late.to_vec() });
        let n = (self.out.overrides.len() - 1) as u32;
        self.emit(Op::Overrides(n), e);
        Some(n)
    }

    /// Whether `fun` names a global (`map`, `__foo`) or `builtins.foo`: most likely a builtin.
    fn is_global_function(&self, fun: ExprId) -> bool {
        match self.body.expr(fun) {
            Expr::Var(_) => self.is_global(fun),
            Expr::Select { expr, path, default: None } => path.len() == 1 && self.builtins_attr(*expr, path).is_some(),
            _ => false,
        }
    }

    /// Whether `e` is a variable that names a global (not shadowed, not in `scopedImport`).
    fn is_global(&self, e: ExprId) -> bool {
        matches!(self.body.expr(e), Expr::Var(v) if v.resolution == Resolution::Global && !self.scoped)
    }

    /// The first name of `path` when `set` is the global `builtins` and that name is static:
    /// `builtins.name`.
    fn builtins_attr<'p>(&self, set: ExprId, path: &'p [AttrKey]) -> Option<&'p str> {
        let builtins = self.is_global(set) && matches!(self.body.expr(set), Expr::Var(v) if &*v.name == "builtins");
        match path.first() {
            Some(AttrKey::Static(name)) if builtins => Some(name),
            _ => None,
        }
    }

    /// `__sub a b` and `__lessThan a b` where those names are the builtins: operators.
    fn builtin_op(&mut self, fun: ExprId, nargs: usize) -> Option<Op> {
        if nargs != 2 {
            return None;
        }
        match self.body.expr(fun) {
            Expr::Var(v) if v.resolution == Resolution::Global => match &*v.name {
                "__sub" => Some(Op::Sub),
                "__lessThan" => Some(Op::Less),
                _ => None,
            },
            _ => None,
        }
    }

    /// Compiles `f` inside a [`ContextRegion`]: errors raised there get the frame `message`
    /// at `at`.
    fn region(&mut self, message: String, at: ExprId, builtin: bool, f: impl FnOnce(&mut Self)) {
        let start = self.here();
        f(self);
        let end = self.here();
        let span = self.body.span(at);
        let message = message.into_boxed_str();
        self.cur().proto.contexts.push(ContextRegion { start, end, message, span, builtin });
    }

    /// An operand of `op`, strict, in its trace frame (`in the left operand of '&&'`).
    fn operand_of(&mut self, op: BinOp, side: &str, e: ExprId) {
        self.operand_checked(op, side, e, None);
    }

    /// [`Self::operand_of`], with `check` (the operator's use of the value, which may fail
    /// on its type) inside the frame too; returns where `check` was emitted.
    fn operand_checked(&mut self, op: BinOp, side: &str, e: ExprId, check: Option<Op>) -> u32 {
        let message = match op {
            BinOp::Add => "in an operand of '+'".to_string(),
            _ => format!("in the {side} operand of '{}'", op.symbol()),
        };
        let mut at = 0;
        self.region(message, e, false, |c| {
            c.strict(e);
            if let Some(check) = check {
                at = c.emit(check, e);
            }
        });
        at
    }

    fn binop(&mut self, op: BinOp, lhs: ExprId, rhs: ExprId, e: ExprId) {
        let simple = match op {
            BinOp::Add => Some(Op::Add),
            BinOp::Mul => Some(Op::Mul),
            BinOp::Div => Some(Op::Div),
            BinOp::Concat => Some(Op::Concat(0)),
            BinOp::Update => Some(Op::Update),
            BinOp::Eq => Some(Op::Eq),
            BinOp::NotEq => Some(Op::NotEq),
            BinOp::And | BinOp::Or | BinOp::Impl => None,
        };
        match (simple, op) {
            (Some(code), BinOp::Mul | BinOp::Div) => {
                // Builtin calls in the reference (`mul`, `div`), at the operator.
                let name = if op == BinOp::Mul { "mul" } else { "div" };
                self.region(format!("while calling the '{name}' builtin"), e, true, |c| {
                    c.strict(lhs);
                    c.strict(rhs);
                    c.emit(code, e);
                });
                return;
            }
            (Some(code), BinOp::Concat) => {
                // A value that is not a list fails at the operator, in the reference's frame.
                self.operand_of(op, "left", lhs);
                // `xs ++ [ x ]`: the literal's items go straight into the result (building a
                // list literal cannot fail, so the right operand needs no frame of its own).
                let code = match self.body.expr(rhs) {
                    Expr::List(items) if !items.is_empty() => {
                        let items = items.clone();
                        for &i in &items {
                            self.lazy(i);
                        }
                        Op::Concat(items.len() as u32)
                    }
                    _ => {
                        self.operand_of(op, "right", rhs);
                        code
                    }
                };
                let frame = "while evaluating one of the elements to concatenate".to_string();
                self.region(frame, e, true, |c| {
                    c.emit(code, e);
                });
                return;
            }
            (Some(code), BinOp::Add) => {
                // The reference reports a failed addition at the operand it was adding.
                self.operand_of(op, "left", lhs);
                self.operand_of(op, "right", rhs);
                self.emit(code, rhs);
                return;
            }
            (Some(code), _) => {
                self.operand_of(op, "left", lhs);
                self.operand_of(op, "right", rhs);
                self.emit(code, e);
                return;
            }
            (None, _) => {}
        }
        // Short-circuit: `a && b` is false when a is, `a || b` true when a is, `a -> b` true
        // when a is false; otherwise the value is b, which must be a Boolean.
        let (jump, short) = match op {
            BinOp::And => (Op::JumpIfFalse(0), false),
            BinOp::Or => (Op::JumpIfTrue(0), true),
            _ => (Op::JumpIfFalse(0), true),
        };
        let to_short = self.operand_checked(op, "left", lhs, Some(jump));
        self.operand_checked(op, "right", rhs, Some(Op::AssertBool));
        let to_end = self.emit(Op::Jump(0), e);
        self.patch(to_short);
        self.emit(Op::Bool(short), e);
        self.patch(to_end);
    }

    fn with_lookup(&mut self, name: &str, e: ExprId) {
        let n = self.with_lookup_entry(name);
        self.emit(Op::WithLookup(n), e);
    }

    /// Records a lookup of `name` in the enclosing `with` scopes: its index.
    fn with_lookup_entry(&mut self, name: &str) -> u32 {
        let keys: Vec<Key> = self.withs.iter().rev().copied().collect();
        let scopes = keys.into_iter().filter_map(|k| self.resolve(k)).collect();
        let scoped = if self.scoped { self.resolve(Key::Scope) } else { None };
        let name = self.name(name);
        self.out.with_lookups.push(WithLookup { name, scopes, scoped });
        (self.out.with_lookups.len() - 1) as u32
    }

    /// Whether `e` compiles to a value without a thunk.
    fn is_value(&self, e: ExprId) -> bool {
        match self.body.expr(e) {
            Expr::Int(_) | Expr::Float(_) | Expr::Str(_) | Expr::Path(_) | Expr::Lambda(_) => true,
            Expr::Var(v) => match v.resolution {
                Resolution::Local(b) => !self.group.contains(&b),
                Resolution::Global => !self.scoped,
                _ => false,
            },
            _ => false,
        }
    }

    /// Compiles `e` so that it leaves a value that may be a thunk.
    fn lazy(&mut self, e: ExprId) {
        self.lazy_as(e, None);
    }

    /// Compiles a function argument: [`Self::lazy`], but cheap arithmetic and selections may be
    /// computed at once ([`Self::speculate`]). `check` says which function on the stack the VM
    /// asks first whether it keeps its argument unforced ([`lix_compiler::Proto::keeps_arg`]).
    fn argument(&mut self, e: ExprId, check: ArgCheck) {
        self.lazy_as(e, Some(check));
    }

    /// [`Self::lazy`]; `speculate` as [`Self::argument`] takes it, `None` for no speculation.
    ///
    /// Speculation is observable only in printing: an unforced value prints as `<CODE>` (or
    /// `«thunk»` in `trace`) where the reference would show a thunk. So list elements and
    /// attribute values are never speculated, and an argument only when the callee's body
    /// forces its parameter before it could be stored.
    fn lazy_as(&mut self, e: ExprId, speculate: Option<ArgCheck>) {
        let body = self.body;
        match body.expr(e) {
            Expr::Int(i) => {
                self.emit(Op::Int(*i), e);
            }
            Expr::Float(f) => {
                self.emit(Op::Float(*f), e);
            }
            Expr::Str(s) => {
                let n = self.string(s);
                self.emit(Op::Str(n), e);
            }
            Expr::Path(p) => {
                self.out.paths.push(p.clone());
                let n = (self.out.paths.len() - 1) as u32;
                self.emit(Op::Path(n), e);
            }
            Expr::Var(v) if self.is_value(e) => match v.resolution {
                Resolution::Local(b) => {
                    // Loaded without forcing: the value may be stored as it is.
                    self.kept.insert(b);
                    match self.resolve(Key::Binding(b)) {
                        Some(slot) => self.emit(Op::Load(slot), e),
                        None => self.emit(Op::Null, e),
                    };
                }
                _ => match &*v.name {
                    "null" => {
                        self.emit(Op::Null, e);
                    }
                    "true" => {
                        self.emit(Op::Bool(true), e);
                    }
                    "false" => {
                        self.emit(Op::Bool(false), e);
                    }
                    name => {
                        let n = self.name(name);
                        self.emit(Op::Global(n), e);
                    }
                },
            },
            Expr::Lambda(l) => {
                let p = self.lambda(l, e);
                self.emit(Op::Closure(p), e);
            }
            Expr::Var(v) if v.resolution == Resolution::With && !self.scoped => {
                let proto = self.thunk(e);
                let lookup = self.with_lookup_entry(&v.name);
                self.emit(Op::WithLookupLazy { lookup, proto }, e);
            }
            _ => {
                if speculate.is_some_and(|check| self.speculate(e, check)) {
                    return;
                }
                let p = self.thunk(e);
                self.emit(Op::Thunk(p), e);
            }
        }
    }

    /// Whether `e` is a literal number or an initialised local: loading it has no effect.
    fn is_atom(&self, e: ExprId) -> bool {
        match self.body.expr(e) {
            Expr::Int(_) | Expr::Float(_) => true,
            Expr::Var(v) => matches!(v.resolution, Resolution::Local(b) if !self.group.contains(&b)),
            _ => false,
        }
    }

    /// Lazy arithmetic, comparison or selection on atoms: computed at once when the operands
    /// are already values, a thunk otherwise ([`Op::Speculate`]).
    fn speculate(&mut self, e: ExprId, arg: ArgCheck) -> bool {
        let body = self.body;
        let (op, a, b) = match body.expr(e) {
            Expr::BinOp { op, lhs, rhs } => match op {
                BinOp::Add => (SpecOp::Add, *lhs, *rhs),
                BinOp::Mul => (SpecOp::Mul, *lhs, *rhs),
                BinOp::Eq => (SpecOp::Eq, *lhs, *rhs),
                BinOp::NotEq => (SpecOp::NotEq, *lhs, *rhs),
                _ => return false,
            },
            Expr::Apply { fun, args } if args.len() == 2 => match self.builtin_op(*fun, 2) {
                Some(Op::Sub) => (SpecOp::Sub, args[0], args[1]),
                Some(Op::Less) => (SpecOp::Less, args[0], args[1]),
                _ => return false,
            },
            Expr::Select { expr, path, default: None } if path.len() == 1 && self.is_atom(*expr) => {
                let AttrKey::Static(name) = &path[0] else { return false };
                let name = self.name(name);
                let proto = self.thunk(e);
                self.operand(*expr);
                self.emit(Op::SpeculateSelect { name, proto, arg }, e);
                return true;
            }
            _ => return false,
        };
        if !self.is_atom(a) || !self.is_atom(b) {
            return false;
        }
        let proto = self.thunk(e);
        self.operand(a);
        self.operand(b);
        self.emit(Op::Speculate { op, proto, arg }, e);
        true
    }

    /// Loads an atom ([`Self::is_atom`]) as a speculation's operand: read, never stored.
    fn operand(&mut self, e: ExprId) {
        if let Expr::Var(v) = self.body.expr(e) {
            if let Resolution::Local(b) = v.resolution {
                if let Some(slot) = self.resolve(Key::Binding(b)) {
                    self.emit(Op::Load(slot), e);
                    return;
                }
            }
        }
        self.lazy(e);
    }

    fn thunk(&mut self, e: ExprId) -> ProtoId {
        let span = self.body.span(e);
        let saved = std::mem::take(&mut self.group);
        self.begin(ProtoKind::Thunk, span);
        self.strict(e);
        self.emit(Op::Return, e);
        self.group = saved;
        self.finish()
    }

    /// Settles [`Proto::keeps_arg`] for the whole file: a parameter passed on unforced to a
    /// `let`-bound lambda is kept only if that lambda keeps its own (a fixpoint, so that
    /// recursion such as `ack m (n - 1)` does not count as keeping `m`).
    fn settle_keeps_arg(&mut self) {
        let mut changed = true;
        while changed {
            changed = false;
            for &(arg, param) in &self.passed {
                if self.kept.contains(&param) && self.kept.insert(arg) {
                    changed = true;
                }
            }
        }
        for &(proto, arg) in &self.lambda_args {
            self.out.protos[proto as usize].keeps_arg = arg.is_some_and(|b| self.kept.contains(&b));
        }
    }

    /// The parameters of the curried chain of lambdas starting at `e` (see `let_lambdas`).
    fn curried_params(&self, mut e: ExprId) -> Vec<Option<BindingId>> {
        let mut params = Vec::new();
        while let Expr::Lambda(l) = self.body.expr(e) {
            match l.param {
                Param::Ident(b) => params.push(Some(b)),
                Param::Pattern(_) => {
                    params.push(None);
                    break;
                }
            }
            e = l.body;
        }
        params
    }

    fn lambda(&mut self, l: &Lambda, e: ExprId) -> ProtoId {
        let span = self.body.span(e);
        let saved = std::mem::take(&mut self.group);
        // A curried lambda's inner lambdas carry its name (`f = a: b: ...` calls 'f' twice).
        let name = l.name.clone().or_else(|| self.curried_name.take());
        let inner_name = match self.body.expr(l.body) {
            Expr::Lambda(_) => name.clone(),
            _ => None,
        };
        self.begin(ProtoKind::Lambda { name, pattern: None }, span);
        match &l.param {
            Param::Ident(b) => {
                self.new_slot(Key::Binding(*b));
            }
            Param::Pattern(pat) => {
                // Slot 0 holds the argument itself.
                self.cur().proto.slots = 1;
                if let Some(alias) = pat.alias {
                    self.cur().locals.insert(Key::Binding(alias), 0);
                }
                let slots: Vec<u32> = pat.fields.iter().map(|f| self.new_slot(Key::Binding(f.id))).collect();
                // Defaults see every field: their thunks are captured after all are bound.
                let mut fields = Vec::with_capacity(pat.fields.len());
                let mut immediate = Vec::with_capacity(pat.fields.len());
                let mut spans = Vec::with_capacity(pat.fields.len());
                for f in &pat.fields {
                    let name = self.name(&self.body.binding(f.id).name.clone());
                    let default = f.default.map(|d| self.thunk(d));
                    fields.push((name, default));
                    immediate.push(default.and_then(|p| self.immediate_default(p)));
                    spans.push(self.body.binding(f.id).span);
                }
                self.out.patterns.push(PatternInfo { fields, immediate, ellipsis: pat.ellipsis, spans });
                let pi = (self.out.patterns.len() - 1) as u32;
                if let ProtoKind::Lambda { pattern, .. } = &mut self.cur().proto.kind {
                    *pattern = Some(pi);
                }
                self.emit(Op::Pattern(pi), e);
                for (i, &slot) in slots.iter().enumerate() {
                    self.emit(Op::PatField { pattern: pi, field: i as u32, slot }, e);
                }
                // (A default that captures nothing, such as a literal, has nothing to wait for;
                // one bound without a thunk, such as a variable from outside the function, is
                // not this function's to capture.)
                let captures = |c: &Self, field: usize| {
                    let info = &c.out.patterns[pi as usize];
                    info.immediate[field].is_none()
                        && info.fields[field].1.is_some_and(|p| !c.out.protos[p as usize].captures.is_empty())
                };
                for (i, &slot) in slots.iter().enumerate() {
                    if captures(self, i) {
                        self.emit(Op::CaptureDefault(slot), e);
                    }
                }
            }
        }
        self.curried_name = inner_name;
        self.strict(l.body);
        self.curried_name = None;
        self.emit(Op::Return, l.body);
        let arg = match &l.param {
            Param::Ident(b) => Some(*b),
            Param::Pattern(pat) => pat.alias,
        };
        self.cur().proto.keeps_arg = arg.is_some_and(|b| self.kept.contains(&b));
        self.group = saved;
        let proto = self.finish();
        self.lambda_args.push((proto, arg));
        proto
    }

    /// Whether the default compiled to thunk prototype `p` needs no thunk: a literal, or a
    /// variable from outside the lambda (read from the lambda's own upvalue).
    fn immediate_default(&self, p: ProtoId) -> Option<ImmediateDefault> {
        let proto = &self.out.protos[p as usize];
        Some(match *proto.code {
            [Op::LoadForce(Slot::Upvalue(n)), Op::Return] => match proto.captures.get(n as usize) {
                Some(&Slot::Upvalue(k)) => ImmediateDefault::Upvalue(k),
                _ => return None,
            },
            [Op::Int(i), Op::Return] => ImmediateDefault::Int(i),
            [Op::Float(x), Op::Return] => ImmediateDefault::Float(x),
            [Op::Bool(b), Op::Return] | [Op::Bool(b), Op::Force, Op::Return] => ImmediateDefault::Bool(b),
            [Op::Null, Op::Return] | [Op::Null, Op::Force, Op::Return] => ImmediateDefault::Null,
            [Op::Str(n), Op::Return] => ImmediateDefault::Str(n),
            [Op::Path(n), Op::Return] => ImmediateDefault::Path(n),
            _ => return None,
        })
    }

    /// Binds a recursive group: every binding's slot first, then values (late thunks and
    /// closures for anything that may read a binding not yet stored), then the late captures.
    /// With `overridable` (a `rec` set with `__overrides`, whose values its `Overrides` op
    /// captures again) every value that reads the group is late.
    fn group_bindings(&mut self, bindings: &[Binding], at: ExprId, overridable: bool) -> Vec<u32> {
        if bindings.is_empty() {
            return Vec::new();
        }
        let slots: Vec<u32> = bindings.iter().map(|b| self.new_slot(Key::Binding(b.id))).collect();
        let saved = std::mem::replace(&mut self.group, bindings.iter().map(|b| b.id).collect());
        let mut late = Vec::new();
        // Values are stored in order. One that captures only bindings stored before it (or
        // none of the group) is made complete at once: what it captures is there, if only as
        // another value still waiting for its own captures. The others (reading themselves or
        // a later binding) are made empty and capture once every slot of the group is filled.
        // (The group's slots are consecutive: they were just allocated together.)
        let group = slots[0]..slots[0] + slots.len() as u32;
        let reads_unstored = |c: &Self, p: ProtoId, slot: u32| {
            let unstored = if overridable { group.start } else { slot };
            c.out.protos[p as usize].captures.iter().any(|s| matches!(s, Slot::Local(n) if group.contains(n) && *n >= unstored))
        };
        for (b, &slot) in bindings.iter().zip(&slots) {
            if self.is_value(b.value) {
                if let Expr::Lambda(l) = self.body.expr(b.value) {
                    let p = self.lambda(l, b.value);
                    if reads_unstored(self, p, slot) {
                        self.emit(Op::ClosureLate(p), b.value);
                        late.push(slot);
                    } else {
                        self.emit(Op::Closure(p), b.value);
                    }
                } else {
                    self.lazy(b.value);
                }
            } else {
                let p = self.thunk(b.value);
                if reads_unstored(self, p, slot) {
                    self.emit(Op::ThunkLate(p), b.value);
                    late.push(slot);
                } else {
                    self.emit(Op::Thunk(p), b.value);
                }
            }
            self.emit(Op::Store(slot), b.value);
        }
        self.group = saved;
        for &slot in &late {
            self.emit(Op::Capture(slot), at);
        }
        late
    }
}
