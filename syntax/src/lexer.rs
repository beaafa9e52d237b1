//! The lexer: logos automata for each lexer mode, and the mode stack that strings, indented
//! strings, paths and interpolations need.
//!
//! Nix cannot be tokenised by one regular automaton: `"a ${b} c"` switches from string text to
//! expressions and back, and a path such as `./a/${b}/c` continues only while no whitespace
//! intervenes. [`lex`] runs one logos automaton per mode and keeps a stack of the interpolations
//! and braces that are open, so a `}` knows whether it closes a set or an interpolation.
//!
//! The lexer never fails: bytes it cannot read become [`SyntaxKind::ERROR_TOKEN`] and an error.
//! Every byte of the input belongs to exactly one token, so the tokens' texts concatenate back to
//! the input.

use logos::Logos;

use crate::error::{SyntaxError, SyntaxErrorKind};
use crate::kind::SyntaxKind::{self, *};

/// What the grammar sees of a token: the lexer tells apart tokens that share a tree kind but
/// mean different things to the grammar (a path's first piece and its continuation, or `${`
/// inside a path and `${` elsewhere).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Terminal {
    /// Any token whose tree kind is all the grammar needs.
    Plain,
    /// The first piece of a path literal.
    PathStart,
    /// A later piece of a path literal, directly after the previous piece or interpolation.
    PathCont,
    /// `${` directly after a path piece.
    PathInterp,
}

/// A token of the input: its kind, what the grammar sees, and where it starts. Tokens tile the
/// input, so a token ends where the next one starts (see [`range`]); leaving the end out keeps a
/// token to 8 bytes, and a file has about one token per two or three bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Token {
    /// The kind the token has in the syntax tree.
    pub kind: SyntaxKind,
    /// How the grammar sees it.
    pub terminal: Terminal,
    /// Byte offset of the first byte.
    pub start: u32,
}

/// The byte range of token `i` of `tokens`, the tokens of a source `len` bytes long.
pub fn range(tokens: &[Token], i: usize, len: usize) -> std::ops::Range<usize> {
    tokens[i].start as usize..tokens.get(i + 1).map_or(len, |t| t.start as usize)
}

/// The text of token `i` of `tokens`, the tokens of `src`.
pub fn text<'a>(src: &'a str, tokens: &[Token], i: usize) -> &'a str {
    &src[range(tokens, i, src.len())]
}

/// Tokens of the expression mode.
#[derive(Logos, Clone, Copy, Debug, PartialEq, Eq)]
enum Normal {
    #[regex(r"[ \t\r\n]+")]
    Whitespace,
    #[regex(r"#[^\r\n]*", allow_greedy = true)]
    LineComment,
    #[token("/*")]
    BlockCommentStart,

    #[token("if")]
    If,
    #[token("then")]
    Then,
    #[token("else")]
    Else,
    #[token("assert")]
    Assert,
    #[token("with")]
    With,
    #[token("let")]
    Let,
    #[token("in")]
    In,
    #[token("rec")]
    Rec,
    #[token("inherit")]
    Inherit,
    #[token("or")]
    Or,

    #[token("{")]
    LBrace,
    #[token("}")]
    RBrace,
    #[token("[")]
    LBrack,
    #[token("]")]
    RBrack,
    #[token("(")]
    LParen,
    #[token(")")]
    RParen,
    #[token(";")]
    Semicolon,
    #[token(":")]
    Colon,
    #[token(",")]
    Comma,
    #[token(".")]
    Dot,
    #[token("...")]
    Ellipsis,
    #[token("=")]
    Assign,
    #[token("@")]
    At,
    #[token("?")]
    Question,
    #[token("!")]
    Bang,
    #[token("+")]
    Plus,
    #[token("-")]
    Minus,
    #[token("*")]
    Star,
    #[token("/")]
    Slash,
    #[token("//")]
    Update,
    #[token("++")]
    Concat,
    #[token("<")]
    Less,
    #[token(">")]
    Greater,
    #[token("<=")]
    LessEq,
    #[token(">=")]
    GreaterEq,
    #[token("==")]
    Eq,
    #[token("!=")]
    NotEq,
    #[token("&&")]
    AndAnd,
    #[token("||")]
    OrOr,
    #[token("->")]
    Implies,
    #[token("|>")]
    PipeInto,
    #[token("<|")]
    PipeFrom,
    #[token("${")]
    DollarCurly,
    #[token("\"")]
    Quote,
    #[token("''")]
    IndQuote,

