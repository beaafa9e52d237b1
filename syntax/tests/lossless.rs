//! Properties of `parse` on any input: it never panics, the tree holds every byte of the input,
//! and error ranges lie within the input. Valid programs from a small generator parse without
//! errors, and parse to the same tree whether they are written with the fewest parentheses or
//! with parentheses around every subexpression, and whatever trivia separate their tokens.
//! Plain tests cover the hostile inputs: deep nesting, long chains, large files, NUL bytes.

use lix_syntax::{parse, Parse, SyntaxErrorKind, SyntaxKind, SyntaxNode, MAX_DEPTH};
use proptest::prelude::*;

/// Checks the invariants that hold for every input, and returns the parse.
fn parse_checked(src: &str) -> Parse {
    let parse = parse(src);
    let root = parse.syntax();
    assert_eq!(root.to_string(), src, "the tree must hold every byte of the input");
    assert_eq!(u32::from(root.text_range().end()) as usize, src.len());
    for error in parse.errors() {
        let ranges = std::iter::once(&error.range).chain(error.notes.iter().map(|(r, _)| r));
        for range in ranges {
            let (start, end) = (range.start as usize, range.end as usize);
            assert!(start <= end && end <= src.len(), "{error:?} lies outside {src:?}");
            assert!(
                src.is_char_boundary(start) && src.is_char_boundary(end),
                "{error:?} splits a character of {src:?}"
            );
        }
        assert!(!error.message.is_empty());
    }
    let mut sorted = parse.errors().to_vec();
    sorted.sort_by_key(|e| (e.range.start, e.range.end));
    assert_eq!(sorted, parse.errors(), "errors come in source order");
    drop(root);
    parse
}

// ---------------------------------------------------------------- (a) arbitrary strings

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_unicode_round_trips(src in any::<String>()) {
        parse_checked(&src);
    }

    #[test]
    fn arbitrary_ascii_round_trips(src in "[\\x00-\\x7f]{0,80}") {
        parse_checked(&src);
    }
}

// ---------------------------------------------------------------- (b) token soup

/// Fragments of Nix source, valid and not, that exercise the lexer's modes and the parser's
/// error recovery when joined at random.
#[rustfmt::skip]
const VOCABULARY: &[&str] = &[
    "{", "}", "${", "$", "\"", "''", "'", "''$", "'''", "''\\", "\\", "\\\"", "(", ")", "[", "]",
    "./a/", "./a", "../b", "/abs", "~/h", "~/", "a/b", "<nixpkgs/lib>", "<", ">", "x:x",
    "http://e.org/a?b", "let", "in", "rec", "inherit", "with", "assert", "if", "then", "else",
    "or", "=", ";", ":", ",", ".", "...", "@", "?", "!", "+", "-", "*", "/", "//", "++", "==",
    "!=", "<=", ">=", "&&", "||", "->", "|>", "<|", "# c\n", "#", "/*", "*/", "/* c */", "a",
    "b'", "x-y", "_z", "__curPos", "0", "42", "9223372036854775808", "1.5", ".5", "1.e5", "8.",
    " ", "  ", "\n", "\t", "\r\n", "\r", "é", "λ", "\u{0}", "\u{7f}", "%", "`", "&", "|",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 1024, ..ProptestConfig::default() })]

    #[test]
    fn token_soup_round_trips(parts in prop::collection::vec(prop::sample::select(VOCABULARY), 0..48)) {
        parse_checked(&parts.concat());
    }

    #[test]
    fn token_soup_with_spaces_round_trips(
        parts in prop::collection::vec(prop::sample::select(VOCABULARY), 0..48),
    ) {
        parse_checked(&parts.join(" "));
    }
}

// ---------------------------------------------------------------- (c) valid programs

/// Separates tokens in printed programs; replaced by trivia before parsing.
const SEP: char = '\u{1}';

/// Trivia that may stand between any two tokens the printer separates. Each starts with
/// whitespace so that it cannot glue onto the token before it (`x:/*` would be a URI).
const TRIVIA: &[&str] = &[" ", "  ", "\n", "\t", "\r\n", " /* c */ ", " # c\n", "\n/**/\n"];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    PipeInto,
    PipeFrom,
    Implies,
    Or,
    And,
    Eq,
    NotEq,
    Less,
    Greater,
    LessEq,
    GreaterEq,
    Update,
    Add,
    Sub,
    Mul,
    Div,
    Concat,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Assoc {
    Left,
    Right,
    Non,
}

