//! Typed views over the syntax tree: one type per node kind, accessors that return `Option`
//! because a tree built from broken input may lack any part.

use crate::kind::SyntaxKind::{self, *};
use crate::kind::{SyntaxNode, SyntaxToken};

/// A typed view of a syntax node of one kind (or, for enums, of several).
pub trait AstNode: Sized {
    /// Whether a node of `kind` can be viewed as `Self`.
    fn can_cast(kind: SyntaxKind) -> bool;
    /// The view of `node`, if its kind fits.
    fn cast(node: SyntaxNode) -> Option<Self>;
    /// The underlying node.
    fn syntax(&self) -> &SyntaxNode;
}

fn child<N: AstNode>(node: &SyntaxNode) -> Option<N> {
    node.children().find_map(N::cast)
}

fn children<N: AstNode>(node: &SyntaxNode) -> impl Iterator<Item = N> {
    node.children().filter_map(N::cast)
}

fn token(node: &SyntaxNode, kind: SyntaxKind) -> Option<SyntaxToken> {
    node.children_with_tokens().filter_map(|e| e.into_token()).find(|t| t.kind() == kind)
}

/// The first child of type `N` that comes after the first direct token of `kind`.
fn child_after<N: AstNode>(node: &SyntaxNode, kind: SyntaxKind) -> Option<N> {
    node.children_with_tokens()
        .skip_while(|e| e.as_token().is_none_or(|t| t.kind() != kind))
        .filter_map(|e| e.into_node())
        .find_map(N::cast)
}

/// The first child of type `N` that comes before the first direct token of `kind`.
fn child_before<N: AstNode>(node: &SyntaxNode, kind: SyntaxKind) -> Option<N> {
    node.children_with_tokens()
        .take_while(|e| e.as_token().is_none_or(|t| t.kind() != kind))
        .filter_map(|e| e.into_node())
        .find_map(N::cast)
}

macro_rules! ast_node {
    ($(#[doc = $doc:literal] $name:ident = $kind:ident;)*) => {$(
        #[doc = $doc]
        #[derive(Clone, Debug, PartialEq, Eq, Hash)]
        pub struct $name {
            pub(crate) syntax: SyntaxNode,
        }

        impl AstNode for $name {
            fn can_cast(kind: SyntaxKind) -> bool {
                kind == $kind
            }
            fn cast(node: SyntaxNode) -> Option<Self> {
                (node.kind() == $kind).then(|| $name { syntax: node })
            }
            fn syntax(&self) -> &SyntaxNode {
                &self.syntax
            }
        }
    )*};
}

ast_node! {
    /// The whole file.
    Root = ROOT;
    /// Source the parser could not fit into the grammar.
    Error = ERROR;
    /// An integer, float, URI or `<...>` path.
    Literal = LITERAL;
    /// A variable reference.
    Variable = VARIABLE;
    /// A name: attribute, parameter or pattern field.
    Name = NAME;
    /// A string or indented string.
    Str = STRING;
    /// `${ e }` inside a string or path.
    Interpol = INTERPOL;
    /// A path literal.
    PathExpr = PATH_EXPR;
    /// `( e )`
    Paren = PAREN;
    /// `[ ... ]`
    List = LIST;
    /// `{ ... }` or `rec { ... }`.
    AttrSet = ATTR_SET;
    /// `let { ... }`
    LegacyLet = LEGACY_LET;
    /// `let ... in e`
    LetIn = LET_IN;
    /// `with e; body`
    With = WITH;
    /// `assert e; body`
    Assert = ASSERT;
    /// `if c then a else b`
    IfElse = IF_ELSE;
    /// `param: body`
    Lambda = LAMBDA;
    /// `x` in `x: body`.
    IdentParam = IDENT_PARAM;
    /// `{ a, b ? d, ... } @ name`
    Pattern = PATTERN;
    /// One field of a pattern.
    PatEntry = PAT_ENTRY;
    /// `name @` or `@ name`.
    PatBind = PAT_BIND;
    /// `f x`
    Apply = APPLY;
    /// `e.a.b or d`
    Select = SELECT;
    /// `e ? a.b`
    HasAttr = HAS_ATTR;
    /// `-e`, `!e`
    UnaryOp = UNARY_OP;
    /// `a OP b`
    BinOp = BIN_OP;
    /// `a.b.c`
    Attrpath = ATTRPATH;
    /// `${ e }` as an attribute name.
    Dynamic = DYNAMIC;
    /// `attrpath = value;`
    AttrpathValue = ATTRPATH_VALUE;
    /// `inherit (from) names;`
    Inherit = INHERIT;
    /// `(e)` in an inherit.
    InheritFrom = INHERIT_FROM;
    /// `inherit (e) [ a b ]` or `inherit (e) { a b }` as an expression.
    ContainerInherit = CONTAINER_INHERIT;
}

