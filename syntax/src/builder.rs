//! Builds rowan green trees bottom-up from the grammar's actions, trivia and all.
//!
//! The grammar only sees significant tokens. Each action hands [`Builder::node`] its children in
//! source order; the builder puts every token that lies between two children (whitespace,
//! comments, and tokens the parser skipped while recovering from an error) into the node as
//! well. Trivia therefore belongs to the smallest node that encloses it, skipped tokens become
//! `ERROR` nodes, and the root covers the whole file: the tree is lossless by construction.

use std::cell::RefCell;
use std::collections::HashMap;

use lalrpop_util::{ErrorRecovery, ParseError};
use rowan::{GreenNode, GreenToken, NodeOrToken};

use crate::error::{SyntaxError, SyntaxErrorKind};
use crate::kind::SyntaxKind::{self, *};
use crate::lexer::{Terminal, Token};

/// A green node or token.
pub(crate) type Green = NodeOrToken<GreenNode, GreenToken>;

/// A token as the grammar sees it: its kind, how the grammar reads it, and its index among all
/// tokens of the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tok {
    /// The token's tree kind.
    pub kind: SyntaxKind,
    /// How the grammar reads it.
    pub terminal: Terminal,
    /// Index into the file's token list.
    pub idx: u32,
}

/// The lexer never fails (errors become tokens), so the grammar's user error type is empty.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Never {}

/// A built piece of tree and where it starts.
#[derive(Clone, Debug)]
pub struct El {
    pub(crate) start: u32,
    pub(crate) green: Green,
}

impl El {
    fn end(&self) -> u32 {
        let len: u32 = match &self.green {
            NodeOrToken::Node(n) => n.text_len().into(),
            NodeOrToken::Token(t) => t.text_len().into(),
        };
        self.start + len
    }
}

/// State shared by the grammar's actions while one file is parsed.
pub struct Builder<'a> {
    src: &'a str,
    /// The file's tokens, then any virtual tokens the parser was given to close constructs left
    /// open at the end of the file.
    tokens: &'a [Token],
    /// How many of `tokens` are real.
    real: usize,
    errors: RefCell<Vec<SyntaxError>>,
    /// What the grammar expected when it met the end of the input, the first time it did.
    eof_expected: RefCell<Option<Vec<String>>>,
    /// The first token the grammar could not take.
    first_unexpected: RefCell<Option<Tok>>,
    /// Interned tokens: most tokens of a file repeat (keywords, spaces, common names).
    interned: RefCell<HashMap<(SyntaxKind, &'a str), GreenToken>>,
}

/// Tokens longer than this are not interned: they rarely repeat.
const INTERN_MAX_LEN: usize = 32;

impl<'a> Builder<'a> {
    /// A builder for `src`, whose first `real` tokens are the file's and the rest virtual.
    pub(crate) fn new(src: &'a str, tokens: &'a [Token], real: usize) -> Self {
        Builder {
            src,
            tokens,
            real,
            errors: RefCell::new(Vec::new()),
            eof_expected: RefCell::new(None),
            first_unexpected: RefCell::new(None),
            interned: RefCell::new(HashMap::new()),
        }
    }

    /// The errors; what the grammar expected at the end of input if it met it too early; the
    /// first token it could not take.
    pub(crate) fn finish(self) -> (Vec<SyntaxError>, Option<Vec<String>>, Option<Tok>) {
        (self.errors.into_inner(), self.eof_expected.into_inner(), self.first_unexpected.into_inner())
    }

    /// The error for tokens after a complete expression, from the first of them.
    pub(crate) fn trailing(&self, tok: Tok) -> SyntaxError {
        let token = &self.tokens[tok.idx as usize];
        let found = describe_found(self.src, token);
        let message = match token.kind {
            EQ | NOT_EQ | LESS | GREATER | LESS_EQ | GREATER_EQ => {
                format!("unexpected {found}: comparisons do not chain; combine them with '&&' or add parentheses")
            }
            PIPE_INTO | PIPE_FROM => {
                format!("unexpected {found}: '|>' and '<|' cannot be mixed in one chain; add parentheses")
            }
            _ => format!("unexpected {found} after the end of the expression"),
        };
        SyntaxError::new(SyntaxErrorKind::UnexpectedToken, token.start..token.end, message)
    }