impl Op {
    const ALL: [Op; 17] = [
        Op::PipeInto,
        Op::PipeFrom,
        Op::Implies,
        Op::Or,
        Op::And,
        Op::Eq,
        Op::NotEq,
        Op::Less,
        Op::Greater,
        Op::LessEq,
        Op::GreaterEq,
        Op::Update,
        Op::Add,
        Op::Sub,
        Op::Mul,
        Op::Div,
        Op::Concat,
    ];

    fn text(self) -> &'static str {
        match self {
            Op::PipeInto => "|>",
            Op::PipeFrom => "<|",
            Op::Implies => "->",
            Op::Or => "||",
            Op::And => "&&",
            Op::Eq => "==",
            Op::NotEq => "!=",
            Op::Less => "<",
            Op::Greater => ">",
            Op::LessEq => "<=",
            Op::GreaterEq => ">=",
            Op::Update => "//",
            Op::Add => "+",
            Op::Sub => "-",
            Op::Mul => "*",
            Op::Div => "/",
            Op::Concat => "++",
        }
    }

    /// Binding strength per the Nix manual (higher binds tighter); `!` sits at 8.
    fn level(self) -> u8 {
        match self {
            Op::PipeInto | Op::PipeFrom => 1,
            Op::Implies => 2,
            Op::Or => 3,
            Op::And => 4,
            Op::Eq | Op::NotEq => 5,
            Op::Less | Op::Greater | Op::LessEq | Op::GreaterEq => 6,
            Op::Update => 7,
            Op::Add | Op::Sub => 9,
            Op::Mul | Op::Div => 10,
            Op::Concat => 11,
        }
    }

    fn assoc(self) -> Assoc {
        match self {
            Op::PipeInto | Op::Or | Op::And | Op::Add | Op::Sub | Op::Mul | Op::Div => Assoc::Left,
            Op::PipeFrom | Op::Implies | Op::Update | Op::Concat => Assoc::Right,
            _ => Assoc::Non,
        }
    }
}