macro_rules! ast_enum {
    ($(#[doc = $doc:literal])* $name:ident { $($variant:ident),* $(,)? }) => {
        $(#[doc = $doc])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash)]
        pub enum $name {
            $(#[allow(missing_docs)] $variant($variant),)*
        }

        impl AstNode for $name {
            fn can_cast(kind: SyntaxKind) -> bool {
                false $(|| $variant::can_cast(kind))*
            }
            fn cast(node: SyntaxNode) -> Option<Self> {
                $(if $variant::can_cast(node.kind()) {
                    return $variant::cast(node).map($name::$variant);
                })*
                None
            }
            fn syntax(&self) -> &SyntaxNode {
                match self {
                    $($name::$variant(n) => n.syntax(),)*
                }
            }
        }
    };
}

ast_enum! {
    /// Any expression.
    Expr {
        Literal, Variable, Str, PathExpr, Paren, List, AttrSet, LegacyLet, LetIn, With, Assert,
        IfElse, Lambda, Apply, Select, HasAttr, UnaryOp, BinOp, ContainerInherit, Error,
    }
}

ast_enum! {
    /// One component of an attribute path.
    Attr { Name, Str, Dynamic }
}

ast_enum! {
    /// A lambda's parameter.
    Param { IdentParam, Pattern }
}

ast_enum! {
    /// A binding in a set or `let`.
    Binding { AttrpathValue, Inherit }
}

impl Root {
    /// The file's expression.
    pub fn expr(&self) -> Option<Expr> {
        child(&self.syntax)
    }
}

/// The kind of a literal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LiteralKind {
    /// `42`
    Integer,
    /// `4.2`
    Float,
    /// `https://example.org`
    Uri,
    /// `<nixpkgs>`
    SearchPath,
}

impl Literal {
    /// The literal's token.
    pub fn token(&self) -> Option<SyntaxToken> {
        self.syntax.first_token()
    }

    /// What kind of literal this is.
    pub fn kind(&self) -> Option<LiteralKind> {
        Some(match self.token()?.kind() {
            INTEGER => LiteralKind::Integer,
            FLOAT => LiteralKind::Float,
            URI => LiteralKind::Uri,
            SEARCH_PATH => LiteralKind::SearchPath,
            _ => return None,
        })
    }
}

impl Variable {
    /// The identifier (or, in edition 2024, `or`) token.
    pub fn token(&self) -> Option<SyntaxToken> {
        self.syntax.first_token().filter(|t| matches!(t.kind(), IDENT | OR_KW))
    }

    /// The variable's name.
    pub fn name(&self) -> Option<String> {
        self.token().map(|t| t.text().to_string())
    }
}

impl Name {
    /// The name's token.
    pub fn token(&self) -> Option<SyntaxToken> {
        self.syntax.first_token().filter(|t| matches!(t.kind(), IDENT | OR_KW))
    }

    /// The name as text.
    pub fn text(&self) -> Option<String> {
        self.token().map(|t| t.text().to_string())
    }
}

/// A piece of a string or path: literal text or an interpolation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StrPart {
    /// Literal text, escapes undecoded.
    Literal(SyntaxToken),
    /// `${ e }`
    Interpolation(Interpol),
}

fn parts(node: &SyntaxNode, literal: SyntaxKind) -> impl Iterator<Item = StrPart> {
    node.children_with_tokens().filter_map(move |e| match e {
        rowan::NodeOrToken::Token(t) if t.kind() == literal => Some(StrPart::Literal(t)),
        rowan::NodeOrToken::Node(n) => Interpol::cast(n).map(StrPart::Interpolation),
        _ => None,
    })
}

impl Str {
    /// Whether this is an indented string `''...''`.
    pub fn is_indented(&self) -> bool {
        self.syntax.first_token().is_some_and(|t| t.kind() == IND_QUOTE)
    }

    /// The string's text and interpolations, in order.
    pub fn parts(&self) -> impl Iterator<Item = StrPart> {
        parts(&self.syntax, STRING_CONTENT)
    }

    /// The string's value when it has no interpolation: escapes decoded, and for an indented
    /// string the common indentation and the first line's whitespace removed.
    pub fn static_value(&self) -> Option<String> {
        let mut text = String::new();
        for part in self.parts() {
            match part {
                StrPart::Literal(t) => text.push_str(t.text()),
                StrPart::Interpolation(_) => return None,
            }
        }
        Some(if self.is_indented() {
            crate::strings::unindent(&[crate::strings::IndPiece::Text(&text)]).concat()
        } else {
            crate::strings::unescape_string(&text)
        })
    }
}

impl Interpol {
    /// The interpolated expression.
    pub fn expr(&self) -> Option<Expr> {
        child(&self.syntax)
    }
}

impl PathExpr {
    /// The path's pieces and interpolations, in order.
    pub fn parts(&self) -> impl Iterator<Item = StrPart> {
        parts(&self.syntax, PATH)
    }
}

impl Paren {
    /// The expression in parentheses.
    pub fn expr(&self) -> Option<Expr> {
        child(&self.syntax)
    }
}

impl List {
    /// The list's elements.
    pub fn items(&self) -> impl Iterator<Item = Expr> {
        children(&self.syntax)
    }
}

impl AttrSet {
    /// Whether this is `rec { ... }`.
    pub fn is_rec(&self) -> bool {
        token(&self.syntax, REC_KW).is_some()
    }

    /// The set's bindings.
    pub fn bindings(&self) -> impl Iterator<Item = Binding> {
        children(&self.syntax)
    }
}

impl LegacyLet {
    /// The bindings, `body` among them.
    pub fn bindings(&self) -> impl Iterator<Item = Binding> {
        children(&self.syntax)
    }
}

impl LetIn {
    /// The bindings between `let` and `in`.
    pub fn bindings(&self) -> impl Iterator<Item = Binding> {
        children(&self.syntax)
    }

    /// The expression after `in`.
    pub fn body(&self) -> Option<Expr> {
        child_after(&self.syntax, IN_KW)
    }
}

impl With {
    /// The expression whose attributes come into scope.
    pub fn namespace(&self) -> Option<Expr> {
        child_before(&self.syntax, SEMICOLON)
    }

    /// The expression after `;`.
    pub fn body(&self) -> Option<Expr> {
        child_after(&self.syntax, SEMICOLON)
    }
}

impl Assert {
    /// The asserted condition.
    pub fn condition(&self) -> Option<Expr> {
        child_before(&self.syntax, SEMICOLON)
    }

    /// The expression after `;`.
    pub fn body(&self) -> Option<Expr> {
        child_after(&self.syntax, SEMICOLON)
    }
}

impl IfElse {
    /// The condition.
    pub fn condition(&self) -> Option<Expr> {
        child_before(&self.syntax, THEN_KW)
    }

    /// The `then` branch.
    pub fn then_branch(&self) -> Option<Expr> {
        child_after(&self.syntax, THEN_KW).filter(|e: &Expr| {
            let else_start = token(&self.syntax, ELSE_KW).map(|t| t.text_range().start());
            else_start.is_none_or(|s| e.syntax().text_range().start() < s)
        })
    }

    /// The `else` branch.
    pub fn else_branch(&self) -> Option<Expr> {
        child_after(&self.syntax, ELSE_KW)
    }
}

impl Lambda {
    /// The parameter.
    pub fn param(&self) -> Option<Param> {
        child(&self.syntax)
    }

    /// The body after `:`.
    pub fn body(&self) -> Option<Expr> {
        child_after(&self.syntax, COLON)
    }
}

impl IdentParam {
    /// The parameter's name.
    pub fn name(&self) -> Option<Name> {
        child(&self.syntax)
    }
}

impl Pattern {
    /// The pattern's fields.
    pub fn entries(&self) -> impl Iterator<Item = PatEntry> {
        children(&self.syntax)
    }

    /// Whether the pattern ends in `...`.
    pub fn has_ellipsis(&self) -> bool {
        token(&self.syntax, ELLIPSIS).is_some()
    }

    /// The `name @` or `@ name` binding, if any.
    pub fn bind(&self) -> Option<PatBind> {
        child(&self.syntax)
    }
}

impl PatEntry {
    /// The field's name.
    pub fn name(&self) -> Option<Name> {
        child(&self.syntax)
    }

    /// The default after `?`.
    pub fn default(&self) -> Option<Expr> {
        child_after(&self.syntax, QUESTION)
    }
}

impl PatBind {
    /// The name the whole argument is bound to.
    pub fn name(&self) -> Option<Name> {
        child(&self.syntax)
    }
}

impl Apply {
    /// The function.
    pub fn function(&self) -> Option<Expr> {
        child(&self.syntax)
    }

    /// The argument.
    pub fn argument(&self) -> Option<Expr> {
        children(&self.syntax).nth(1)
    }
}

impl Select {
    /// The expression selected from.
    pub fn expr(&self) -> Option<Expr> {
        child(&self.syntax)
    }

    /// The attribute path.
    pub fn attrpath(&self) -> Option<Attrpath> {
        child(&self.syntax)
    }

    /// The default after `or`.
    pub fn default_expr(&self) -> Option<Expr> {
        child_after(&self.syntax, OR_KW)
    }
}

impl HasAttr {
    /// The expression tested.
    pub fn expr(&self) -> Option<Expr> {
        child(&self.syntax)
    }

    /// The attribute path.
    pub fn attrpath(&self) -> Option<Attrpath> {
        child(&self.syntax)
    }
}

/// A prefix operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnaryOpKind {
    /// `-e`
    Negate,
    /// `!e`
    Not,
}

