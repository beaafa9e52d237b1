//! Builds rowan green trees bottom-up from the grammar's actions, trivia and all.
//!
//! The grammar only sees significant tokens. Each action hands [`Builder::node`] its children in
//! source order; the builder puts every token that lies between two children (whitespace,
//! comments, and tokens the parser skipped while recovering from an error) into the node as
//! well. Trivia therefore belongs to the smallest node that encloses it, skipped tokens become
//! `ERROR` nodes, and the root covers the whole file: the tree is lossless by construction.

use std::cell::RefCell;

use lalrpop_util::{ErrorRecovery, ParseError};
use rowan::{GreenNode, GreenToken, NodeOrToken};
use std::hash::{Hash, Hasher};

use hashbrown::HashTable;
use rustc_hash::FxHasher;

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
    /// The grammar terminal it is (see [`term`]).
    pub term: u8,
}

/// The grammar's terminal numbers, in the order of the grammar's `extern` block (which is how
/// lalrpop numbers them): a token carries its number, so that the parser's mapping from tokens
/// to terminals is a comparison and a copy rather than a jump through a table per token.
pub mod term {
    /// `"if"`.
    pub const IF_KW: u8 = 0;
    /// `"then"`.
    pub const THEN_KW: u8 = 1;
    /// `"else"`.
    pub const ELSE_KW: u8 = 2;
    /// `"assert"`.
    pub const ASSERT_KW: u8 = 3;
    /// `"with"`.
    pub const WITH_KW: u8 = 4;
    /// `"let"`.
    pub const LET_KW: u8 = 5;
    /// `"in"`.
    pub const IN_KW: u8 = 6;
    /// `"rec"`.
    pub const REC_KW: u8 = 7;
    /// `"inherit"`.
    pub const INHERIT_KW: u8 = 8;
    /// `"or"`.
    pub const OR_KW: u8 = 9;
    /// `"{"`.
    pub const L_BRACE: u8 = 10;
    /// `"}"`.
    pub const R_BRACE: u8 = 11;
    /// `"["`.
    pub const L_BRACK: u8 = 12;
    /// `"]"`.
    pub const R_BRACK: u8 = 13;
    /// `"("`.
    pub const L_PAREN: u8 = 14;
    /// `")"`.
    pub const R_PAREN: u8 = 15;
    /// `";"`.
    pub const SEMICOLON: u8 = 16;
    /// `":"`.
    pub const COLON: u8 = 17;
    /// `","`.
    pub const COMMA: u8 = 18;
    /// `"."`.
    pub const DOT: u8 = 19;
    /// `"..."`.
    pub const ELLIPSIS: u8 = 20;
    /// `"="`.
    pub const ASSIGN: u8 = 21;
    /// `"@"`.
    pub const AT: u8 = 22;
    /// `"?"`.
    pub const QUESTION: u8 = 23;
    /// `"!"`.
    pub const BANG: u8 = 24;
    /// `"-"`.
    pub const MINUS: u8 = 25;
    /// `INFIX`: every infix operator but `-`.
    pub const INFIX: u8 = 26;
    /// `"|>"`.
    pub const PIPE_INTO: u8 = 27;
    /// `"<|"`.
    pub const PIPE_FROM: u8 = 28;
    /// `"${"`.
    pub const DOLLAR_CURLY: u8 = 29;
    /// `"""`.
    pub const QUOTE: u8 = 30;
    /// `"''"`.
    pub const IND_QUOTE: u8 = 31;
    /// `IDENT`.
    pub const IDENT: u8 = 32;
    /// `INTEGER`.
    pub const INTEGER: u8 = 33;
    /// `FLOAT`.
    pub const FLOAT: u8 = 34;
    /// `URI`.
    pub const URI: u8 = 35;
    /// `SEARCH_PATH`.
    pub const SEARCH_PATH: u8 = 36;
    /// `STRING_CONTENT`.
    pub const STRING_CONTENT: u8 = 37;
    /// `PATH_START`.
    pub const PATH_START: u8 = 38;
    /// `PATH_CONT`.
    pub const PATH_CONT: u8 = 39;
    /// `PATH_INTERP`.
    pub const PATH_INTERP: u8 = 40;
    /// Not a terminal of the grammar (trivia, error tokens).
    pub const NONE: u8 = u8::MAX;
}

