//! The bytecode: what the VM runs. A compiled file is a set of prototypes (the file's root, one
//! per lambda, one per thunk), each a flat list of [`Op`]s with a source span per op.
//!
//! Stack discipline: every expression compiled *strictly* leaves one value in weak head normal
//! form on the stack; compiled *lazily* it leaves one value that may be a thunk. Locals live in
//! frame slots (`Local`), captured variables in the closure's upvalues (`Upvalue`).

use std::fmt::Write as _;

use lix_syntax::TextRange;

/// Index of a prototype in its [`CompiledFile`].
pub type ProtoId = u32;

/// Where a variable lives, seen from the code that reads it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Slot {
    /// A slot of the current frame.
    Local(u32),
    /// An upvalue of the current closure or thunk.
    Upvalue(u32),
}

/// One instruction. Comments give the stack before → after.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Op {
    /// → int
    Int(i64),
    /// → float
    Float(f64),
    /// → the file's string constant `n`
    Str(u32),
    /// → the file's path constant `n`
    Path(u32),
    /// → null, true or false
    Null,
    /// → bool
    Bool(bool),
    /// → the value of a local or upvalue (not forced)
    Load(Slot),
    /// v → ; stores into a local slot
    Store(u32),
    /// → the global named by name `n` (not forced)
    Global(u32),
    /// → value of name `with_lookups[n]` from the enclosing `with` scopes, forced
    WithLookup(u32),
    /// → value of name `with_lookups[lookup]`, not forced, when every `with` scope up to the
    /// one that has it is already an evaluated set; otherwise a thunk of `proto` (which looks
    /// it up when forced). The reference reads such a variable without a thunk the same way.
    WithLookupLazy {
        /// The lookup, an index into [`CompiledFile::with_lookups`].
        lookup: u32,
        /// The fallback thunk.
        proto: ProtoId,
    },
    /// v → v' ; forces the top of the stack to weak head normal form
    Force,
    /// → the forced value of a variable; a local slot keeps the forced value
    LoadForce(Slot),
    /// [`Op::LoadForce`] of a function about to be called: the call itself marks a lambda as
    /// forced, so the load does not
    LoadFn(Slot),
    /// a b → a OP b when both are already numbers (or Booleans/strings for `==`) and the
    /// operation cannot fail; otherwise a thunk of prototype `proto`, which computes the same
    /// lazily. Never forces anything, so it is invisible to laziness.
    Speculate {
        /// The operation: `Add`, `Sub`, `Mul`, `Div`, `Less`, `Eq` or `NotEq`.
        op: SpecOp,
        /// The thunk made when the shortcut does not apply.
        proto: ProtoId,
        /// For an argument: which function on the stack must not keep its argument
        /// ([`Proto::keeps_arg`]) for the shortcut to be taken.
        arg: ArgCheck,
    },
    /// set → set.name when `set` is an evaluated set that has `name`; otherwise a thunk of
    /// `proto` (which selects lazily)
    SpeculateSelect {
        /// The name.
        name: u32,
        /// The fallback thunk.
        proto: ProtoId,
        /// As for [`Op::Speculate`].
        arg: ArgCheck,
    },
    /// → thunk of prototype `p`, its upvalues captured now
    Thunk(ProtoId),
    /// → closure of prototype `p`, its upvalues captured now
    Closure(ProtoId),
    /// → thunk of `p` whose upvalues are captured later by [`Op::Capture`] (recursive scopes)
    ThunkLate(ProtoId),
    /// → closure of `p` whose upvalues are captured later by [`Op::Capture`]
    ClosureLate(ProtoId),
    /// captures the upvalues of the late thunk or closure in local slot `n`
    Capture(u32),
    /// f a → f(a), forced
    Call,
    /// f a1 .. an → f(a1)..(an), forced; for builtins of arity n, one native call with no
    /// partial applications in between
    CallN(u32),
    /// f a b → f(a)(b), forced, for `f a b` with any `f`; always followed by
    /// [`Op::CallBelow`]. A curried lambda `a: b: body` runs its inner body at once, without
    /// making the inner closure, and a builtin of arity 2 is called at once; both skip the
    /// `CallBelow`. Any other function is left as `b f(a)`, for the `CallBelow` to call.
    Call2,
    /// b f → f(b), forced (the function above its argument; see [`Op::Call2`])
    CallBelow,
    /// a b → a + b (numbers, strings, paths)
    Add,
    /// a b → a - b
    Sub,
    /// a b → a * b
    Mul,
    /// a b → a / b
    Div,
    /// a b → a < b
    Less,
    /// a b → a == b (deep)
    Eq,
    /// a b → a != b (deep)
    NotEq,
    /// a b → a ++ b (`Concat(0)`); a x1 … xn → a ++ [ x1 … xn ] (`Concat(n)`: a list literal
    /// on the right, whose list is never made)
    Concat(u32),
    /// a b → a // b
    Update,
    /// b → !b
    Not,
    /// b → b ; errors unless a Boolean
    AssertBool,
    /// jump to the absolute op index
    Jump(u32),
    /// b → ; jumps if false (errors unless a Boolean)
    JumpIfFalse(u32),
    /// b → ; jumps if true (errors unless a Boolean)
    JumpIfTrue(u32),
    /// b → ; errors with `assert_messages[n]` unless true
    Assert(u32),
    /// a b → ; `assert a == b`: errors explaining how they differ (`assert_eqs[n]`) unless equal
    AssertEq(u32),
    /// v1 .. vn → list
    List(u32),
    /// v1 .. vn → set with the names of `shapes[n]` (sorted)
    Attrs(u32),
    /// set name value → set ; adds a dynamic attribute (name null: skipped)
    DynAttr,
    /// set → set.name, forced; errors when missing or not a set
    Select(u32),
    /// → `builtins.name`, forced: the global named `global` (the set `builtins`) and its
    /// attribute `name` in one op ([`Op::Global`], [`Op::Force`], [`Op::Select`] otherwise)
    SelectGlobal {
        /// The global's name.
        global: u32,
        /// The attribute's name.
        name: u32,
    },
    /// set name → set.name, forced
    SelectDyn,
    /// set → set.name, forced, or jumps to `target` (popping the set) when missing or not a set
    SelectOr {
        /// The name.
        name: u32,
        /// Where the default is.
        target: u32,
    },
    /// set name → set.name, forced, or jumps like [`Op::SelectOr`]
    SelectDynOr {
        /// Where the default is.
        target: u32,
    },
    /// set → bool
    HasAttr(u32),
    /// set name → bool
    HasAttrDyn,
    /// v1 .. vn → string (or path when `path`), coercing each part
    Interpolate {
        /// Number of parts.
        parts: u32,
        /// Whether the first part is a path and the result a path.
        path: bool,
        /// Where each part is, an index into [`CompiledFile::interpolations`].
        spans: u32,
    },
    /// → `{ file, line, column }` of this op's span
    CurPos,
    /// checks the argument in local 0 against pattern `patterns[n]` (forcing it to a set)
    Pattern(u32),
    /// binds field `field` of pattern `pattern`: the attribute of local 0, or the default
    /// thunk (late, captured by a later `Capture`), into slot `slot`
    PatField {
        /// Pattern index.
        pattern: u32,
        /// Field index within the pattern.
        field: u32,
        /// The slot to bind.
        slot: u32,
    },
    /// captures the default thunk of a pattern field bound in slot `n`, if it was used
    CaptureDefault(u32),
    /// applies the `__overrides` of a `rec` set (`overrides[n]`) to the set's scope slots
    Overrides(u32),
    /// set → set // __overrides (a new set), for `overrides[n]`
    AddOverrides(u32),
    /// v → ; discards the top of the stack
    Pop,
    /// v → ; returns v from the frame
    Return,
    /// errors with `errors[n]` (code that a syntax error left out)
    Error(u32),
}