impl UnaryOp {
    /// The operator.
    pub fn operator(&self) -> Option<UnaryOpKind> {
        match self.syntax.first_token()?.kind() {
            MINUS => Some(UnaryOpKind::Negate),
            BANG => Some(UnaryOpKind::Not),
            _ => None,
        }
    }

    /// The operand.
    pub fn operand(&self) -> Option<Expr> {
        child(&self.syntax)
    }
}

/// An infix operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum BinOpKind {
    Implies,
    Or,
    And,
    Equal,
    NotEqual,
    Less,
    LessOrEq,
    Greater,
    GreaterOrEq,
    Update,
    Add,
    Sub,
    Mul,
    Div,
    Concat,
    /// `x |> f`
    PipeInto,
    /// `f <| x`
    PipeFrom,
}

impl BinOpKind {
    fn from_token(kind: SyntaxKind) -> Option<Self> {
        Some(match kind {
            IMPLIES => BinOpKind::Implies,
            OR_OR => BinOpKind::Or,
            AND_AND => BinOpKind::And,
            EQ => BinOpKind::Equal,
            NOT_EQ => BinOpKind::NotEqual,
            LESS => BinOpKind::Less,
            LESS_EQ => BinOpKind::LessOrEq,
            GREATER => BinOpKind::Greater,
            GREATER_EQ => BinOpKind::GreaterOrEq,
            UPDATE => BinOpKind::Update,
            PLUS => BinOpKind::Add,
            MINUS => BinOpKind::Sub,
            STAR => BinOpKind::Mul,
            SLASH => BinOpKind::Div,
            CONCAT => BinOpKind::Concat,
            PIPE_INTO => BinOpKind::PipeInto,
            PIPE_FROM => BinOpKind::PipeFrom,
            _ => return None,
        })
    }
}