    fn green_token(&self, token: &Token) -> GreenToken {
        let text = token.text(self.src);
        if text.len() > INTERN_MAX_LEN {
            return GreenToken::new(token.kind.into(), text);
        }
        self.interned
            .borrow_mut()
            .entry((token.kind, text))
            .or_insert_with(|| GreenToken::new(token.kind.into(), text))
            .clone()
    }

    /// The element for a token the grammar consumed.
    pub fn tok(&self, tok: Tok) -> El {
        let token = &self.tokens[tok.idx as usize];
        if tok.idx as usize >= self.real {
            // A virtual token has no text: it stands in the tree as an empty ERROR node.
            return self.node_at(ERROR, token.start, Vec::new());
        }
        El { start: token.start, green: NodeOrToken::Token(self.green_token(token)) }
    }

    /// A node of `kind` over `children` (in source order), with the tokens between them.
    ///
    /// A node without children is placed at `at`.
    pub fn node_at(&self, kind: SyntaxKind, at: u32, children: Vec<El>) -> El {
        let start = children.first().map_or(at, |c| c.start);
        let mut out: Vec<Green> = Vec::with_capacity(children.len() + 2);
        let mut pos = start;
        for child in children {
            debug_assert!(child.start >= pos, "children out of order in {kind:?}");
            if child.start > pos {
                self.fill(&mut out, pos, child.start);
            }
            pos = child.end();
            out.push(child.green);
        }
        El { start, green: NodeOrToken::Node(GreenNode::new(kind.into(), out)) }
    }

    /// A node of `kind` over at least one child.
    pub fn node(&self, kind: SyntaxKind, children: Vec<El>) -> El {
        let at = children.first().map_or(0, |c| c.start);
        self.node_at(kind, at, children)
    }

    /// Adds the tokens in `from..to` to `out`: trivia as they are, anything else (tokens the
    /// parser skipped) wrapped in an `ERROR` node.
    fn fill(&self, out: &mut Vec<Green>, from: u32, to: u32) {
        let tokens = &self.tokens[..self.real];
        let first = tokens.partition_point(|t| t.start < from);
        let last = first + tokens[first..].partition_point(|t| t.end <= to);
        let gap = &tokens[first..last];
        let significant: Vec<usize> =
            gap.iter().enumerate().filter(|(_, t)| !t.kind.is_trivia()).map(|(i, _)| i).collect();
        let (lo, hi) = match (significant.first(), significant.last()) {
            (Some(&lo), Some(&hi)) => (lo, hi + 1),
            _ => (gap.len(), gap.len()),
        };
        out.extend(gap[..lo].iter().map(|t| NodeOrToken::Token(self.green_token(t))));
        if lo < hi {
            let skipped = gap[lo..hi].iter().map(|t| NodeOrToken::Token(self.green_token(t)));
            out.push(NodeOrToken::Node(GreenNode::new(ERROR.into(), skipped)));
        }
        out.extend(gap[hi..].iter().map(|t| NodeOrToken::Token(self.green_token(t))));
    }

    /// The root node: `body` (if the parse produced one) and everything around it.
    pub(crate) fn root(&self, body: Option<El>) -> GreenNode {
        let len = self.src.len() as u32;
        let mut out = Vec::new();
        let mut pos = 0;
        if let Some(body) = body {
            self.fill(&mut out, 0, body.start);
            pos = body.end();
            out.push(body.green);
        }
        self.fill(&mut out, pos, len);
        GreenNode::new(ROOT.into(), out)
    }

    /// Records a recovered error and returns the `ERROR` node for the tokens it skipped.
    pub fn recover(&self, at: u32, recovery: ErrorRecovery<u32, Tok, Never>) -> El {
        self.report(recovery.error);
        let skipped: Vec<El> = recovery.dropped_tokens.iter().map(|&(_, t, _)| self.tok(t)).collect();
        self.node_at(ERROR, at, skipped)
    }

