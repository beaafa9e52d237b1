//! The high-level IR: one file's expression, desugared and with every variable resolved.
//!
//! What the VM should not see is gone: nested attribute paths are merged into nested sets,
//! `inherit` became selections, `rec` sets and `let` became explicit scopes of bindings, legacy
//! `let { body }` is a `let` selecting `body`, pipes are applications, container inherits are
//! lists and sets, operators that Nix defines through builtins (`-x`, `<`, `>`, `<=`, `>=`) are
//! calls of those builtins, `<p>` is `__findFile __nixPath "p"`, and paths are absolute. HIR is
//! edition-free: both editions lower the same meaning to the same tree.
//!
//! Expressions live in one arena per file ([`Body`]), addressed by [`ExprId`]; every expression
//! keeps the source range it came from. Names bound by `let`, `rec`, lambdas and patterns are
//! [`BindingId`]s; a [`Var`] says statically where its value comes from.

use lix_syntax::TextRange;

/// Index of an expression in its [`Body`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ExprId(pub u32);

/// Index of a binding (a name some scope defines) in its [`Body`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BindingId(pub u32);

/// One file's lowered expression.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Body {
    /// Every expression, children before or after parents in no promised order.
    pub exprs: Vec<Expr>,
    /// The source range of each expression (same index as `exprs`).
    pub spans: Vec<TextRange>,
    /// Every binding.
    pub bindings: Vec<BindingInfo>,
    /// The file's expression.
    pub root: ExprId,
    /// Trace frames that evaluating a desugared expression adds, as the reference shows its
    /// original form (the `body` of a legacy `let { }`): expression, message, position;
    /// outermost first.
    pub frames: Vec<(ExprId, Box<str>, TextRange)>,
    /// The `${ … }` around each interpolated expression, where errors in coercing its value
    /// are shown.
    pub interpolations: Vec<(ExprId, TextRange)>,
}

impl Body {
    /// The expression `id`.
    pub fn expr(&self, id: ExprId) -> &Expr {
        &self.exprs[id.0 as usize]
    }

    /// Where `id` came from.
    pub fn span(&self, id: ExprId) -> TextRange {
        self.spans[id.0 as usize]
    }

    /// The binding `id`.
    pub fn binding(&self, id: BindingId) -> &BindingInfo {
        &self.bindings[id.0 as usize]
    }
}

/// A name bound by some scope.
#[derive(Clone, Debug, PartialEq)]
pub struct BindingInfo {
    /// The name as written (empty for hidden bindings).
    pub name: Box<str>,
    /// Where the name is bound.
    pub span: TextRange,
    /// What binds it.
    pub kind: BindingKind,
}

/// What binds a name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BindingKind {
    /// A `let` binding (also of legacy `let { }`).
    Let,
    /// An attribute of a `rec` set.
    RecAttr,
    /// `x` in `x: body`.
    Param,
    /// A field of a pattern.
    PatField,
    /// `args` in `{ ... } @ args`.
    PatAlias,
    /// The value of `e` in `inherit (e) ...`, evaluated once and shared; no name refers to it.
    InheritSource,
}

/// A lowered expression.
#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    /// Stands for a part that a syntax error left out; evaluating it is an error.
    Missing,
    /// An integer literal.
    Int(i64),
    /// A float literal.
    Float(f64),
    /// A string without interpolation (also URI literals). Raw source bytes that are not UTF-8
    /// travel as the private-use characters of `lix_syntax::source`.
    Str(Box<str>),
    /// A path literal, made absolute and canonical.
    Path(Box<str>),
    /// A variable reference.
    Var(Var),
    /// `"a${b}c"` or `./a/${b}`: the parts concatenated, each interpolated part coerced to a
    /// string. With `path`, the first part is a path and so is the result.
    Interpolate {
        /// The parts in order; literal pieces are `Str` (or `Path`) expressions.
        parts: Vec<ExprId>,
        /// Whether this is a path interpolation.
        path: bool,
    },
    /// `[ a b c ]`
    List(Vec<ExprId>),
    /// An attribute set, `rec` or not.
    Attrs(Attrs),
    /// `let bindings in body`: all bindings see each other (and `body` sees them all).
    Let {
        /// The scope's bindings.
        bindings: Vec<Binding>,
        /// The body.
        body: ExprId,
    },
    /// A function.
    Lambda(Box<Lambda>),
    /// `f a b`: a call with one or more arguments, applied left to right.
    Apply {
        /// The function.
        fun: ExprId,
        /// The arguments (at least one).
        args: Vec<ExprId>,
    },
    /// `e.a.b or d`
    Select {
        /// The set.
        expr: ExprId,
        /// The path (at least one key).
        path: Vec<AttrKey>,
        /// The `or` default.
        default: Option<ExprId>,
    },
    /// `e ? a.b`
    HasAttr {
        /// The set.
        expr: ExprId,
        /// The path (at least one key).
        path: Vec<AttrKey>,
    },
    /// A binary operator that is not defined through a builtin.
    BinOp {
        /// The operator.
        op: BinOp,
        /// Left operand.
        lhs: ExprId,
        /// Right operand.
        rhs: ExprId,
    },
    /// `!e`
    Not(ExprId),
    /// `if cond then then_ else else_`
    If {
        /// The condition.
        cond: ExprId,
        /// Value when true.
        then_: ExprId,
        /// Value when false.
        else_: ExprId,
    },
    /// `assert cond; body`
    Assert {
        /// The assertion.
        cond: ExprId,
        /// The value when it holds.
        body: ExprId,
    },
    /// `with namespace; body`
    With {
        /// The set whose attributes come into scope.
        namespace: ExprId,
        /// The body.
        body: ExprId,
    },
    /// `__curPos`: the position of this expression as `{ file; line; column; }`.
    CurPos,
}