/// A generated Nix expression. Names of bindings and formals are chosen when printing, by
/// position, so that they never clash.
#[derive(Clone, Debug)]
enum Expr {
    /// A token that stands alone: a number, a variable, a path, a URI.
    Atom(Atom, &'static str),
    Str(Vec<Part>),
    IndStr(Vec<Part>),
    /// A path with an interpolation: `prefix${e}suffix`.
    PathInterp(&'static str, Box<Expr>, &'static str),
    List(Vec<Expr>),
    Set {
        rec: bool,
        bindings: Vec<Binding>,
    },
    LegacyLet(Vec<Binding>),
    LetIn(Vec<Binding>, Box<Expr>),
    Lambda(Param, Box<Expr>),
    With(Box<Expr>, Box<Expr>),
    Assert(Box<Expr>, Box<Expr>),
    If(Box<Expr>, Box<Expr>, Box<Expr>),
    Bin(Op, Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    Neg(Box<Expr>),
    HasAttr(Box<Expr>, Vec<AttrName>),
    Select(Box<Expr>, Vec<AttrName>, Option<Box<Expr>>),
    Apply(Box<Expr>, Box<Expr>),
    /// `inherit (e) [ ... ]` (`set: false`) or `inherit (e) { ... }`, with `n` names.
    ContainerInherit {
        from: Box<Expr>,
        set: bool,
        n: usize,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Atom {
    /// Safe as the subject of a selection: `a.b`.
    Name,
    /// A number, path or URI: `1.a` or `./a.b` would lex differently, so a selection from
    /// one needs parentheses.
    Glued,
}

#[derive(Clone, Debug)]
enum Part {
    Text(&'static str),
    Interp(Expr),
}

#[derive(Clone, Debug)]
enum AttrName {
    Ident(&'static str),
    Str(&'static str),
    Dynamic(Box<Expr>),
}

#[derive(Clone, Debug)]
enum Binding {
    /// `nI.rest = value;`
    Value(Vec<AttrName>, Expr),
    /// `${e}.rest = value;` (sets only; dynamic names are not checked for duplicates).
    Dynamic(Expr, Expr),
    /// `inherit nI_0 ...;`
    Inherit(usize),
    /// `inherit (e) nI_0 ...;`
    InheritFrom(Expr, usize),
    /// `inherit (e) { nI_0 ... };`
    InheritSet(Expr, usize),
}

#[derive(Clone, Debug)]
enum Param {
    Ident,
    Pattern { defaults: Vec<Option<Expr>>, ellipsis: bool, trailing_comma: bool, bind: Bind },
}

#[derive(Clone, Copy, Debug)]
enum Bind {
    None,
    Before,
    After,
}

impl Expr {
    /// How tightly the printed form binds: 16 for atoms, 15 selection, 14 application,
    /// 13 negation, 12 `?`, the operator levels, and 0 for forms that extend to the right
    /// as far as possible (lambda, `let`, `with`, `assert`, `if`).
    fn level(&self) -> u8 {
        match self {
            Expr::Atom(..)
            | Expr::Str(_)
            | Expr::IndStr(_)
            | Expr::PathInterp(..)
            | Expr::List(_)
            | Expr::Set { .. }
            | Expr::LegacyLet(_)
            | Expr::ContainerInherit { .. } => 16,
            Expr::Select(..) => 15,
            Expr::Apply(..) => 14,
            Expr::Neg(_) => 13,
            Expr::HasAttr(..) => 12,
            Expr::Not(_) => 8,
            Expr::Bin(op, ..) => op.level(),
            Expr::LetIn(..) | Expr::Lambda(..) | Expr::With(..) | Expr::Assert(..) | Expr::If(..) => 0,
        }
    }

    /// Whether `e.a` may be written without parentheses around `e`.
    fn selectable(&self) -> bool {
        match self {
            Expr::Atom(atom, _) => *atom == Atom::Name,
            Expr::Str(_) | Expr::IndStr(_) | Expr::List(_) | Expr::Set { .. } | Expr::LegacyLet(_) => true,
            _ => false,
        }
    }
}

/// Prints an expression; `full` puts parentheses around every compound subexpression,
/// otherwise only where precedence requires them. Tokens are separated by [`SEP`].
struct Printer {
    full: bool,
    out: String,
}

impl Printer {
    /// A token, separated from the one before.
    fn tok(&mut self, text: &str) {
        if !self.out.is_empty() {
            self.out.push(SEP);
        }
        self.out.push_str(text);
    }

    /// Text glued to what came before: string contents, path pieces, attribute paths.
    fn glue(&mut self, text: &str) {
        self.out.push_str(text);
    }

    fn compound(e: &Expr) -> bool {
        !matches!(e, Expr::Atom(..))
    }

    /// Prints `e` in a position that needs it to bind at least as tightly as `min`.
    fn operand(&mut self, e: &Expr, min: u8) {
        if e.level() < min || (self.full && Self::compound(e)) {
            self.paren(e);
        } else {
            self.expr(e);
        }
    }

    /// Prints `e` in a position that takes any expression.
    fn any(&mut self, e: &Expr) {
        if self.full && Self::compound(e) {
            self.paren(e);
        } else {
            self.expr(e);
        }
    }

    fn paren(&mut self, e: &Expr) {
        self.tok("(");
        self.expr(e);
        self.tok(")");
    }

    /// A string; `open` is `"` or `''`, and closes it too.
    fn string(&mut self, open: &str, parts: &[Part]) {
        self.tok(open);
        for part in parts {
            match part {
                Part::Text(text) => self.glue(text),
                Part::Interp(e) => {
                    self.glue("${");
                    self.any(e);
                    self.tok("}");
                }
            }
        }
        self.glue(open);
    }

    fn attr(&mut self, name: &AttrName) {
        match name {
            AttrName::Ident(text) | AttrName::Str(text) => self.glue(text),
            AttrName::Dynamic(e) => {
                self.glue("${");
                self.any(e);
                self.tok("}");
            }
        }
    }

    /// `.a.b`, glued to what came before.
    fn attrpath_tail(&mut self, names: &[AttrName]) {
        for name in names {
            self.glue(".");
            self.attr(name);
        }
    }

    fn bindings(&mut self, bindings: &[Binding], prefix: &str) {
        for (i, binding) in bindings.iter().enumerate() {
            let name = format!("{prefix}{i}");
            let names = |n: usize| (0..n).map(|k| format!("{name}_{k}")).collect::<Vec<_>>();
            match binding {
                Binding::Value(rest, value) => {
                    self.tok(&name);
                    self.attrpath_tail(rest);
                    self.tok("=");
                    self.any(value);
                    self.tok(";");
                }
                Binding::Dynamic(key, value) => {
                    self.tok("${");
                    self.any(key);
                    self.tok("}");
                    self.tok("=");
                    self.any(value);
                    self.tok(";");
                }
                Binding::Inherit(n) => {
                    self.tok("inherit");
                    for n in names(*n) {
                        self.tok(&n);
                    }
                    self.tok(";");
                }
                Binding::InheritFrom(from, n) => {
                    self.tok("inherit");
                    self.tok("(");
                    self.any(from);
                    self.tok(")");
                    for n in names(*n) {
                        self.tok(&n);
                    }
                    self.tok(";");
                }
                Binding::InheritSet(from, n) => {
                    self.tok("inherit");
                    self.tok("(");
                    self.any(from);
                    self.tok(")");
                    self.tok("{");
                    for n in names(*n) {
                        self.tok(&n);
                    }
                    self.tok("}");
                    self.tok(";");
                }
            }
        }
    }

    fn expr(&mut self, e: &Expr) {
        match e {
            Expr::Atom(_, text) => self.tok(text),
            Expr::Str(parts) => self.string("\"", parts),
            Expr::IndStr(parts) => self.string("''", parts),
            Expr::PathInterp(prefix, inner, suffix) => {
                self.tok(prefix);
                self.glue("${");
                self.any(inner);
                self.tok("}");
                self.glue(suffix);
            }
            Expr::List(items) => {
                self.tok("[");
                for item in items {
                    match item {
                        // The list form splices its names into the list.
                        Expr::ContainerInherit { set: false, .. } if !self.full => self.expr(item),
                        Expr::ContainerInherit { set: true, .. } => self.paren(item),
                        _ => self.operand(item, 15),
                    }
                }
                self.tok("]");
            }
            Expr::Set { rec, bindings } => {
                if *rec {
                    self.tok("rec");
                }
                self.tok("{");
                self.bindings(bindings, "s");
                self.tok("}");
            }
            Expr::LegacyLet(bindings) => {
                self.tok("let");
                self.tok("{");
                self.bindings(bindings, "l");
                self.tok("}");
            }
            Expr::LetIn(bindings, body) => {
                self.tok("let");
                self.bindings(bindings, "v");
                self.tok("in");
                self.any(body);
            }
            Expr::Lambda(param, body) => {
                match param {
                    Param::Ident => self.tok("x"),
                    Param::Pattern { defaults, ellipsis, trailing_comma, bind } => {
                        if let Bind::Before = bind {
                            self.tok("args");
                            self.tok("@");
                        }
                        self.tok("{");
                        for (i, default) in defaults.iter().enumerate() {
                            if i > 0 {
                                self.tok(",");
                            }
                            self.tok(&format!("f{i}"));
                            if let Some(default) = default {
                                self.tok("?");
                                self.any(default);
                            }
                        }
                        if *ellipsis {
                            if !defaults.is_empty() {
                                self.tok(",");
                            }
                            self.tok("...");
                        } else if *trailing_comma && !defaults.is_empty() {
                            self.tok(",");
                        }
                        self.tok("}");
                        if let Bind::After = bind {
                            self.tok("@");
                            self.tok("args");
                        }
                    }
                }
                self.glue(":");
                self.any(body);
            }
            Expr::With(env, body) => {
                self.tok("with");
                self.any(env);
                self.tok(";");
                self.any(body);
            }
            Expr::Assert(cond, body) => {
                self.tok("assert");
                self.any(cond);
                self.tok(";");
                self.any(body);
            }
            Expr::If(cond, then, other) => {
                self.tok("if");
                self.any(cond);
                self.tok("then");
                self.any(then);
                self.tok("else");
                self.any(other);
            }
            Expr::Bin(op, lhs, rhs) => {
                let level = op.level();
                let side = |child: &Expr, assoc: Assoc| match child {
                    // Pipes of the two directions never mix without parentheses.
                    Expr::Bin(inner, ..) if inner.level() == level && *inner != *op && level == 1 => {
                        level + 1
                    }
                    _ if op.assoc() == assoc => level,
                    _ => level + 1,
                };
                let (min_l, min_r) = (side(lhs, Assoc::Left), side(rhs, Assoc::Right));
                self.operand(lhs, min_l);
                self.tok(op.text());
                self.operand(rhs, min_r);
            }
            Expr::Not(inner) => {
                self.tok("!");
                self.operand(inner, 8);
            }
            Expr::Neg(inner) => {
                self.tok("-");
                self.operand(inner, 13);
            }
            Expr::HasAttr(subject, path) => {
                self.operand(subject, 13);
                self.tok("?");
                let (first, rest) = path.split_first().expect("an attribute path is never empty");
                self.tok("");
                self.attr(first);
                self.attrpath_tail(rest);
            }
            Expr::Select(subject, path, default) => {
                if subject.selectable() && !self.full {
                    self.expr(subject);
                } else {
                    self.paren(subject);
                }
                self.attrpath_tail(path);
                if let Some(default) = default {
                    self.tok("or");
                    self.operand(default, 15);
                }
            }
            Expr::Apply(function, argument) => {
                self.operand(function, 14);
                self.operand(argument, 15);
            }
            Expr::ContainerInherit { from, set, n } => {
                self.tok("inherit");
                self.tok("(");
                self.any(from);
                self.tok(")");
                self.tok(if *set { "{" } else { "[" });
                for k in 0..*n {
                    self.tok(&format!("c{k}"));
                }
                self.tok(if *set { "}" } else { "]" });
            }
        }
    }
}

fn print(e: &Expr, full: bool) -> String {
    let mut printer = Printer { full, out: String::new() };
    printer.any(e);
    printer.out
}

fn boxed(e: impl Strategy<Value = Expr>) -> impl Strategy<Value = Box<Expr>> {
    e.prop_map(Box::new)
}

fn atom() -> impl Strategy<Value = Expr> {
    prop_oneof![
        prop::sample::select(&["a", "b", "x", "__curPos", "true", "null", "orange", "letter"][..])
            .prop_map(|t| Expr::Atom(Atom::Name, t)),
        prop::sample::select(GLUED).prop_map(|t| Expr::Atom(Atom::Glued, t)),
        prop::collection::vec(prop::sample::select(STR_TEXT), 0..4)
            .prop_map(|t| Expr::Str(t.into_iter().map(Part::Text).collect())),
        prop::collection::vec(prop::sample::select(IND_TEXT), 0..4)
            .prop_map(|t| Expr::IndStr(t.into_iter().map(Part::Text).collect())),
        Just(Expr::List(Vec::new())),
        Just(Expr::Set { rec: false, bindings: Vec::new() }),
    ]
}

/// Literals that glue onto a following `.`: numbers, paths, URIs.
#[rustfmt::skip]
const GLUED: &[&str] = &[
    "0", "42", "007", "1.5", ".5", "1.e5", "1.5e-3", "2.", "./a", "../a/b", "/abs", "~/h", "a/b",
    "<nixpkgs>", "<nixpkgs/lib>", "x:x", "http://e.org/a?b=c",
];

/// Pieces of `"..."` text: escapes, and `$` only where no `{` can follow it.
const STR_TEXT: &[&str] = &["abc", " ", "\\n", "\\\"", "\\${x}", "$$a", "$a", "\\\\", "é", "# /* */", "'"];
/// Pieces of `''...''` text: escapes, and no `'` at the end of a piece.
const IND_TEXT: &[&str] = &["abc", " ", "\n  ", "''$", "'''", "''\\n", "$$a", "'a", "é", "\"", "$'a"];

fn attr_name(inner: BoxedStrategy<Expr>) -> impl Strategy<Value = AttrName> {
    prop_oneof![
        3 => prop::sample::select(&["a", "or", "b'"][..]).prop_map(AttrName::Ident),
        1 => prop::sample::select(&["\"s\"", "\"a b\"", "\"\""][..]).prop_map(AttrName::Str),
        1 => boxed(inner)
            .prop_filter("a plain string in ${} is a static name", |e| !is_plain_string(e))
            .prop_map(AttrName::Dynamic),
    ]
}

/// `"…"` or `''…''` without interpolation: as a `${…}` name it is static (and may clash).
fn is_plain_string(e: &Expr) -> bool {
    match e {
        Expr::Str(parts) | Expr::IndStr(parts) => parts.iter().all(|p| matches!(p, Part::Text(_))),
        _ => false,
    }
}

fn binding(inner: BoxedStrategy<Expr>, dynamic: bool) -> impl Strategy<Value = Binding> {
    let value = (prop::collection::vec(attr_name(inner.clone()), 0..3), inner.clone())
        .prop_map(|(rest, e)| Binding::Value(rest, e));
    let dynamic_value = (inner.clone(), inner.clone())
        .prop_filter("a plain string in ${} is a static name", |(k, _)| !is_plain_string(k))
        .prop_map(|(k, v)| Binding::Dynamic(k, v));
    prop_oneof![
        4 => value,
        u32::from(dynamic) => dynamic_value,
        1 => (0..3usize).prop_map(Binding::Inherit),
        1 => (inner.clone(), 0..3usize).prop_map(|(e, n)| Binding::InheritFrom(e, n)),
        1 => (inner, 0..3usize).prop_map(|(e, n)| Binding::InheritSet(e, n)),
    ]
}

fn param(inner: BoxedStrategy<Expr>) -> impl Strategy<Value = Param> {
    prop_oneof![
        Just(Param::Ident),
        (
            prop::collection::vec(prop::option::of(inner), 0..3),
            any::<bool>(),
            any::<bool>(),
            prop::sample::select(&[Bind::None, Bind::Before, Bind::After][..]),
        )
            .prop_map(|(defaults, ellipsis, trailing_comma, bind)| Param::Pattern {
                defaults,
                ellipsis,
                trailing_comma,
                bind
            }),
    ]
}

fn expr() -> impl Strategy<Value = Expr> {
    atom().prop_recursive(4, 48, 4, |inner| {
        let e = inner.clone().boxed();
        let b = || boxed(inner.clone());
        let path_prefix = prop::sample::select(&["./a/", "./a", "~/", "a/"][..]);
        let path_suffix = prop::sample::select(&["", "/c", ".nix"][..]);
        let parts = prop::collection::vec(
            prop_oneof![prop::sample::select(STR_TEXT).prop_map(Part::Text), e.clone().prop_map(Part::Interp)],
            0..4,
        );
        let ind_parts = prop::collection::vec(
            prop_oneof![prop::sample::select(IND_TEXT).prop_map(Part::Text), e.clone().prop_map(Part::Interp)],
            0..4,
        );
        let attrpath = || prop::collection::vec(attr_name(e.clone()), 1..3);
        prop_oneof![
            1 => parts.prop_map(Expr::Str),
            1 => ind_parts.prop_map(Expr::IndStr),
            1 => (path_prefix, b(), path_suffix).prop_map(|(p, e, s)| Expr::PathInterp(p, e, s)),
            1 => prop::collection::vec(e.clone(), 0..4).prop_map(Expr::List),
            1 => (any::<bool>(), prop::collection::vec(binding(e.clone(), true), 0..4))
                .prop_map(|(rec, bindings)| Expr::Set { rec, bindings }),
            1 => prop::collection::vec(binding(e.clone(), false), 0..3).prop_map(Expr::LegacyLet),
            1 => (prop::collection::vec(binding(e.clone(), false), 0..3), b()).prop_map(|(bs, body)| Expr::LetIn(bs, body)),
            1 => (param(e.clone()), b()).prop_map(|(p, body)| Expr::Lambda(p, body)),
            1 => (b(), b()).prop_map(|(env, body)| Expr::With(env, body)),
            1 => (b(), b()).prop_map(|(cond, body)| Expr::Assert(cond, body)),
            1 => (b(), b(), b()).prop_map(|(c, t, f)| Expr::If(c, t, f)),
            4 => (prop::sample::select(&Op::ALL[..]), b(), b()).prop_map(|(op, l, r)| Expr::Bin(op, l, r)),
            1 => b().prop_map(Expr::Not),
            1 => b().prop_map(Expr::Neg),
            1 => (b(), attrpath()).prop_map(|(e, p)| Expr::HasAttr(e, p)),
            2 => (b(), attrpath(), prop::option::of(b())).prop_map(|(e, p, d)| Expr::Select(e, p, d)),
            2 => (b(), b()).prop_map(|(f, a)| Expr::Apply(f, a)),
            1 => (b(), any::<bool>(), 0..3usize).prop_map(|(from, set, n)| Expr::ContainerInherit { from, set, n }),
        ]
    })
}

/// Operator expressions only, over variables and a few literals: the generator that stresses
/// precedence and associativity.
fn op_expr() -> impl Strategy<Value = Expr> {
    let leaf = prop_oneof![
        4 => prop::sample::select(&["a", "b", "c", "d"][..]).prop_map(|t| Expr::Atom(Atom::Name, t)),
        1 => prop::sample::select(&["1", "2.5", "./p", "\"s\""][..]).prop_map(|t| Expr::Atom(Atom::Glued, t)),
    ];
    leaf.prop_recursive(6, 64, 2, |inner| {
        let b = || boxed(inner.clone());
        let name = prop::sample::select(&["a", "or"][..]).prop_map(AttrName::Ident);
        prop_oneof![
            12 => (prop::sample::select(&Op::ALL[..]), b(), b()).prop_map(|(op, l, r)| Expr::Bin(op, l, r)),
            2 => b().prop_map(Expr::Not),
            2 => b().prop_map(Expr::Neg),
            1 => (b(), name.clone()).prop_map(|(e, n)| Expr::HasAttr(e, vec![n])),
            1 => (b(), name, prop::option::of(b())).prop_map(|(e, n, d)| Expr::Select(e, vec![n], d)),
            2 => (b(), b()).prop_map(|(f, a)| Expr::Apply(f, a)),
        ]
    })
}

/// The tree's shape without parentheses and trivia, as an S-expression.
fn shape(node: &SyntaxNode) -> String {
    let mut out = String::new();
    shape_into(node, &mut out);
    out
}

fn shape_into(node: &SyntaxNode, out: &mut String) {
    if node.kind() == SyntaxKind::PAREN {
        for child in node.children() {
            shape_into(&child, out);
        }
        return;
    }
    out.push_str(&format!("({:?}", node.kind()));
    for child in node.children_with_tokens() {
        if let Some(child) = child.as_node() {
            out.push(' ');
            shape_into(child, out);
        } else if let Some(token) = child.as_token().filter(|t| !t.kind().is_trivia()) {
            out.push_str(&format!(" {:?}", token.text()));
        }
    }
    out.push(')');
}

fn assert_valid(src: &str) -> String {
    let parse = parse_checked(src);
    assert!(parse.is_ok(), "{src:?} should parse:\n{:?}\n{:#?}", parse.errors(), parse.syntax());
    shape(&parse.syntax())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Precedence and associativity: the fewest parentheses give the same tree as parentheses
    /// around everything.
    #[test]
    fn valid_programs_parse_with_the_printed_structure(e in expr()) {
        let minimal = print(&e, false).replace(SEP, " ");
        let full = print(&e, true).replace(SEP, " ");
        let minimal_shape = assert_valid(&minimal);
        let full_shape = assert_valid(&full);
        prop_assert_eq!(minimal_shape, full_shape, "{} vs {}", minimal, full);
    }

}

proptest! {
    // Cheap cases, and a mis-nested pair of operators is rare among random trees: many of them.
    #![proptest_config(ProptestConfig { cases: 4096, ..ProptestConfig::default() })]

    /// The same for operator expressions alone, nested deeper.
    #[test]
    fn operators_parse_with_the_printed_structure(e in op_expr()) {
        let minimal = print(&e, false).replace(SEP, " ");
        let full = print(&e, true).replace(SEP, " ");
        prop_assert_eq!(assert_valid(&minimal), assert_valid(&full), "{} vs {}", minimal, full);
    }

}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Whitespace and comments between tokens change nothing but the trivia.
    #[test]
    fn trivia_anywhere_changes_nothing(
        e in expr(),
        picks in prop::collection::vec(prop::sample::select(TRIVIA), 64),
    ) {
        let printed = print(&e, false);
        let plain = printed.replace(SEP, " ");
        let mut picks = picks.iter().cycle();
        let spaced: String = printed
            .split(SEP)
            .enumerate()
            .map(|(i, piece)| if i == 0 { piece.to_string() } else { format!("{}{piece}", picks.next().unwrap()) })
            .collect();
        prop_assert_eq!(assert_valid(&plain), assert_valid(&spaced), "{:?}", spaced);
    }
}

// ---------------------------------------------------------------- (d) hostile inputs

#[test]
fn ten_thousand_nested_parentheses_parse() {
    let n = 10_000;
    let src = format!("{}1{}", "(".repeat(n), ")".repeat(n));
    let parse = parse_checked(&src);
    assert!(parse.is_ok(), "{:?}", parse.errors());
    let root = parse.syntax();
    assert_eq!(root.descendants().filter(|n| n.kind() == SyntaxKind::PAREN).count(), n);
    let literal = root.descendants().find(|n| n.kind() == SyntaxKind::LITERAL).expect("the 1");
    assert_eq!(literal.text_range(), lix_syntax::TextRange::at((n as u32).into(), 1.into()));
    assert_eq!(literal.ancestors().count(), n + 2);
    drop((literal, root));
}

#[test]
fn hundred_thousand_nested_brackets_are_too_deep() {
    let n = 100_000;
    let src = format!("{}{}", "[".repeat(n), "]".repeat(n));
    let parse = parse_checked(&src);
    let kinds: Vec<_> = parse.errors().iter().map(|e| e.kind).collect();
    assert_eq!(kinds, [SyntaxErrorKind::TooDeep]);
    assert!(parse.depth() <= MAX_DEPTH);
}

#[test]
fn nesting_just_below_the_bound_is_kept() {
    // ROOT, then one LIST per bracket, then nothing deeper: MAX_DEPTH - 1 brackets fit.
    let n = MAX_DEPTH - 1;
    let src = format!("{}{}", "[".repeat(n), "]".repeat(n));
    let parse = parse_checked(&src);
    assert!(parse.is_ok(), "{:?}", parse.errors());
    assert_eq!(parse.depth(), MAX_DEPTH);
    let deeper = format!("[{src}]");
    let kinds: Vec<_> = parse_checked(&deeper).errors().iter().map(|e| e.kind).collect();
    assert_eq!(kinds, [SyntaxErrorKind::TooDeep]);
}

#[test]
fn million_term_sum_does_not_crash() {
    let n = 1_000_000;
    let src = format!("1{}", " + 1".repeat(n - 1));
    let parse = parse_checked(&src);
    let kinds: Vec<_> = parse.errors().iter().map(|e| e.kind).collect();
    // A left-nested chain is as deep as it is long, so it meets the depth bound.
    if kinds.is_empty() {
        let ops = parse.syntax().descendants().filter(|n| n.kind() == SyntaxKind::BIN_OP).count();
        assert_eq!(ops, n - 1);
    } else {
        assert_eq!(kinds, [SyntaxErrorKind::TooDeep]);
    }
}

#[test]
fn five_megabytes_of_real_nix_parse() {
    let real = include_str!("../test_data/parser/ok/realistic.nix");
    let mut src = String::from("[\n");
    while src.len() < 5_000_000 {
        src.push('(');
        src.push_str(real);
        src.push_str(")\n");
    }
    src.push(']');
    let start = std::time::Instant::now();
    let parse = parse_checked(&src);
    let elapsed = start.elapsed();
    assert!(parse.is_ok(), "{:?}", &parse.errors()[..parse.errors().len().min(3)]);
    // Generous even for an unoptimised build; a release build takes a small fraction of it.
    assert!(elapsed < std::time::Duration::from_secs(60), "5 MB took {elapsed:?}");
}

#[test]
fn nul_bytes_and_control_characters() {
    for src in ["\0", "a\0b", "1 +\0 2", "\u{1}\u{7f}", "\u{1b}[31m", "\u{feff}1", "x\u{85}y"] {
        let parse = parse_checked(src);
        assert!(
            parse.errors().iter().any(|e| e.kind == SyntaxErrorKind::InvalidCharacter),
            "{src:?}: {:?}",
            parse.errors()
        );
    }
    // Inside strings and comments they are text.
    for src in ["\"a\0b\"", "''\0\u{1}''", "# \0\n1", "/* \0 */ 1", "\"\u{7f}\""] {
        let parse = parse_checked(src);
        assert!(parse.is_ok(), "{src:?}: {:?}", parse.errors());
    }
}