/// The grammar terminal of tokens of each kind (see [`term`]); `PATH` and `DOLLAR_CURLY` also
/// depend on how the lexer saw them, see [`terminal_of`].
const TERMINALS: [u8; 256] = {
    let mut t = [term::NONE; 256];
    t[IF_KW as usize] = term::IF_KW;
    t[THEN_KW as usize] = term::THEN_KW;
    t[ELSE_KW as usize] = term::ELSE_KW;
    t[ASSERT_KW as usize] = term::ASSERT_KW;
    t[WITH_KW as usize] = term::WITH_KW;
    t[LET_KW as usize] = term::LET_KW;
    t[IN_KW as usize] = term::IN_KW;
    t[REC_KW as usize] = term::REC_KW;
    t[INHERIT_KW as usize] = term::INHERIT_KW;
    t[OR_KW as usize] = term::OR_KW;
    t[L_BRACE as usize] = term::L_BRACE;
    t[R_BRACE as usize] = term::R_BRACE;
    t[L_BRACK as usize] = term::L_BRACK;
    t[R_BRACK as usize] = term::R_BRACK;
    t[L_PAREN as usize] = term::L_PAREN;
    t[R_PAREN as usize] = term::R_PAREN;
    t[SEMICOLON as usize] = term::SEMICOLON;
    t[COLON as usize] = term::COLON;
    t[COMMA as usize] = term::COMMA;
    t[DOT as usize] = term::DOT;
    t[ELLIPSIS as usize] = term::ELLIPSIS;
    t[ASSIGN as usize] = term::ASSIGN;
    t[AT as usize] = term::AT;
    t[QUESTION as usize] = term::QUESTION;
    t[BANG as usize] = term::BANG;
    t[PLUS as usize] = term::INFIX;
    t[MINUS as usize] = term::MINUS;
    t[STAR as usize] = term::INFIX;
    t[SLASH as usize] = term::INFIX;
    t[UPDATE as usize] = term::INFIX;
    t[CONCAT as usize] = term::INFIX;
    t[LESS as usize] = term::INFIX;
    t[GREATER as usize] = term::INFIX;
    t[LESS_EQ as usize] = term::INFIX;
    t[GREATER_EQ as usize] = term::INFIX;
    t[EQ as usize] = term::INFIX;
    t[NOT_EQ as usize] = term::INFIX;
    t[AND_AND as usize] = term::INFIX;
    t[OR_OR as usize] = term::INFIX;
    t[IMPLIES as usize] = term::INFIX;
    t[PIPE_INTO as usize] = term::PIPE_INTO;
    t[PIPE_FROM as usize] = term::PIPE_FROM;
    t[DOLLAR_CURLY as usize] = term::DOLLAR_CURLY;
    t[QUOTE as usize] = term::QUOTE;
    t[IND_QUOTE as usize] = term::IND_QUOTE;
    t[IDENT as usize] = term::IDENT;
    t[INTEGER as usize] = term::INTEGER;
    t[FLOAT as usize] = term::FLOAT;
    t[URI as usize] = term::URI;
    t[SEARCH_PATH as usize] = term::SEARCH_PATH;
    t[STRING_CONTENT as usize] = term::STRING_CONTENT;
    t[PATH as usize] = term::PATH_START;
    t
};

/// The grammar terminal of a token of `kind` that the lexer read as `terminal`.
pub(crate) fn terminal_of(kind: SyntaxKind, terminal: Terminal) -> u8 {
    match terminal {
        Terminal::Plain | Terminal::PathStart => TERMINALS.get(kind as usize).copied().unwrap_or(term::NONE),
        Terminal::PathCont => term::PATH_CONT,
        Terminal::PathInterp => term::PATH_INTERP,
    }
}


/// The lexer never fails (errors become tokens), so the grammar's user error type is empty.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Never {}

/// A built piece of tree and the tokens it spans (`first..end`, indices into the file's token
/// list, so the gap before the next child is a slice). Values of this type fill the parser's
/// stack, so it is kept to 24 bytes: the start offset comes from the first token, and the depth
/// saturates at [`DEPTH_SATURATED`] (the parser then measures the finished tree).
///
/// A node is `shared` when it came from the intern table: only a node all of whose children
/// are shared can equal one built before (children are compared by address), so the others
/// skip the table.
#[derive(Clone, Debug)]
pub enum El {
    /// The token at index `idx`.
    Token { idx: u32, token: GreenToken },
    /// A node over tokens `first..end`, nesting `depth` levels of nodes.
    Node { first: u32, end: u32, depth: u8, shared: bool, node: GreenNode },
}

/// The depth at which an element stops counting.
pub(crate) const DEPTH_SATURATED: u8 = u8::MAX;

impl El {
    fn first(&self) -> u32 {
        match self {
            El::Token { idx, .. } => *idx,
            El::Node { first, .. } => *first,
        }
    }

    fn end(&self) -> u32 {
        match self {
            El::Token { idx, .. } => idx + 1,
            El::Node { end, .. } => *end,
        }
    }

    fn depth(&self) -> u8 {
        match self {
            El::Token { .. } => 0,
            El::Node { depth, .. } => *depth,
        }
    }

    /// Whether an equal element may have been built before: tokens are interned, nodes when
    /// they are `shared`.
    fn shared(&self) -> bool {
        match self {
            El::Token { .. } => true,
            El::Node { shared, .. } => *shared,
        }
    }

    fn into_green(self) -> Green {
        match self {
            El::Token { token, .. } => NodeOrToken::Token(token),
            El::Node { node, .. } => NodeOrToken::Node(node),
        }
    }
}

/// One operand of an operator expression, with `-` and `? attrpath` already applied (they bind
/// tighter than every infix operator), and the prefix operators still pending: those up to the
/// last `!`, which reaches over the infix operators that bind tighter than it. The pending
/// operators are consecutive significant tokens, kept as the index of the first and their count:
/// this value travels through the parser's stack, so it is kept small.
#[derive(Clone, Debug)]
pub struct Term {
    pub(crate) pending: (u32, u32),
    pub(crate) operand: El,
}

/// How an infix operator groups with its own kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Assoc {
    Left,
    Right,
    /// `a == b == c` is an error.
    None,
}

/// Binding power (higher binds tighter) and associativity of infix operators, as the reference
/// parser declares them.
fn infix_power(kind: SyntaxKind) -> (u8, Assoc) {
    match kind {
        IMPLIES => (2, Assoc::Right),
        OR_OR => (3, Assoc::Left),
        AND_AND => (4, Assoc::Left),
        EQ | NOT_EQ => (5, Assoc::None),
        LESS | GREATER | LESS_EQ | GREATER_EQ => (6, Assoc::None),
        UPDATE => (7, Assoc::Right),
        PLUS | MINUS => (9, Assoc::Left),
        STAR | SLASH => (10, Assoc::Left),
        CONCAT => (11, Assoc::Right),
        _ => (0, Assoc::Left),
    }
}