    /// Records an error the parser reported.
    pub(crate) fn report(&self, error: ParseError<u32, Tok, Never>) {
        if let ParseError::UnrecognizedToken { token: (_, tok, _), .. } | ParseError::ExtraToken { token: (_, tok, _) } = &error {
            self.first_unexpected.borrow_mut().get_or_insert(*tok);
        }
        let error = match error {
            ParseError::UnrecognizedToken { token: (start, tok, end), expected } => SyntaxError::new(
                SyntaxErrorKind::UnexpectedToken,
                start..end,
                format!("unexpected {}{}", describe_found(self.src, &self.tokens[tok.idx as usize]), expected_list(&expected)),
            ),
            ParseError::UnrecognizedEof { location, expected } => {
                let mut eof_expected = self.eof_expected.borrow_mut();
                if eof_expected.is_none() {
                    *eof_expected = Some(expected.clone());
                }
                SyntaxError::new(
                    SyntaxErrorKind::UnexpectedEof,
                    location..location,
                    format!("unexpected end of file{}", expected_list(&expected)),
                )
            }
            ParseError::ExtraToken { token: (start, tok, end) } => SyntaxError::new(
                SyntaxErrorKind::UnexpectedToken,
                start..end,
                format!("unexpected {}, expected end of file", describe_found(self.src, &self.tokens[tok.idx as usize])),
            ),
            ParseError::InvalidToken { location } => SyntaxError::new(
                SyntaxErrorKind::UnexpectedToken,
                location..location,
                "invalid token".into(),
            ),
            ParseError::User { error } => match error {},
        };
        let mut errors = self.errors.borrow_mut();
        // Recovery can stumble over the same token more than once; say it once.
        if !errors.iter().any(|e| e.range == error.range) {
            errors.push(error);
        }
    }
}

fn describe_found(src: &str, token: &Token) -> String {
    match token.kind {
        IDENT => format!("identifier '{}'", token.text(src)),
        INTEGER | FLOAT | URI | PATH | SEARCH_PATH => {
            format!("{} '{}'", token.kind.describe(), token.text(src))
        }
        kind => kind.describe().to_string(),
    }
}

/// ", expected X or Y" from the grammar's list of terminal names. A long list (everything that
/// may continue an expression) is cut down to the tokens that close or separate a construct,
/// which is what a user has most likely forgotten.
fn expected_list(expected: &[String]) -> String {
    let mut names: Vec<String> = expected.iter().filter_map(|name| terminal_name(name)).collect();
    names.dedup();
    if names.len() > 6 {
        const CLOSERS: [&str; 10] = ["';'", "')'", "']'", "'}'", "'then'", "'else'", "'in'", "':'", "'='", "','"];
        names.retain(|n| CLOSERS.contains(&n.as_str()));
    }
    match names.len() {
        0 => String::new(),
        1 => format!(", expected {}", names[0]),
        2..=6 => {
            let last = names.pop().unwrap_or_default();
            format!(", expected {} or {}", names.join(", "), last)
        }
        _ => String::new(),
    }
}

/// A user's name for a terminal as the grammar spells it (`"\"then\""`, `IDENT`).
fn terminal_name(name: &str) -> Option<String> {
    let bare = name.strip_prefix('"').and_then(|n| n.strip_suffix('"')).unwrap_or(name);
    Some(match bare {
        "IDENT" => "an identifier".into(),
        "INTEGER" => "an integer".into(),
        "FLOAT" => "a float".into(),
        "URI" => "a URI".into(),
        "PATH_START" => "a path".into(),
        "PATH_CONT" | "PATH_INTERP" => return None,
        "SEARCH_PATH" => "a '<...>' path".into(),
        "STRING_CONTENT" => "string text".into(),
        other => format!("'{}'", other.replace("\\\"", "\"")),
    })
}