/// Which function an argument's speculation ([`Op::Speculate`], [`Op::SpeculateSelect`])
/// asks whether it keeps its argument unforced.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ArgCheck {
    /// None: not an argument, or an argument of a builtin.
    None,
    /// The function right below the argument on the stack.
    Callee,
    /// For the second argument of `f a b` ([`Op::Call2`]): the inner lambda of `f`, which is
    /// two below on the stack (with the first argument between). A function that is not a
    /// curried lambda counts as keeping it.
    CurriedCallee,
}

impl ArgCheck {
    fn text(self) -> &'static str {
        match self {
            ArgCheck::None => "",
            ArgCheck::Callee => " (arg)",
            ArgCheck::CurriedCallee => " (arg2)",
        }
    }
}

/// Operations that [`Op::Speculate`] can do eagerly.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SpecOp {
    /// `+` on numbers.
    Add,
    /// `-` on numbers.
    Sub,
    /// `*` on numbers.
    Mul,
    /// `<` on numbers.
    Less,
    /// `==` on scalars.
    Eq,
    /// `!=` on scalars.
    NotEq,
}

/// What kind of code a prototype is.
#[derive(Clone, Debug, PartialEq)]
pub enum ProtoKind {
    /// A file's top-level expression.
    File,
    /// The code of a thunk.
    Thunk,
    /// A lambda; the argument arrives in local 0.
    Lambda {
        /// The name it was bound to.
        name: Option<Box<str>>,
        /// Its pattern, as an index into [`CompiledFile::patterns`].
        pattern: Option<u32>,
    },
}