/// Binding power of `!` (between `//` and `+`).
const NOT_POWER: u8 = 8;
/// Binding power of unary minus.
const NEGATE_POWER: u8 = 13;

/// An operator waiting for its operands while an operator expression is grouped.
#[derive(Clone, Copy, Debug)]
enum Pending {
    Prefix(Tok),
    Infix(Tok),
}

impl Pending {
    fn power(self) -> u8 {
        match self {
            Pending::Prefix(t) if t.kind == BANG => NOT_POWER,
            Pending::Prefix(_) => NEGATE_POWER,
            Pending::Infix(t) => infix_power(t.kind).0,
        }
    }
}

/// The hash of an interned token of `kind` (raw) and `text`.
fn token_hash(kind: u16, text: &str) -> u64 {
    let mut hasher = FxHasher::default();
    kind.hash(&mut hasher);
    text.hash(&mut hasher);
    hasher.finish()
}

/// The hash of an interned node of `kind` (raw) over children at `addresses`.
fn node_hash(kind: u16, addresses: impl Iterator<Item = usize>) -> u64 {
    let mut hasher = FxHasher::default();
    kind.hash(&mut hasher);
    for address in addresses {
        address.hash(&mut hasher);
    }
    hasher.finish()
}

/// The addresses of a green node's children, as [`address`] gives them.
fn child_addresses(node: &rowan::GreenNodeData) -> impl Iterator<Item = usize> + '_ {
    node.children().map(|c| match c {
        NodeOrToken::Node(n) => n as *const rowan::GreenNodeData as usize,
        NodeOrToken::Token(t) => t as *const rowan::GreenTokenData as usize,
    })
}

/// Nodes with at most this many children are interned, as rowan's own cache does.
const MAX_INTERNED_CHILDREN: usize = 3;

/// How many emptied list buffers a builder keeps.
const MAX_SPARE_LISTS: usize = 64;

/// Tokens longer than this are not interned: they rarely repeat, and hashing them costs in
/// proportion to their length. Shorter ones are interned even when they do not repeat, as
/// rowan's own cache does: a lookup costs less than building a token (rowan copies its text
/// byte by byte).
pub(crate) const INTERN_MAX_LEN: usize = 1024;

/// What one run of the grammar found besides the tree.
pub(crate) struct Findings {
    /// Syntax errors, recovered from or not.
    pub(crate) errors: Vec<SyntaxError>,
    /// What the grammar expected when it met the end of the input too early, the first time.
    pub(crate) eof_expected: Option<Vec<String>>,
    /// The first token the grammar could not take.
    pub(crate) first_unexpected: Option<Tok>,
    /// The nodes `validate` must check, with their offsets.
    pub(crate) checks: Vec<(u32, GreenNode)>,
}

/// Spaces in the longest whitespace token kept in [`Whitespace`].
const WHITESPACE_SPACES: usize = 32;

/// Whitespace tokens by shape: `WHITESPACE_SPACES` slots of spaces alone (by count), then as
/// many of a line break followed by spaces.
type Whitespace = [Option<GreenToken>; 2 * WHITESPACE_SPACES];

/// The slot of [`Whitespace`] for the whitespace `text`, if it has one of the shapes kept.
fn whitespace_slot(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let (line_break, spaces) = match bytes.split_first() {
        Some((b'\n', rest)) => (1, rest),
        _ => (0, bytes),
    };
    (spaces.len() < WHITESPACE_SPACES && spaces.iter().all(|&b| b == b' '))
        .then_some(line_break * WHITESPACE_SPACES + spaces.len())
}

/// State shared by the grammar's actions while one file is parsed.
pub struct Builder<'a> {
    src: &'a str,
    /// The file's tokens, then any virtual tokens the parser was given to close constructs left
    /// open at the end of the file.
    tokens: &'a [Token],
    /// How many of `tokens` are real.
    real: usize,
    /// Where virtual tokens stand: right after the last significant real token.
    virtual_at: u32,
    errors: RefCell<Vec<SyntaxError>>,
    /// What the grammar expected when it met the end of the input, the first time it did.
    eof_expected: RefCell<Option<Vec<String>>>,
    /// The first token the grammar could not take.
    first_unexpected: RefCell<Option<Tok>>,
    /// Keyword and punctuation tokens, whose text their kind fixes.
    fixed: RefCell<[Option<GreenToken>; IND_QUOTE as usize + 1]>,
    /// Whitespace tokens of the commonest shapes (see [`whitespace_slot`]).
    whitespace: RefCell<Whitespace>,
    /// Interned tokens: most tokens of a file repeat (spaces, common names, numbers).
    /// The table holds the tokens alone (8 bytes a slot, so it stays small in the cache); a
    /// lookup compares the token's own kind and text, which it reads anyway to clone it.
    interned: RefCell<HashTable<GreenToken>>,
    /// Interned small nodes (`NAME(x)`, `VARIABLE(x)`, `LITERAL(1)` recur everywhere): equal
    /// subtrees share one allocation.
    /// Like `interned`, the table holds the nodes alone and compares their children.
    nodes: RefCell<HashTable<GreenNode>>,
    /// A reused buffer for a node's children while it is built.
    scratch: RefCell<Vec<Green>>,
    /// A reused buffer for a node's children as the grammar hands them over.
    elements: RefCell<Vec<El>>,
    /// Emptied list buffers, for the grammar's next lists.
    lists: RefCell<Vec<Vec<El>>>,
    /// Emptied lists of infix operators and terms.
    infix_lists: RefCell<Vec<Vec<(Tok, Term)>>>,
    /// A reused stack of the operators waiting for operands in [`Builder::operators`].
    pending: RefCell<Vec<Pending>>,
    /// Nodes that `validate` checks, with their offsets, as they were built.
    checks: RefCell<Vec<(u32, GreenNode)>>,
    /// A reused buffer for the names of a set while it is looked at (see `validate::needs_check`).
    names: RefCell<Vec<usize>>,
}

