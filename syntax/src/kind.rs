//! `SyntaxKind`: the name of every token and node of the Nix syntax tree, and the rowan language.

/// Every kind of token and node in a Nix syntax tree.
///
/// Tokens come first, nodes after `ROOT`; `is_token`/`is_trivia` rely on that order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u16)]
#[allow(non_camel_case_types)]
pub enum SyntaxKind {
    // ---- trivia ----
    /// Spaces, tabs and line breaks.
    WHITESPACE = 0,
    /// `# ...` to the end of the line, or `/* ... */`.
    COMMENT,
    /// Bytes the lexer could not read as any token.
    ERROR_TOKEN,

    // ---- keywords ----
    IF_KW,
    THEN_KW,
    ELSE_KW,
    ASSERT_KW,
    WITH_KW,
    LET_KW,
    IN_KW,
    REC_KW,
    INHERIT_KW,
    OR_KW,

    // ---- punctuation and operators ----
    L_BRACE,
    R_BRACE,
    L_BRACK,
    R_BRACK,
    L_PAREN,
    R_PAREN,
    SEMICOLON,
    COLON,
    COMMA,
    DOT,
    ELLIPSIS,
    ASSIGN,
    AT,
    QUESTION,
    BANG,
    PLUS,
    MINUS,
    STAR,
    SLASH,
    /// `//`
    UPDATE,
    /// `++`
    CONCAT,
    LESS,
    GREATER,
    LESS_EQ,
    GREATER_EQ,
    EQ,
    NOT_EQ,
    AND_AND,
    OR_OR,
    /// `->`
    IMPLIES,
    /// `|>` (edition 2026)
    PIPE_INTO,
    /// `<|` (edition 2026)
    PIPE_FROM,
    /// `${`, opening an interpolation or a dynamic attribute name.
    DOLLAR_CURLY,
    /// `"`
    QUOTE,
    /// `''`
    IND_QUOTE,

    // ---- literals ----
    IDENT,
    INTEGER,
    FLOAT,
    URI,
    /// One literal piece of a path: `./a/b`, `~/x`, `/abs`, or the text between interpolations.
    PATH,
    /// `<nixpkgs/lib>`
    SEARCH_PATH,
    /// Literal text inside a string or indented string, escapes undecoded.
    STRING_CONTENT,

    // ---- nodes ----
    /// The whole file.
    ROOT,
    /// Source the parser could not fit into the grammar.
    ERROR,
    /// An integer, float, URI or search path.
    LITERAL,
    /// A reference to a variable.
    VARIABLE,
    /// A name: an attribute name, a lambda parameter, a pattern field.
    NAME,
    /// `"..."` or `''...''`.
    STRING,
    /// `${ expr }` inside a string or path.
    INTERPOL,
    /// A path literal, possibly interpolated.
    PATH_EXPR,
    /// `( expr )`
    PAREN,
    /// `[ a b c ]`
    LIST,
    /// `{ ... }` or `rec { ... }`.
    ATTR_SET,
    /// `let { ...; body = ...; }` (legacy, edition 2024 only).
    LEGACY_LET,
    /// `let ... in expr`
    LET_IN,
    /// `with expr; expr`
    WITH,
    /// `assert expr; expr`
    ASSERT,
    /// `if c then a else b`
    IF_ELSE,
    /// `param: body`
    LAMBDA,
    /// The plain parameter of `x: body`.
    IDENT_PARAM,
    /// `{ a, b ? 1, ... }`, with an optional `@` binding.
    PATTERN,
    /// One field of a pattern: `a` or `b ? default`.
    PAT_ENTRY,
    /// The `name @` or `@ name` part of a pattern.
    PAT_BIND,
    /// `f x`
    APPLY,
    /// `e.a.b` or `e.a.b or default`.
    SELECT,
    /// `e ? a.b`
    HAS_ATTR,
    /// `-e` or `!e`.
    UNARY_OP,
    /// `a OP b`, pipes included.
    BIN_OP,
    /// `a.b."c".${d}`
    ATTRPATH,
    /// `${ expr }` as an attribute name.
    DYNAMIC,
    /// A binding `attrpath = expr;`.
    ATTRPATH_VALUE,
    /// `inherit a b;`, `inherit (e) a;`, and the set form `inherit (e) { a b };` (edition 2026).
    INHERIT,
    /// The `(e)` of `inherit (e) ...`.
    INHERIT_FROM,
    /// `inherit (e) [ a b ]` or `inherit (e) { a b }` as an expression (edition 2026).
    CONTAINER_INHERIT,
}

use SyntaxKind::*;