/// Compiled code of one lambda, thunk or file.
#[derive(Clone, Debug, PartialEq)]
pub struct Proto {
    /// What this is.
    pub kind: ProtoKind,
    /// The instructions.
    pub code: Vec<Op>,
    /// The source span of each instruction.
    pub spans: Vec<TextRange>,
    /// Number of local slots (argument included).
    pub slots: u32,
    /// What each upvalue is captured from, in the creating frame.
    pub captures: Vec<Slot>,
    /// The span of the whole expression.
    pub span: TextRange,
    /// Trace frames that an error raised inside an instruction range gets, as the reference
    /// names the operators' operands (`in the left operand of '&&'`). Of two regions with the
    /// same range, the one nested in the other comes first.
    pub contexts: Vec<ContextRegion>,
    /// For a lambda: whether its body may load its argument (or `@` name) without forcing it,
    /// and so store it unforced somewhere printable. Arguments of such lambdas are not
    /// speculated ([`Op::Speculate`]).
    pub keeps_arg: bool,
}

/// A range of instructions whose errors get a trace frame ([`Proto::contexts`]).
#[derive(Clone, Debug, PartialEq)]
pub struct ContextRegion {
    /// The first instruction.
    pub start: u32,
    /// One past the last instruction.
    pub end: u32,
    /// The frame's message.
    pub message: Box<str>,
    /// Where the frame points.
    pub span: TextRange,
    /// The frame of a builtin call (an operator the reference evaluates as one): an error
    /// raised by the region's last instruction has no position of its own.
    pub builtin: bool,
}

/// A pattern default bound as it is when its field is missing, without a thunk, as the
/// reference binds a constant or a variable: a literal, or a variable from outside the lambda
/// (its value as it is, evaluated or not).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ImmediateDefault {
    Int(i64),
    Float(f64),
    Bool(bool),
    Null,
    /// A string constant, by index into [`CompiledFile::strings`].
    Str(u32),
    /// A path constant, by index into [`CompiledFile::paths`].
    Path(u32),
    /// The lambda's upvalue with this index.
    Upvalue(u32),
}

/// A lambda's pattern.
#[derive(Clone, Debug, PartialEq)]
pub struct PatternInfo {
    /// The fields: name index and default thunk prototype.
    pub fields: Vec<(u32, Option<ProtoId>)>,
    /// For each field, whether its default needs no thunk (its prototype is then unused,
    /// except by `functionArgs`, which only asks whether there is a default).
    pub immediate: Vec<Option<ImmediateDefault>>,
    /// Whether other attributes are allowed.
    pub ellipsis: bool,
    /// Where each field's name is written (for `unsafeGetAttrPos` on `functionArgs`).
    pub spans: Vec<TextRange>,
}

/// A lookup through `with` scopes.
#[derive(Clone, Debug, PartialEq)]
pub struct WithLookup {
    /// The name (index into names).
    pub name: u32,
    /// The namespaces, innermost first.
    pub scopes: Vec<Slot>,
    /// In a file read by `scopedImport`: the slot of the scope set, which is searched first,
    /// then the globals, then the namespaces.
    pub scoped: Option<Slot>,
}

/// A `rec` set with `__overrides`: where the overrides are and the slots they replace.
#[derive(Clone, Debug, PartialEq)]
pub struct OverrideInfo {
    /// The local slot holding `__overrides`.
    pub source: u32,
    /// Each attribute of the set: name index and the local slot of its value.
    pub targets: Vec<(u32, u32)>,
    /// The slots of the scope's closures and thunks that captured late ([`Op::Capture`]): they
    /// copied values that the overrides may replace, so they capture again, except those
    /// whose own slot was replaced (the value there is no longer theirs to change).
    pub late: Vec<u32>,
}

/// An `assert a == b`: what the reference's message shows.
#[derive(Clone, Debug, PartialEq)]
pub struct AssertEqInfo {
    /// The condition as printed, `(a == b)`.
    pub condition: Box<str>,
    /// The source between `a` and `b`, where the `==` is.
    pub between: TextRange,
}