/// What a builder leaves for the next one on its thread: emptied buffers, with their capacity,
/// and the keyword and punctuation tokens, which are the same in every file. Parsing many small
/// files would otherwise spend much of its time growing the same buffers again.
struct Spare {
    fixed: [Option<GreenToken>; IND_QUOTE as usize + 1],
    whitespace: Whitespace,
    interned: HashTable<GreenToken>,
    nodes: HashTable<GreenNode>,
    scratch: Vec<Green>,
    elements: Vec<El>,
    lists: Vec<Vec<El>>,
    infix_lists: Vec<Vec<(Tok, Term)>>,
    pending: Vec<Pending>,
}

impl Default for Spare {
    fn default() -> Self {
        Spare {
            fixed: std::array::from_fn(|_| None),
            whitespace: std::array::from_fn(|_| None),
            interned: HashTable::new(),
            nodes: HashTable::new(),
            scratch: Vec::new(),
            elements: Vec::new(),
            lists: Vec::new(),
            infix_lists: Vec::new(),
            pending: Vec::new(),
        }
    }
}

/// Buffers that grew beyond this many elements are freed rather than kept: a huge file must
/// not pin its memory for the rest of the thread's life.
const MAX_KEPT_CAPACITY: usize = 1 << 14;

thread_local! {
    static SPARE: std::cell::Cell<Option<Box<Spare>>> = const { std::cell::Cell::new(None) };
}

/// `v`, emptied, if its capacity is worth keeping.
fn keep<T>(mut v: Vec<T>) -> Vec<T> {
    if v.capacity() > MAX_KEPT_CAPACITY {
        return Vec::new();
    }
    v.clear();
    v
}

impl Drop for Builder<'_> {
    fn drop(&mut self) {
        let mut nodes = self.nodes.take();
        if nodes.capacity() > MAX_KEPT_CAPACITY {
            nodes = HashTable::new();
        }
        nodes.clear();
        let mut interned = self.interned.take();
        if interned.capacity() > MAX_KEPT_CAPACITY {
            interned = HashTable::new();
        }
        interned.clear();
        let mut lists = keep(self.lists.take());
        lists.retain(|l| l.capacity() <= MAX_KEPT_CAPACITY);
        let mut infix_lists = keep(self.infix_lists.take());
        infix_lists.retain(|l| l.capacity() <= MAX_KEPT_CAPACITY);
        let spare = Spare {
            fixed: self.fixed.replace(std::array::from_fn(|_| None)),
            whitespace: self.whitespace.replace(std::array::from_fn(|_| None)),
            interned,
            nodes,
            scratch: keep(self.scratch.take()),
            elements: keep(self.elements.take()),
            lists,
            infix_lists,
            pending: keep(self.pending.take()),
        };
        // During thread teardown the slot may be gone; the buffers are simply freed then.
        let _ = SPARE.try_with(|slot| slot.set(Some(Box::new(spare))));
    }
}

fn address(green: &Green) -> usize {
    match green {
        NodeOrToken::Node(n) => &**n as *const rowan::GreenNodeData as usize,
        NodeOrToken::Token(t) => &**t as *const rowan::GreenTokenData as usize,
    }
}

impl<'a> Builder<'a> {
    /// A builder for `src`, whose first `real` tokens are the file's and the rest virtual.
    pub(crate) fn new(src: &'a str, tokens: &'a [Token], real: usize) -> Self {
        let virtual_at = tokens[..real].iter().rposition(|t| !t.kind.is_trivia()).map_or(0, |i| i + 1) as u32;
        let spare = SPARE.try_with(|slot| slot.take()).ok().flatten().map_or_else(Spare::default, |b| *b);
        Builder {
            src,
            tokens,
            real,
            virtual_at,
            errors: RefCell::new(Vec::new()),
            eof_expected: RefCell::new(None),
            first_unexpected: RefCell::new(None),
            fixed: RefCell::new(spare.fixed),
            whitespace: RefCell::new(spare.whitespace),
            interned: RefCell::new(spare.interned),
            nodes: RefCell::new(spare.nodes),
            scratch: RefCell::new(spare.scratch),
            elements: RefCell::new(spare.elements),
            lists: RefCell::new(spare.lists),
            infix_lists: RefCell::new(spare.infix_lists),
            pending: RefCell::new(spare.pending),
            checks: RefCell::new(Vec::new()),
            names: RefCell::new(Vec::new()),
        }
    }

    /// Sizes the intern tables for a parse of the whole file: about one distinct token or leaf
    /// node per sixteen tokens, so that the tables rarely grow while the file is parsed.
    pub(crate) fn reserve_for_parse(&self) {
        // Small files have fewer repeats.
        let expected = (self.real / 16).max(self.real.min(128) / 2);
        let hash_token = |t: &GreenToken| token_hash(t.kind().0, t.text());
        self.interned.borrow_mut().reserve(expected, hash_token);
        let hash_node = |n: &GreenNode| node_hash(n.kind().0, child_addresses(n));
        self.nodes.borrow_mut().reserve(expected, hash_node);
    }