    #[regex(r"[a-zA-Z_][a-zA-Z0-9_'\-]*")]
    Ident,
    #[regex(r"[0-9]+")]
    Integer,
    #[regex(r"(([1-9][0-9]*\.[0-9]*)|(0?\.[0-9]+))([Ee][+\-]?[0-9]+)?")]
    Float,
    #[regex(r"[a-zA-Z0-9._\-+]*(/[a-zA-Z0-9._\-+]+)+/?")]
    Path,
    /// A path piece ending in `/` directly followed by `${`.
    #[regex(r"[a-zA-Z0-9._\-+]*/\$\{")]
    PathInterpStart,
    #[regex(r"~(/[a-zA-Z0-9._\-+]+)+/?")]
    HomePath,
    /// `~/` directly followed by `${`.
    #[token("~/${")]
    HomePathInterpStart,
    #[regex(r"<[a-zA-Z0-9._\-+]+(/[a-zA-Z0-9._\-+]+)*>")]
    SearchPath,
    #[regex(r"[a-zA-Z][a-zA-Z0-9+\-.]*:[a-zA-Z0-9%/?:@&=+$,\-_.!~*']+")]
    Uri,
}

/// Marks a [`Normal`] token that needs more than its tree kind (see `Lexer::normal`); no
/// token of that mode has this kind.
const SPECIAL: SyntaxKind = ROOT;

/// The tree kind of each [`Normal`] token that needs nothing else, [`SPECIAL`] for the others.
/// A table rather than a `match`: a `match` over the token compiles to a jump through a table
/// of code addresses, an indirect branch that the processor predicts badly.
const SIMPLE_KINDS: [SyntaxKind; Normal::Uri as usize + 1] = {
    let mut t = [SPECIAL; Normal::Uri as usize + 1];
    t[Normal::Whitespace as usize] = WHITESPACE;
    t[Normal::LineComment as usize] = COMMENT;
    t[Normal::If as usize] = IF_KW;
    t[Normal::Then as usize] = THEN_KW;
    t[Normal::Else as usize] = ELSE_KW;
    t[Normal::Assert as usize] = ASSERT_KW;
    t[Normal::With as usize] = WITH_KW;
    t[Normal::Let as usize] = LET_KW;
    t[Normal::In as usize] = IN_KW;
    t[Normal::Rec as usize] = REC_KW;
    t[Normal::Inherit as usize] = INHERIT_KW;
    t[Normal::Or as usize] = OR_KW;
    t[Normal::LBrack as usize] = L_BRACK;
    t[Normal::RBrack as usize] = R_BRACK;
    t[Normal::LParen as usize] = L_PAREN;
    t[Normal::RParen as usize] = R_PAREN;
    t[Normal::Semicolon as usize] = SEMICOLON;
    t[Normal::Colon as usize] = COLON;
    t[Normal::Comma as usize] = COMMA;
    t[Normal::Dot as usize] = DOT;
    t[Normal::Ellipsis as usize] = ELLIPSIS;
    t[Normal::Assign as usize] = ASSIGN;
    t[Normal::At as usize] = AT;
    t[Normal::Question as usize] = QUESTION;
    t[Normal::Bang as usize] = BANG;
    t[Normal::Plus as usize] = PLUS;
    t[Normal::Minus as usize] = MINUS;
    t[Normal::Star as usize] = STAR;
    t[Normal::Slash as usize] = SLASH;
    t[Normal::Update as usize] = UPDATE;
    t[Normal::Concat as usize] = CONCAT;
    t[Normal::Less as usize] = LESS;
    t[Normal::Greater as usize] = GREATER;
    t[Normal::LessEq as usize] = LESS_EQ;
    t[Normal::GreaterEq as usize] = GREATER_EQ;
    t[Normal::Eq as usize] = EQ;
    t[Normal::NotEq as usize] = NOT_EQ;
    t[Normal::AndAnd as usize] = AND_AND;
    t[Normal::OrOr as usize] = OR_OR;
    t[Normal::Implies as usize] = IMPLIES;
    t[Normal::PipeInto as usize] = PIPE_INTO;
    t[Normal::PipeFrom as usize] = PIPE_FROM;
    t[Normal::Ident as usize] = IDENT;
    t[Normal::Float as usize] = FLOAT;
    t[Normal::SearchPath as usize] = SEARCH_PATH;
    t[Normal::Uri as usize] = URI;
    t[Normal::LBrace as usize] = L_BRACE;
    t
};