impl BinOp {
    /// The operator token.
    pub fn operator_token(&self) -> Option<SyntaxToken> {
        self.syntax
            .children_with_tokens()
            .filter_map(|e| e.into_token())
            .find(|t| BinOpKind::from_token(t.kind()).is_some())
    }

    /// The operator.
    pub fn operator(&self) -> Option<BinOpKind> {
        BinOpKind::from_token(self.operator_token()?.kind())
    }

    /// The left operand.
    pub fn lhs(&self) -> Option<Expr> {
        child(&self.syntax)
    }

    /// The right operand.
    pub fn rhs(&self) -> Option<Expr> {
        let op = self.operator_token()?.kind();
        child_after(&self.syntax, op)
    }
}

impl Attrpath {
    /// The path's components.
    pub fn attrs(&self) -> impl Iterator<Item = Attr> {
        children(&self.syntax)
    }
}

impl Attr {
    /// The name when it is known without evaluation: an identifier, a string without
    /// interpolation, or `${"..."}` around such a string.
    pub fn static_name(&self) -> Option<String> {
        match self {
            Attr::Name(n) => n.text(),
            Attr::Str(s) => s.static_value(),
            Attr::Dynamic(d) => match d.expr()? {
                Expr::Str(s) => s.static_value(),
                _ => None,
            },
        }
    }
}