    /// What the builder learnt while the grammar ran.
    pub(crate) fn finish(self) -> Findings {
        Findings {
            errors: self.errors.take(),
            eof_expected: self.eof_expected.take(),
            first_unexpected: self.first_unexpected.take(),
            checks: self.checks.take(),
        }
    }

    /// The error for tokens after a complete expression, from the first of them.
    pub(crate) fn trailing(&self, tok: Tok) -> SyntaxError {
        let token = &self.tokens[tok.idx as usize];
        let range = self.range(tok.idx as usize);
        let found = describe_found(token.kind, &self.src[range.clone()]);
        let message = match token.kind {
            EQ | NOT_EQ | LESS | GREATER | LESS_EQ | GREATER_EQ => {
                format!("unexpected {found}: comparisons do not chain; combine them with '&&' or add parentheses")
            }
            PIPE_INTO | PIPE_FROM => {
                format!("unexpected {found}: '|>' and '<|' cannot be mixed in one chain; add parentheses")
            }
            _ => format!("unexpected {found} after the end of the expression"),
        };
        SyntaxError::new(SyntaxErrorKind::UnexpectedToken, range.start as u32..range.end as u32, message)
    }

    /// The byte range of token `i`; virtual tokens are empty.
    fn range(&self, i: usize) -> std::ops::Range<usize> {
        if i < self.real {
            crate::lexer::range(&self.tokens[..self.real], i, self.src.len())
        } else {
            let at = self.tokens[i].start as usize;
            at..at
        }
    }

    fn green_token(&self, i: usize) -> GreenToken {
        let token = &self.tokens[i];
        let text = &self.src[self.range(i)];
        if (IF_KW..=IND_QUOTE).contains(&token.kind) {
            return self.fixed.borrow_mut()[token.kind as usize]
                .get_or_insert_with(|| GreenToken::new(token.kind.into(), text))
                .clone();
        }
        if token.kind == WHITESPACE {
            // Most whitespace is a line break and an indentation, or a space: an index into a
            // small table rather than a hash and a probe of the intern table.
            if let Some(slot) = whitespace_slot(text) {
                return self.whitespace.borrow_mut()[slot]
                    .get_or_insert_with(|| GreenToken::new(WHITESPACE.into(), text))
                    .clone();
            }
        }
        if text.len() > INTERN_MAX_LEN {
            return GreenToken::new(token.kind.into(), text);
        }
        let kind = token.kind as u16;
        let hash = token_hash(kind, text);
        let mut interned = self.interned.borrow_mut();
        if let Some(found) = interned.find(hash, |t| t.kind().0 == kind && t.text() == text) {
            return found.clone();
        }
        let new = GreenToken::new(token.kind.into(), text);
        interned.insert_unique(hash, new.clone(), |t| token_hash(t.kind().0, t.text()));
        new
    }

    /// The node of `kind` over the one token `tok`: `VARIABLE(x)`, `NAME(x)`, `LITERAL(1)`.
    /// Most such nodes repeat, so the node table is looked up first, by the address of the
    /// interned token, without cloning the token for a node that exists already (cloning and
    /// dropping it again are two atomic operations).
    pub fn leaf(&self, kind: SyntaxKind, tok: Tok) -> El {
        if let Some(node) = self.existing_leaf(kind, tok.idx as usize) {
            return El::Node { first: tok.idx, end: tok.idx + 1, depth: 1, shared: true, node };
        }
        self.node(kind, [self.tok(tok)])
    }

    /// The node of `kind` over `child` alone (`ATTRPATH(NAME(x))`): like [`Builder::leaf`], an
    /// existing node is looked up first when the child is shared.
    pub fn single(&self, kind: SyntaxKind, child: El) -> El {
        if let El::Node { first, end, depth, shared: true, node } = &child {
            let address = &**node as *const rowan::GreenNodeData as usize;
            let raw = kind as u16;
            let same = |n: &GreenNode| n.kind().0 == raw && n.children().len() == 1 && child_addresses(n).eq(std::iter::once(address));
            let found = self.nodes.borrow().find(node_hash(raw, std::iter::once(address)), same).cloned();
            if let Some(node) = found {
                return El::Node { first: *first, end: *end, depth: depth.saturating_add(1), shared: true, node };
            }
        }
        self.node(kind, [child])
    }

    /// The interned node of `kind` over token `idx` alone, if there is one.
    fn existing_leaf(&self, kind: SyntaxKind, idx: usize) -> Option<GreenNode> {
        let token = self.tokens.get(idx).filter(|_| idx < self.real)?;
        // Only tokens from the intern table (not keywords, whitespace or long tokens).
        if token.kind <= IND_QUOTE {
            return None;
        }
        let text = &self.src[self.range(idx)];
        if text.len() > INTERN_MAX_LEN {
            return None;
        }
        let raw = token.kind as u16;
        let interned = self.interned.borrow();
        let found = interned.find(token_hash(raw, text), |t| t.kind().0 == raw && t.text() == text)?;
        let address = &**found as *const rowan::GreenTokenData as usize;
        let kind = kind as u16;
        let same = |n: &GreenNode| n.kind().0 == kind && n.children().len() == 1 && child_addresses(n).eq(std::iter::once(address));
        self.nodes.borrow().find(node_hash(kind, std::iter::once(address)), same).cloned()
    }

    /// The element for a token the grammar consumed.
    pub fn tok(&self, tok: Tok) -> El {
        let idx = tok.idx as usize;
        if idx >= self.real {
            // A virtual token has no text: it stands in the tree as an empty ERROR node.
            let at = self.virtual_at;
            return El::Node { first: at, end: at, depth: 1, shared: false, node: GreenNode::new(ERROR.into(), []) };
        }
        El::Token { idx: tok.idx, token: self.green_token(idx) }
    }