/// Tokens inside `"..."`.
#[derive(Logos, Clone, Copy, Debug, PartialEq, Eq)]
enum Str {
    #[token("\"")]
    Close,
    #[token("${")]
    Interp,
    #[regex(r#"([^$"\\]|\$[^{"\\]|\\(.|\n)|\$\\(.|\n))+"#)]
    Text,
    /// A `$` or `\` that nothing can follow: before the closing quote or the end of input.
    #[regex(r"\$|\\|\$\\")]
    Lone,
}

/// Tokens inside `''...''`.
#[derive(Logos, Clone, Copy, Debug, PartialEq, Eq)]
enum IndStr {
    #[token("''")]
    Close,
    #[token("${")]
    Interp,
    #[regex(r"([^$']|\$[^{']|'[^'$])+")]
    Text,
    /// `''$`, `'''` and `''\x`: escapes, which are string text.
    #[regex(r"''\$|'''|''\\(.|\n)")]
    Escape,
    /// A `$` or `'` on its own.
    #[regex(r"\$|'")]
    Lone,
}

/// Tokens directly after a path piece.
#[derive(Logos, Clone, Copy, Debug, PartialEq, Eq)]
enum InPath {
    #[token("${")]
    Interp,
    #[regex(r"[a-zA-Z0-9._\-+]*(/[a-zA-Z0-9._\-+]+)+/?|[a-zA-Z0-9._\-+]*/|[a-zA-Z0-9._\-+]+")]
    Piece,
}

/// The lexer's mode: which automaton reads the next token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    Normal,
    Str,
    IndStr,
    /// Directly after a path piece; `slash` when that piece ended in `/`.
    Path { slash: bool },
}

/// What an open `{` or `${` returns to when its `}` comes.
#[derive(Clone, Copy, Debug)]
enum Frame {
    Brace,
    Interp(Mode),
}

/// The result of lexing: every token of the input in order, and the lexical errors.
#[derive(Debug, Default)]
pub struct Lexed {
    /// All tokens, trivia included; their ranges tile the input.
    pub tokens: Vec<Token>,
    /// Lexical errors: invalid characters, unterminated comments, trailing slashes, integers
    /// out of range.
    pub errors: Vec<SyntaxError>,
}

/// Splits `src` into tokens. Never fails; see the module docs.
///
/// `src` must be shorter than 4 GiB (offsets are `u32`); [`crate::parse`] checks that.
pub fn lex(src: &str) -> Lexed {
    let mut lexer = Lexer { src, pos: 0, mode: Mode::Normal, stack: Vec::new(), out: Lexed::default() };
    lexer.run();
    lexer.out
}

struct Lexer<'a> {
    src: &'a str,
    pos: usize,
    mode: Mode,
    stack: Vec<Frame>,
    out: Lexed,
}