/// Operators that are expressions of their own (the others are calls of builtins).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BinOp {
    /// `+`
    Add,
    /// `*`
    Mul,
    /// `/`
    Div,
    /// `++`
    Concat,
    /// `//`
    Update,
    /// `==`
    Eq,
    /// `!=`
    NotEq,
    /// `&&`
    And,
    /// `||`
    Or,
    /// `->`
    Impl,
}

impl BinOp {
    /// The operator as written.
    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::Add => "+",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::Concat => "++",
            BinOp::Update => "//",
            BinOp::Eq => "==",
            BinOp::NotEq => "!=",
            BinOp::And => "&&",
            BinOp::Or => "||",
            BinOp::Impl => "->",
        }
    }
}

/// A variable reference and where its value comes from.
#[derive(Clone, Debug, PartialEq)]
pub struct Var {
    /// The name as written.
    pub name: Box<str>,
    /// Where it resolves.
    pub resolution: Resolution,
}

/// Where a variable's value comes from, decided before evaluation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resolution {
    /// A binding of an enclosing `let`, `rec` set, lambda or pattern.
    Local(BindingId),
    /// A global (builtin or constant). Static bindings, globals included, win over `with`.
    Global,
    /// Not bound statically: looked up in the enclosing `with` scopes, innermost first.
    With,
    /// Bound nowhere (outside any `with`): the file does not evaluate.
    Undefined,
}

/// How a binding or attribute was written, for printing the lowered tree the way it was read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    /// `name = value;` (or a merged attribute path).
    Plain,
    /// `inherit name;`
    Inherit,
    /// `inherit (e) name;`, with the binding holding `e`.
    InheritFrom(BindingId),
}

/// A binding of a `let` or `rec` scope.
#[derive(Clone, Debug, PartialEq)]
pub struct Binding {
    /// The name bound.
    pub id: BindingId,
    /// Its value (lazy).
    pub value: ExprId,
    /// How it was written.
    pub origin: Origin,
}

/// An attribute set.
#[derive(Clone, Debug, PartialEq)]
pub struct Attrs {
    /// Whether the set was `rec` (for printing; the scope below is what matters).
    pub recursive: bool,
    /// Bindings evaluated in the set's scope before its attributes: for a `rec` set every
    /// attribute's value (the attributes then refer to them), and for any set the sources of
    /// `inherit (e)`.
    pub scope: Vec<Binding>,
    /// Statically named attributes, in source order (names are unique).
    pub entries: Vec<AttrEntry>,
    /// `${name} = value;` attributes, in source order; evaluated in the set's scope.
    pub dynamics: Vec<DynamicAttr>,
}

/// A statically named attribute.
#[derive(Clone, Debug, PartialEq)]
pub struct AttrEntry {
    /// The name.
    pub name: Box<str>,
    /// Where the name is written.
    pub span: TextRange,
    /// The value (lazy).
    pub value: ExprId,
    /// How it was written.
    pub origin: Origin,
}

/// An attribute whose name is computed.
#[derive(Clone, Debug, PartialEq)]
pub struct DynamicAttr {
    /// The name expression (must evaluate to a string, or null to drop the attribute).
    pub name: ExprId,
    /// The value (lazy).
    pub value: ExprId,
}

/// One key of an attribute path in `.` and `?`.
#[derive(Clone, Debug, PartialEq)]
pub enum AttrKey {
    /// A name known statically.
    Static(Box<str>),
    /// `${e}` or an interpolated string.
    Dynamic(ExprId),
}

/// A function.
#[derive(Clone, Debug, PartialEq)]
pub struct Lambda {
    /// The name of the attribute or binding it was defined as, for traces (`while calling 'f'`).
    pub name: Option<Box<str>>,
    /// The parameter.
    pub param: Param,
    /// The body.
    pub body: ExprId,
}

/// A lambda's parameter.
#[derive(Clone, Debug, PartialEq)]
pub enum Param {
    /// `x: body`
    Ident(BindingId),
    /// `{ a, b ? d, ... } @ args: body`
    Pattern(Pattern),
}

/// A destructuring parameter.
#[derive(Clone, Debug, PartialEq)]
pub struct Pattern {
    /// The fields in source order (names unique).
    pub fields: Vec<PatField>,
    /// Whether `...` allows other attributes.
    pub ellipsis: bool,
    /// `@ args`, binding the whole argument.
    pub alias: Option<BindingId>,
}

/// One field of a pattern.
#[derive(Clone, Debug, PartialEq)]
pub struct PatField {
    /// The binding (its name is the attribute taken).
    pub id: BindingId,
    /// The default, evaluated in the lambda's scope (it sees every field) when the attribute
    /// is missing.
    pub default: Option<ExprId>,
}