    /// Where the element starting at token `first` starts.
    fn start_of(&self, first: u32) -> u32 {
        self.tokens[..self.real].get(first as usize).map_or(self.src.len() as u32, |t| t.start)
    }

    /// A node of `kind` over `children` (in source order), with the tokens between them.
    ///
    /// A node without children is placed at byte offset `at`.
    pub fn node_at(&self, kind: SyntaxKind, at: u32, children: impl IntoIterator<Item = El>) -> El {
        // Only this small part is generic: the work is done once, in `build`, rather than in a
        // copy per grammar action (which would crowd the instruction cache).
        let mut buf = self.elements.take();
        buf.extend(children);
        let el = self.build(kind, at, &mut buf);
        *self.elements.borrow_mut() = buf;
        el
    }

    /// A node of `kind` over `head`, the elements of `list` and `tail`; the list's buffer is
    /// kept for the next list (see [`Builder::list`]).
    pub fn node_list(
        &self,
        kind: SyntaxKind,
        head: impl IntoIterator<Item = El>,
        mut list: Vec<El>,
        tail: impl IntoIterator<Item = El>,
    ) -> El {
        let mut buf = self.elements.take();
        buf.extend(head);
        buf.append(&mut list);
        self.recycle(list);
        buf.extend(tail);
        let el = self.build(kind, 0, &mut buf);
        *self.elements.borrow_mut() = buf;
        el
    }

    /// A list of grammar values starting with `first`, in a buffer reused from an earlier list:
    /// the grammar's list rules would otherwise allocate (and grow) a vector per list.
    pub fn list(&self, first: El) -> Vec<El> {
        let mut list = self.lists.borrow_mut().pop().unwrap_or_else(|| Vec::with_capacity(8));
        list.push(first);
        list
    }

    /// `head`, then the elements of `list`, then `tail`, in one list (reusing `list`'s buffer).
    pub fn wrap_list(&self, head: El, mut list: Vec<El>, tail: El) -> Vec<El> {
        let mut out = self.list(head);
        out.append(&mut list);
        self.recycle(list);
        out.push(tail);
        out
    }

    /// Keeps an emptied list buffer for reuse.
    fn recycle(&self, mut list: Vec<El>) {
        if list.capacity() > 0 {
            list.clear();
            let mut lists = self.lists.borrow_mut();
            if lists.len() < MAX_SPARE_LISTS {
                lists.push(list);
            }
        }
    }

    /// The node of `kind` over `children` (which it drains).
    #[inline(never)]
    fn build(&self, kind: SyntaxKind, at: u32, children: &mut Vec<El>) -> El {
        let first = match children.first() {
            Some(c) => c.first(),
            None => self.tokens[..self.real].partition_point(|t| t.start < at) as u32,
        };
        let mut out = self.scratch.take();
        out.clear();
        let mut pos = first;
        let mut depth: u8 = 1;
        let mut shared = true;
        for child in children.drain(..) {
            depth = depth.max(child.depth().saturating_add(1));
            shared &= child.shared();
            debug_assert!(child.first() >= pos, "children out of order in {kind:?}");
            if child.first() > pos && self.fill(&mut out, pos as usize, child.first() as usize) {
                // Skipped tokens make an ERROR node: one level more, and never shared.
                depth = depth.max(2);
                shared = false;
            }
            pos = pos.max(child.end());
            out.push(child.into_green());
        }
        let (green, shared) = self.intern_node(kind, &mut out, shared);
        *self.scratch.borrow_mut() = out;
        if crate::validate::needs_check(kind, &green, &mut self.names.borrow_mut()) {
            self.checks.borrow_mut().push((self.start_of(first), green.clone()));
        }
        El::Node { first, end: pos, depth, shared, node: green }
    }

    /// The node of `kind` over `children` (which it drains), shared with an equal one built
    /// before when it is small and its children are all `shared` (see [`El`]); and whether it
    /// is in the intern table.
    fn intern_node(&self, kind: SyntaxKind, children: &mut Vec<Green>, shared: bool) -> (GreenNode, bool) {
        // Small nodes repeat: leaves (`NAME(x)`, `VARIABLE(x)`, `LITERAL(1)`) most, but also
        // `lib.optional`, `x.enable or false` and the like, whose children are interned too (as
        // rowan's own node cache does). Interning nodes with more children costs more in table
        // lookups than it saves in allocation; a node with a child that is not in the table
        // cannot have been built before, and is left out of the table, which stays smaller.
        if !shared || children.is_empty() || children.len() > MAX_INTERNED_CHILDREN {
            return (GreenNode::new(kind.into(), children.drain(..)), false);
        }
        let raw = kind as u16;
        let hash = node_hash(raw, children.iter().map(address));
        let mut nodes = self.nodes.borrow_mut();
        let same = |n: &GreenNode| {
            n.kind().0 == raw && n.children().len() == children.len() && child_addresses(n).eq(children.iter().map(address))
        };
        if let Some(node) = nodes.find(hash, same) {
            let node = node.clone();
            children.clear();
            return (node, true);
        }
        let node = GreenNode::new(kind.into(), children.drain(..));
        nodes.insert_unique(hash, node.clone(), |n| node_hash(n.kind().0, child_addresses(n)));
        (node, true)
    }