impl Dynamic {
    /// The expression naming the attribute.
    pub fn expr(&self) -> Option<Expr> {
        child(&self.syntax)
    }
}

impl AttrpathValue {
    /// The attribute path.
    pub fn attrpath(&self) -> Option<Attrpath> {
        child(&self.syntax)
    }

    /// The value after `=`.
    pub fn value(&self) -> Option<Expr> {
        child_after(&self.syntax, ASSIGN)
    }
}

/// Which container a container inherit builds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ContainerKind {
    /// `[ a b ]`: a list of the values.
    List,
    /// `{ a b }`: a set of the attributes.
    Set,
}

fn container_kind(node: &SyntaxNode) -> Option<ContainerKind> {
    node.children_with_tokens().filter_map(|e| e.into_token()).find_map(|t| match t.kind() {
        L_BRACK => Some(ContainerKind::List),
        L_BRACE => Some(ContainerKind::Set),
        _ => None,
    })
}

impl Inherit {
    /// The `(e)` to inherit from, if any.
    pub fn from(&self) -> Option<InheritFrom> {
        child(&self.syntax)
    }

    /// The inherited names.
    pub fn attrs(&self) -> impl Iterator<Item = Attr> {
        children(&self.syntax)
    }

    /// `Some` for the container forms `inherit (e) { a b };` (and the misplaced list form).
    pub fn container(&self) -> Option<ContainerKind> {
        container_kind(&self.syntax)
    }
}

impl InheritFrom {
    /// The expression inherited from.
    pub fn expr(&self) -> Option<Expr> {
        child(&self.syntax)
    }
}

impl ContainerInherit {
    /// The `(e)` to inherit from, if any.
    pub fn from(&self) -> Option<InheritFrom> {
        child(&self.syntax)
    }

    /// The inherited names.
    pub fn attrs(&self) -> impl Iterator<Item = Attr> {
        children(&self.syntax)
    }

    /// Whether this builds a list or a set.
    pub fn kind(&self) -> Option<ContainerKind> {
        container_kind(&self.syntax)
    }
}

impl Binding {
    /// The bindings of a set or `let` node, whichever it is.
    pub fn of(node: &SyntaxNode) -> impl Iterator<Item = Binding> {
        children(node)
    }
}