impl SyntaxKind {
    /// The last token kind; every kind after it is a node.
    const LAST_TOKEN: SyntaxKind = STRING_CONTENT;
    /// The last kind of all.
    const LAST: SyntaxKind = CONTAINER_INHERIT;

    /// Whether this kind is a token (a leaf) rather than a node.
    pub fn is_token(self) -> bool {
        self <= Self::LAST_TOKEN
    }

    /// Whitespace and comments: tokens the grammar never sees.
    pub fn is_trivia(self) -> bool {
        matches!(self, WHITESPACE | COMMENT)
    }

    /// Whether this is a keyword token.
    pub fn is_keyword(self) -> bool {
        (IF_KW..=OR_KW).contains(&self)
    }

    /// How a token of this kind is named to a user in an error message.
    pub fn describe(self) -> &'static str {
        match self {
            WHITESPACE => "whitespace",
            COMMENT => "a comment",
            ERROR_TOKEN => "an invalid character",
            IF_KW => "'if'",
            THEN_KW => "'then'",
            ELSE_KW => "'else'",
            ASSERT_KW => "'assert'",
            WITH_KW => "'with'",
            LET_KW => "'let'",
            IN_KW => "'in'",
            REC_KW => "'rec'",
            INHERIT_KW => "'inherit'",
            OR_KW => "'or'",
            L_BRACE => "'{'",
            R_BRACE => "'}'",
            L_BRACK => "'['",
            R_BRACK => "']'",
            L_PAREN => "'('",
            R_PAREN => "')'",
            SEMICOLON => "';'",
            COLON => "':'",
            COMMA => "','",
            DOT => "'.'",
            ELLIPSIS => "'...'",
            ASSIGN => "'='",
            AT => "'@'",
            QUESTION => "'?'",
            BANG => "'!'",
            PLUS => "'+'",
            MINUS => "'-'",
            STAR => "'*'",
            SLASH => "'/'",
            UPDATE => "'//'",
            CONCAT => "'++'",
            LESS => "'<'",
            GREATER => "'>'",
            LESS_EQ => "'<='",
            GREATER_EQ => "'>='",
            EQ => "'=='",
            NOT_EQ => "'!='",
            AND_AND => "'&&'",
            OR_OR => "'||'",
            IMPLIES => "'->'",
            PIPE_INTO => "'|>'",
            PIPE_FROM => "'<|'",
            DOLLAR_CURLY => "'${'",
            QUOTE => "'\"'",
            IND_QUOTE => "''",
            IDENT => "an identifier",
            INTEGER => "an integer",
            FLOAT => "a float",
            URI => "a URI",
            PATH => "a path",
            SEARCH_PATH => "a '<...>' path",
            STRING_CONTENT => "string text",
            _ => "a syntax node",
        }
    }

    /// Converts a raw rowan kind back, if it names one of ours.
    pub fn from_raw(raw: u16) -> Option<SyntaxKind> {
        if raw <= Self::LAST as u16 {
            // SAFETY: `SyntaxKind` is `repr(u16)` with contiguous discriminants from 0 to `LAST`.
            Some(unsafe { std::mem::transmute::<u16, SyntaxKind>(raw) })
        } else {
            None
        }
    }
}

impl From<SyntaxKind> for rowan::SyntaxKind {
    fn from(kind: SyntaxKind) -> Self {
        rowan::SyntaxKind(kind as u16)
    }
}

/// The rowan language of Nix trees.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum NixLanguage {}

impl rowan::Language for NixLanguage {
    type Kind = SyntaxKind;

    fn kind_from_raw(raw: rowan::SyntaxKind) -> SyntaxKind {
        // Every tree is built by this crate, so an unknown raw kind cannot occur; ERROR is the
        // harmless answer if one ever did.
        SyntaxKind::from_raw(raw.0).unwrap_or(ERROR)
    }

    fn kind_to_raw(kind: SyntaxKind) -> rowan::SyntaxKind {
        kind.into()
    }
}

/// A node of a Nix syntax tree.
pub type SyntaxNode = rowan::SyntaxNode<NixLanguage>;
/// A token of a Nix syntax tree.
pub type SyntaxToken = rowan::SyntaxToken<NixLanguage>;
/// A node or a token.
pub type SyntaxElement = rowan::SyntaxElement<NixLanguage>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_round_trip_covers_every_kind() {
        for raw in 0..=SyntaxKind::LAST as u16 {
            let kind = SyntaxKind::from_raw(raw).expect("contiguous");
            assert_eq!(kind as u16, raw);
        }
        assert_eq!(SyntaxKind::from_raw(SyntaxKind::LAST as u16 + 1), None);
        assert!(STRING_CONTENT.is_token() && !ROOT.is_token());
    }
}