    /// Groups an operator expression, read flat as `first (op term)*`, into `UNARY_OP` and
    /// `BIN_OP` nodes, by operator precedence, the way the reference parser's precedence
    /// declarations group it (each term's `-` and `? attrpath` are already applied, see
    /// [`Builder::term`]):
    ///
    /// - An infix operator takes what binds tighter than it on its left; of equal power,
    ///   left-associative operators group to the left, right-associative ones to the right, and
    ///   non-associative ones (`==`, `<`, ...) are an error.
    /// - A pending prefix operator reaches over every infix operator that binds tighter than it,
    ///   so `!` (which binds looser than `+`) makes `a + !b + c` into `a + !(b + c)`.
    ///
    /// It runs on explicit stacks: long chains cannot overflow the call stack.
    pub fn operators(&self, first: Term, mut rest: Vec<(Tok, Term)>) -> El {
        // Most operator expressions are a lone operand.
        if rest.is_empty() && first.pending.1 == 0 {
            return first.operand;
        }
        let mut operands = self.lists.borrow_mut().pop().unwrap_or_default();
        let mut pending = self.pending.take();
        pending.clear();
        let reduce = |operands: &mut Vec<El>, op: Pending| {
            let node = match op {
                Pending::Prefix(t) => {
                    let operand = operands.pop();
                    self.node(UNARY_OP, std::iter::once(self.tok(t)).chain(operand))
                }
                Pending::Infix(t) => {
                    let rhs = operands.pop();
                    let lhs = operands.pop();
                    self.node(BIN_OP, lhs.into_iter().chain(std::iter::once(self.tok(t))).chain(rhs))
                }
            };
            operands.push(node);
        };
        let push_term = |operands: &mut Vec<El>, pending: &mut Vec<Pending>, term: Term| {
            pending.extend(self.prefix_tokens(term.pending).map(Pending::Prefix));
            operands.push(term.operand);
        };
        push_term(&mut operands, &mut pending, first);
        for (op, term) in rest.drain(..) {
            let (power, assoc) = infix_power(op.kind);
            while let Some(&top) = pending.last() {
                let top_power = top.power();
                let reduces = top_power > power
                    || (top_power == power && matches!(top, Pending::Infix(_)) && assoc != Assoc::Right);
                if !reduces {
                    break;
                }
                if top_power == power && assoc == Assoc::None {
                    let range = self.range(op.idx as usize);
                    let found = describe_found(op.kind, &self.src[range.clone()]);
                    self.push_error(SyntaxError::new(
                        SyntaxErrorKind::UnexpectedToken,
                        range.start as u32..range.end as u32,
                        format!("unexpected {found}: comparisons do not chain; combine them with '&&' or add parentheses"),
                    ));
                }
                pending.pop();
                reduce(&mut operands, top);
            }
            pending.push(Pending::Infix(op));
            push_term(&mut operands, &mut pending, term);
        }
        while let Some(top) = pending.pop() {
            reduce(&mut operands, top);
        }
        // Every operator took its operands, so exactly one is left.
        let result = operands.pop().unwrap_or_else(|| self.node_at(ERROR, 0, []));
        self.recycle(operands);
        *self.pending.borrow_mut() = pending;
        if rest.capacity() > 0 {
            let mut spare = self.infix_lists.borrow_mut();
            if spare.len() < MAX_SPARE_LISTS {
                spare.push(rest);
            }
        }
        result
    }

    /// The start of an operator expression's list of infix operators and terms (see
    /// [`Builder::list`]).
    pub fn infix_list(&self, op: Tok, term: Term) -> Vec<(Tok, Term)> {
        let mut list = self.infix_lists.borrow_mut().pop().unwrap_or_else(|| Vec::with_capacity(4));
        list.push((op, term));
        list
    }

    /// A term of an operator expression: `prefix` operators, the `operand`, and `has` tests.
    /// Applies what binds tighter than every infix operator: the `-` after the last `!` (unary
    /// minus binds tightest of all), then the `? attrpath` tests (`-a ? b` is `(-a) ? b`, but
    /// `!a ? b` is `!(a ? b)`, and `a ? b ? c` is `(a ? b) ? c`). The operators up to the last
    /// `!` stay pending for [`Builder::operators`].
    pub fn term(&self, prefix: Vec<Tok>, operand: El, has: Vec<(Tok, El)>) -> Term {
        let split = prefix.iter().rposition(|t| t.kind == BANG).map_or(0, |i| i + 1);
        let mut operand = operand;
        for &minus in prefix[split..].iter().rev() {
            operand = self.node(UNARY_OP, [self.tok(minus), operand]);
        }
        for (q, path) in has {
            operand = self.node(HAS_ATTR, [operand, self.tok(q), path]);
        }
        let pending = match prefix.first() {
            Some(first) if split > 0 => (first.idx, split as u32),
            _ => (0, 0),
        };
        Term { pending, operand }
    }