/// One file compiled.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct CompiledFile {
    /// Every prototype; the file's root is [`CompiledFile::root`].
    pub protos: Vec<Proto>,
    /// The root prototype.
    pub root: ProtoId,
    /// Names used by selections, attribute sets, globals and patterns.
    pub names: Vec<Box<str>>,
    /// String constants, as bytes.
    pub strings: Vec<Box<[u8]>>,
    /// Path constants.
    pub paths: Vec<Box<str>>,
    /// Attribute set shapes: name indices sorted by name.
    pub shapes: Vec<Vec<u32>>,
    /// Where each shape's names are written (same order as `shapes`).
    pub shape_spans: Vec<Vec<TextRange>>,
    /// Patterns of lambdas.
    pub patterns: Vec<PatternInfo>,
    /// `with` lookups.
    pub with_lookups: Vec<WithLookup>,
    /// Messages of failed assertions (`assertion '…' failed`).
    pub assert_messages: Vec<Box<str>>,
    /// Messages of [`Op::Error`].
    pub errors: Vec<Box<str>>,
    /// `rec` sets with `__overrides`.
    pub overrides: Vec<OverrideInfo>,
    /// `assert a == b` conditions.
    pub assert_eqs: Vec<AssertEqInfo>,
    /// For each [`Op::Interpolate`], where its parts are (`${ … }` for interpolated ones).
    pub interpolations: Vec<Box<[TextRange]>>,
}

impl CompiledFile {
    /// A readable listing of every prototype.
    pub fn dump(&self) -> String {
        let mut out = String::new();
        for (i, p) in self.protos.iter().enumerate() {
            let kind = match &p.kind {
                ProtoKind::File => "file".to_string(),
                ProtoKind::Thunk => "thunk".to_string(),
                ProtoKind::Lambda { name, pattern } => format!(
                    "lambda {}{}",
                    name.as_deref().unwrap_or("_"),
                    pattern.map(|n| format!(" pattern#{n}")).unwrap_or_default()
                ),
            };
            let caps: Vec<String> = p.captures.iter().map(slot_text).collect();
            let _ = writeln!(
                out,
                "proto#{i} {kind} slots={} captures=[{}] @{:?}{}{}",
                p.slots,
                caps.join(", "),
                p.span,
                if p.keeps_arg { " keeps-arg" } else { "" },
                if i as u32 == self.root { " (root)" } else { "" }
            );
            for (at, (op, span)) in p.code.iter().zip(&p.spans).enumerate() {
                let _ = writeln!(out, "  {at:>4} {:<28} @{:?}", self.op_text(op), span);
            }
        }
        out
    }

    fn name(&self, n: u32) -> &str {
        self.names.get(n as usize).map_or("?", |s| s)
    }

    fn op_text(&self, op: &Op) -> String {
        match *op {
            Op::Str(n) => format!(
                "Str {:?}",
                self.strings.get(n as usize).map(|s| String::from_utf8_lossy(s).into_owned()).unwrap_or_default()
            ),
            Op::Path(n) => format!("Path {}", self.paths.get(n as usize).map_or("?", |s| s)),
            Op::Global(n) => format!("Global {}", self.name(n)),
            Op::Select(n) => format!("Select {}", self.name(n)),
            Op::SelectGlobal { global, name } => format!("SelectGlobal {}.{}", self.name(global), self.name(name)),
            Op::HasAttr(n) => format!("HasAttr {}", self.name(n)),
            Op::SelectOr { name, target } => format!("SelectOr {} ->{target}", self.name(name)),
            Op::Load(s) => format!("Load {}", slot_text(&s)),
            Op::LoadForce(s) => format!("LoadForce {}", slot_text(&s)),
            Op::LoadFn(s) => format!("LoadFn {}", slot_text(&s)),
            Op::SpeculateSelect { name, proto, arg } => {
                format!("SpeculateSelect {} else proto#{proto}{}", self.name(name), arg.text())
            }
            Op::Speculate { op, proto, arg } => format!("Speculate {op:?} else proto#{proto}{}", arg.text()),
            Op::WithLookup(n) => match self.with_lookups.get(n as usize) {
                Some(w) => format!(
                    "WithLookup {} in [{}]",
                    self.name(w.name),
                    w.scopes.iter().map(slot_text).collect::<Vec<_>>().join(", ")
                ),
                None => format!("WithLookup #{n}"),
            },
            Op::WithLookupLazy { lookup, proto } => match self.with_lookups.get(lookup as usize) {
                Some(w) => format!(
                    "WithLookupLazy {} in [{}] else proto#{proto}",
                    self.name(w.name),
                    w.scopes.iter().map(slot_text).collect::<Vec<_>>().join(", ")
                ),
                None => format!("WithLookupLazy #{lookup} else proto#{proto}"),
            },
            Op::Attrs(n) => format!(
                "Attrs {{{}}}",
                self.shapes
                    .get(n as usize)
                    .map(|s| s.iter().map(|&n| self.name(n)).collect::<Vec<_>>().join(" "))
                    .unwrap_or_default()
            ),
            ref other => format!("{other:?}"),
        }
    }
}

fn slot_text(s: &Slot) -> String {
    match s {
        Slot::Local(n) => format!("local{n}"),
        Slot::Upvalue(n) => format!("up{n}"),
    }
}