impl Lexer<'_> {
    fn run(&mut self) {
        // Real code has about one token (trivia included) per 2.5 bytes; reserving one per two
        // avoids copying the vector as it grows, and pages that are never written cost nothing.
        self.out.tokens.reserve(self.src.len() / 2 + 16);
        while self.pos < self.src.len() {
            match self.mode {
                Mode::Normal => self.normal(),
                Mode::Str => self.string(),
                Mode::IndStr => self.ind_string(),
                Mode::Path { slash } => self.in_path(slash),
            }
        }
        if let Mode::Path { slash: true } = self.mode {
            self.trailing_slash();
        }
    }

    fn push(&mut self, kind: SyntaxKind, terminal: Terminal, start: usize, end: usize) {
        // Adjacent pieces of string text and adjacent invalid bytes become one token each.
        // Tokens tile the input, so the last token always ends where this one starts.
        if let Some(last) = self.out.tokens.last_mut() {
            if last.kind == kind && matches!(kind, STRING_CONTENT | ERROR_TOKEN) {
                if kind == ERROR_TOKEN {
                    if let Some(err) = self.out.errors.last_mut() {
                        if err.kind == SyntaxErrorKind::InvalidCharacter {
                            err.range = err.range.start..end as u32;
                        }
                    }
                }
                return;
            }
        }
        self.out.tokens.push(Token { kind, terminal, start: start as u32 });
    }

    fn error(&mut self, kind: SyntaxErrorKind, start: usize, end: usize, message: String) {
        self.out.errors.push(SyntaxError::new(kind, start as u32..end as u32, message));
    }

    fn invalid(&mut self, start: usize, end: usize) {
        let merges = matches!(self.out.tokens.last(), Some(t) if t.kind == ERROR_TOKEN);
        if !merges {
            let ch = self.src[start..].chars().next().unwrap_or('\u{fffd}');
            let message = match crate::source::raw_byte(ch) {
                Some(byte) => format!("unexpected byte 0x{byte:02X}, which is not UTF-8 text"),
                None => format!("unexpected character {ch:?}"),
            };
            self.error(SyntaxErrorKind::InvalidCharacter, start, end, message);
        }
        self.push(ERROR_TOKEN, Terminal::Plain, start, end);
    }

    fn open_brace(&mut self) {
        self.stack.push(Frame::Brace);
    }

    fn close_brace(&mut self) {
        if let Some(Frame::Interp(mode)) = self.stack.pop() {
            self.mode = mode;
        }
    }

    fn open_interp(&mut self, return_to: Mode) {
        self.stack.push(Frame::Interp(return_to));
        self.mode = Mode::Normal;
    }

    /// Reads expression tokens until one of them switches the mode.
    ///
    /// Most tokens need nothing but their tree kind: those are looked up in [`SIMPLE_KINDS`]
    /// and pushed on a path of well-predicted branches, and the whitespace after them is read
    /// by a plain loop rather than another run of the automaton. The rest (modes, braces,
    /// comments, integers) take the `match`.
    fn normal(&mut self) {
        let base = self.pos;
        let mut lex = Normal::lexer(&self.src[base..]);
        while let Some(next) = lex.next() {
            let span = lex.span();
            let (start, end) = (base + span.start, base + span.end);
            let Ok(tok) = next else {
                self.invalid(start, end);
                continue;
            };
            let simple = SIMPLE_KINDS[tok as usize];
            if simple != SPECIAL {
                if simple == L_BRACE {
                    self.open_brace();
                }
                // Simple kinds never merge with the token before (see `push`).
                self.out.tokens.push(Token { kind: simple, terminal: Terminal::Plain, start: start as u32 });
                let spaces = lex.remainder().bytes().take_while(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n')).count();
                if spaces > 0 {
                    self.out.tokens.push(Token { kind: WHITESPACE, terminal: Terminal::Plain, start: end as u32 });
                    lex.bump(spaces);
                }
                continue;
            }
            let kind = match tok {
                Normal::BlockCommentStart => {
                    let rest = &self.src[end..];
                    let close = match rest.find("*/") {
                        Some(i) => end + i + 2,
                        None => {
                            self.error(
                                SyntaxErrorKind::UnterminatedComment,
                                start,
                                start + 2,
                                "unterminated block comment: '/*' has no '*/'".into(),
                            );
                            self.src.len()
                        }
                    };
                    self.push(COMMENT, Terminal::Plain, start, close);
                    self.pos = close;
                    return;
                }
                Normal::RBrace => {
                    self.push(R_BRACE, Terminal::Plain, start, end);
                    self.close_brace();
                    if self.mode != Mode::Normal {
                        self.pos = end;
                        return;
                    }
                    continue;
                }
                Normal::DollarCurly => {
                    self.stack.push(Frame::Interp(Mode::Normal));
                    DOLLAR_CURLY
                }
                Normal::Quote => {
                    self.push(QUOTE, Terminal::Plain, start, end);
                    self.mode = Mode::Str;
                    self.pos = end;
                    return;
                }
                Normal::IndQuote => {
                    self.push(IND_QUOTE, Terminal::Plain, start, end);
                    self.mode = Mode::IndStr;
                    self.pos = end;
                    return;
                }
                Normal::Integer => {
                    // Checked here, while the text is at hand, rather than in a later pass.
                    let text = &self.src[start..end];
                    if text.parse::<i64>().is_err() {
                        self.error(
                            SyntaxErrorKind::IntegerOverflow,
                            start,
                            end,
                            format!("integer literal '{text}' is too large (the largest integer is {})", i64::MAX),
                        );
                    }
                    INTEGER
                }
                Normal::Path | Normal::HomePath => {
                    self.push(PATH, Terminal::PathStart, start, end);
                    self.mode = Mode::Path { slash: self.src[..end].ends_with('/') };
                    self.pos = end;
                    return;
                }
                Normal::PathInterpStart | Normal::HomePathInterpStart => {
                    // The piece up to and including its `/`, then `${`.
                    let piece_end = end - 2;
                    self.push(PATH, Terminal::PathStart, start, piece_end);
                    self.push(DOLLAR_CURLY, Terminal::PathInterp, piece_end, end);
                    self.open_interp(Mode::Path { slash: false });
                    self.pos = end;
                    return;
                }
                // Handled above.
                _ => simple,
            };
            self.push(kind, Terminal::Plain, start, end);
        }
        self.pos = self.src.len();
    }

    fn string(&mut self) {
        let base = self.pos;
        let mut lex = Str::lexer(&self.src[base..]);
        while let Some(next) = lex.next() {
            let span = lex.span();
            let (start, end) = (base + span.start, base + span.end);
            match next {
                Ok(Str::Text | Str::Lone) => self.push(STRING_CONTENT, Terminal::Plain, start, end),
                Ok(Str::Close) => {
                    self.push(QUOTE, Terminal::Plain, start, end);
                    self.mode = Mode::Normal;
                    self.pos = end;
                    return;
                }
                Ok(Str::Interp) => {
                    self.push(DOLLAR_CURLY, Terminal::Plain, start, end);
                    self.open_interp(Mode::Str);
                    self.pos = end;
                    return;
                }
                // The text rule accepts every character; this is only a safety net.
                Err(()) => self.push(STRING_CONTENT, Terminal::Plain, start, end),
            }
        }
        self.pos = self.src.len();
    }

    fn ind_string(&mut self) {
        let base = self.pos;
        let mut lex = IndStr::lexer(&self.src[base..]);
        while let Some(next) = lex.next() {
            let span = lex.span();
            let (start, end) = (base + span.start, base + span.end);
            match next {
                Ok(IndStr::Text | IndStr::Escape | IndStr::Lone) | Err(()) => {
                    self.push(STRING_CONTENT, Terminal::Plain, start, end)
                }
                Ok(IndStr::Close) => {
                    self.push(IND_QUOTE, Terminal::Plain, start, end);
                    self.mode = Mode::Normal;
                    self.pos = end;
                    return;
                }
                Ok(IndStr::Interp) => {
                    self.push(DOLLAR_CURLY, Terminal::Plain, start, end);
                    self.open_interp(Mode::IndStr);
                    self.pos = end;
                    return;
                }
            }
        }
        self.pos = self.src.len();
    }

    /// Directly after a path piece: another piece, an interpolation, or the end of the path.
    fn in_path(&mut self, slash: bool) {
        let base = self.pos;
        let mut lex = InPath::lexer(&self.src[base..]);
        match lex.next() {
            Some(Ok(InPath::Interp)) => {
                let end = base + lex.span().end;
                self.push(DOLLAR_CURLY, Terminal::PathInterp, base, end);
                self.open_interp(Mode::Path { slash: false });
                self.pos = end;
            }
            Some(Ok(InPath::Piece)) => {
                let end = base + lex.span().end;
                self.push(PATH, Terminal::PathCont, base, end);
                self.mode = Mode::Path { slash: self.src[..end].ends_with('/') };
                self.pos = end;
            }
            _ => {
                if slash {
                    self.trailing_slash();
                }
                self.mode = Mode::Normal;
            }
        }
    }

    fn trailing_slash(&mut self) {
        // The path piece just lexed ends where the lexer stands.
        if let Some(last) = self.out.tokens.last() {
            let (start, end) = (last.start, self.pos as u32);
            // The reference's wording and position (just after the path), with the fix as a
            // note on the path.
            let mut error =
                SyntaxError::new(SyntaxErrorKind::PathTrailingSlash, end..end, "path has a trailing slash".into());
            error.notes.push((start..end, "remove the final '/'".into()));
            self.out.errors.push(error);
        }
        self.mode = Mode::Normal;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(src: &str) -> Vec<(SyntaxKind, &str)> {
        let lexed = lex(src);
        assert!(lexed.errors.is_empty(), "{src:?}: {:?}", lexed.errors);
        let tokens = &lexed.tokens;
        (0..tokens.len()).filter(|&i| !tokens[i].kind.is_trivia()).map(|i| (tokens[i].kind, text(src, tokens, i))).collect()
    }

    #[test]
    fn numbers() {
        assert_eq!(kinds("1 .5 1.e5 1.5e-3 01"), vec![
            (INTEGER, "1"),
            (FLOAT, ".5"),
            (FLOAT, "1.e5"),
            (FLOAT, "1.5e-3"),
            (INTEGER, "01"),
        ]);
        // `8.x` is the float `8.` applied to `x`, as in the reference lexer.
        assert_eq!(kinds("8.x"), vec![(FLOAT, "8."), (IDENT, "x")]);
    }

    #[test]
    fn paths_and_uris() {
        assert_eq!(kinds("./a ../a/b /abs ~/x <nixpkgs/lib> a/b"), vec![
            (PATH, "./a"),
            (PATH, "../a/b"),
            (PATH, "/abs"),
            (PATH, "~/x"),
            (SEARCH_PATH, "<nixpkgs/lib>"),
            (PATH, "a/b"),
        ]);
        assert_eq!(kinds("x:x http://e.org/a?b=c"), vec![(URI, "x:x"), (URI, "http://e.org/a?b=c")]);
        assert_eq!(kinds("a // b"), vec![(IDENT, "a"), (UPDATE, "//"), (IDENT, "b")]);
    }

    #[test]
    fn interpolated_path() {
        let lexed = lex("../a/${b}/c${d} x");
        let terms: Vec<_> = lexed.tokens.iter().map(|t| (t.kind, t.terminal)).collect();
        use Terminal::*;
        assert_eq!(terms, vec![
            (PATH, PathStart),
            (DOLLAR_CURLY, PathInterp),
            (IDENT, Plain),
            (R_BRACE, Plain),
            (PATH, PathCont),
            (DOLLAR_CURLY, PathInterp),
            (IDENT, Plain),
            (R_BRACE, Plain),
            (WHITESPACE, Plain),
            (IDENT, Plain),
        ]);
    }

    #[test]
    fn strings_with_nested_braces() {
        let src = r#""a${ { x = "}"; }.x }b\${c}$${d}""#;
        assert_eq!(kinds(src), vec![
            (QUOTE, "\""),
            (STRING_CONTENT, "a"),
            (DOLLAR_CURLY, "${"),
            (L_BRACE, "{"),
            (IDENT, "x"),
            (ASSIGN, "="),
            (QUOTE, "\""),
            (STRING_CONTENT, "}"),
            (QUOTE, "\""),
            (SEMICOLON, ";"),
            (R_BRACE, "}"),
            (DOT, "."),
            (IDENT, "x"),
            (R_BRACE, "}"),
            (STRING_CONTENT, "b\\${c}$${d}"),
            (QUOTE, "\""),
        ]);
    }

    #[test]
    fn indented_string_escapes() {
        let src = "''\n  a ''$ ''' ''\\n ${x} '$ b''";
        assert_eq!(kinds(src), vec![
            (IND_QUOTE, "''"),
            (STRING_CONTENT, "\n  a ''$ ''' ''\\n "),
            (DOLLAR_CURLY, "${"),
            (IDENT, "x"),
            (R_BRACE, "}"),
            (STRING_CONTENT, " '$ b"),
            (IND_QUOTE, "''"),
        ]);
    }

    #[test]
    fn errors_are_reported_and_lossless() {
        let src = "1 é /* open";
        let lexed = lex(src);
        let text: String = (0..lexed.tokens.len()).map(|i| super::text(src, &lexed.tokens, i)).collect();
        assert_eq!(text, src);
        let kinds: Vec<_> = lexed.errors.iter().map(|e| e.kind).collect();
        assert_eq!(kinds, vec![SyntaxErrorKind::InvalidCharacter, SyntaxErrorKind::UnterminatedComment]);
    }

    #[test]
    fn trailing_slash_is_an_error() {
        let lexed = lex("./a/ ");
        assert_eq!(lexed.errors.len(), 1);
        assert_eq!(lexed.errors[0].kind, SyntaxErrorKind::PathTrailingSlash);
    }
}