    /// The pending prefix operators of a term, outermost first.
    fn prefix_tokens(&self, (first, count): (u32, u32)) -> impl Iterator<Item = Tok> + '_ {
        self.tokens[first as usize..]
            .iter()
            .enumerate()
            .filter(|(_, t)| !t.kind.is_trivia() && t.kind != ERROR_TOKEN)
            .take(count as usize)
            .map(move |(i, t)| Tok { kind: t.kind, terminal: t.terminal, idx: first + i as u32, term: terminal_of(t.kind, t.terminal) })
    }

    /// A node of `kind` over at least one child.
    pub fn node(&self, kind: SyntaxKind, children: impl IntoIterator<Item = El>) -> El {
        self.node_at(kind, 0, children)
    }

    /// Adds tokens `from..to` to `out`: trivia as they are, anything else (tokens the parser
    /// skipped) wrapped in an `ERROR` node. Returns whether it made an ERROR node.
    fn fill(&self, out: &mut Vec<Green>, from: usize, to: usize) -> bool {
        // Most gaps are one whitespace token.
        if to == from + 1 && self.tokens[from].kind.is_trivia() {
            out.push(NodeOrToken::Token(self.green_token(from)));
            return false;
        }
        let gap = &self.tokens[from..to];
        let lo = from + gap.iter().position(|t| !t.kind.is_trivia()).unwrap_or(gap.len());
        let hi = from + gap.iter().rposition(|t| !t.kind.is_trivia()).map_or(gap.len(), |i| i + 1);
        out.extend((from..lo).map(|i| NodeOrToken::Token(self.green_token(i))));
        if lo < hi {
            let skipped = (lo..hi).map(|i| NodeOrToken::Token(self.green_token(i)));
            out.push(NodeOrToken::Node(GreenNode::new(ERROR.into(), skipped)));
        }
        out.extend((hi..to).map(|i| NodeOrToken::Token(self.green_token(i))));
        lo < hi
    }

    /// The root node over `body` (if the parse produced one) and everything around it, and the
    /// depth of the tree; `None` when the depth is more than an element counts (the caller
    /// measures the tree then).
    pub(crate) fn root(&self, body: Option<El>) -> (GreenNode, Option<usize>) {
        let real = self.real;
        let mut out = Vec::new();
        let mut pos = 0;
        let mut depth = body.as_ref().map_or(1, |b| usize::from(b.depth()) + 1);
        let saturated = body.as_ref().is_some_and(|b| b.depth() == DEPTH_SATURATED);
        if let Some(body) = body {
            let first = (body.first() as usize).min(real);
            if self.fill(&mut out, 0, first) {
                depth = depth.max(2);
            }
            pos = (body.end() as usize).min(real);
            out.push(body.into_green());
        }
        if self.fill(&mut out, pos, real) {
            depth = depth.max(2);
        }
        (GreenNode::new(ROOT.into(), out), (!saturated).then_some(depth))
    }

    /// Records a recovered error and returns the `ERROR` node for the tokens it skipped.
    pub fn recover(&self, at: u32, recovery: ErrorRecovery<u32, Tok, Never>) -> El {
        self.report(recovery.error);
        let skipped = recovery.dropped_tokens.iter().map(|&(_, t, _)| self.tok(t));
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
                format!("unexpected {}{}", describe_found(tok.kind, &self.src[self.range(tok.idx as usize)]), expected_list(&expected)),
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
                format!("unexpected {}, expected end of file", describe_found(tok.kind, &self.src[self.range(tok.idx as usize)])),
            ),
            ParseError::InvalidToken { location } => SyntaxError::new(
                SyntaxErrorKind::UnexpectedToken,
                location..location,
                "invalid token".into(),
            ),
            ParseError::User { error } => match error {},
        };
        self.push_error(error);
    }

    /// Records `error`, unless one was already reported at the same place: recovery can
    /// stumble over one token more than once, and one report per place is enough.
    fn push_error(&self, error: SyntaxError) {
        let mut errors = self.errors.borrow_mut();
        if !errors.iter().any(|e| e.range == error.range) {
            errors.push(error);
        }
    }
}

fn describe_found(kind: SyntaxKind, text: &str) -> String {
    match kind {
        IDENT => format!("identifier '{text}'"),
        INTEGER | FLOAT | URI | PATH | SEARCH_PATH => format!("{} '{text}'", kind.describe()),
        kind => kind.describe().to_string(),
    }
}

/// ", expected X or Y" from the grammar's list of terminal names. A long list (everything that
/// may continue an expression) is cut down to the tokens that close or separate a construct,
/// which is what a user has most likely forgotten.
fn expected_list(expected: &[String]) -> String {
    let mut names: Vec<String> = expected.iter().filter_map(|name| terminal_name(name)).collect();
    names.dedup();
    // `INFIX` stands for fourteen operators, so a list with it is a long one.
    if names.len() > 6 || expected.iter().any(|name| name == "INFIX") {
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
        "PATH_CONT" | "PATH_INTERP" | "INFIX" => return None,
        "SEARCH_PATH" => "a '<...>' path".into(),
        "STRING_CONTENT" => "string text".into(),
        other => format!("'{}'", other.replace("\\\"", "\"")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Equal small nodes and equal tokens are one allocation each.
    #[test]
    fn small_nodes_and_tokens_are_shared() {
        let parse = crate::parse("[ a.b a.b \"x\" \"x\" ]");
        let list = parse.green().children().find_map(|c| c.into_node()).expect("the list");
        let items: Vec<&rowan::GreenNodeData> = list.children().filter_map(|c| c.into_node()).collect();
        assert_eq!(items.len(), 4, "{list:?}");
        assert!(std::ptr::eq(items[0], items[1]), "a.b twice");
        assert!(std::ptr::eq(items[2], items[3]), "\"x\" twice");
        let texts: Vec<_> = list.children().filter_map(|c| c.into_token()).collect();
        assert!(texts.len() >= 4);
        assert!(std::ptr::eq(texts[1], texts[2]), "the spaces");
    }

    /// Elements fill the parser's stack; growing them slows every shift and reduction.
    #[test]
    fn el_is_small() {
        assert!(std::mem::size_of::<El>() <= 24, "El is {} bytes", std::mem::size_of::<El>());
        assert!(std::mem::size_of::<Term>() <= 32, "Term is {} bytes", std::mem::size_of::<Term>());
        // And tokens fill the lexer's vector, about one per two or three bytes of source.
        assert!(std::mem::size_of::<Token>() <= 8, "Token is {} bytes", std::mem::size_of::<Token>());
    }
}
