//! The entry point: source text in, syntax tree and errors out.

use rowan::GreenNode;

use crate::builder::{terminal_of, Builder, Findings, Never, Tok};
use crate::error::{SyntaxError, SyntaxErrorKind};
use crate::grammar::FileParser;
use crate::kind::SyntaxNode;
use crate::kind::SyntaxKind;
use crate::lexer::{self, Lexed, Terminal, Token};
use crate::validate;

/// The deepest nesting of syntax nodes that is accepted. Deeper input is reported as an error and
/// its tree flattened (the root holds one `ERROR` node with every token: still lossless), so
/// that tools which walk trees recursively have a bound.
pub const MAX_DEPTH: usize = 100_000;

/// Trees deeper than this are freed on a stack of their own: rowan frees nodes recursively.
const DEEP_DROP: usize = 1_000;

/// Stack bytes reserved per level of tree when freeing a deep tree (generous: debug builds use
/// a few hundred bytes per level).
const DROP_STACK_PER_LEVEL: usize = 1024;

/// Frees `green` on a stack large enough for its `depth`.
fn drop_deep(green: GreenNode, depth: usize) {
    if depth > DEEP_DROP {
        stacker::grow(depth * DROP_STACK_PER_LEVEL + (1 << 20), move || drop(green));
    } else {
        drop(green);
    }
}

/// The largest source accepted: tree offsets are 32-bit.
pub const MAX_SOURCE_LEN: usize = u32::MAX as usize;

/// A parsed file: the green tree and every error found.
///
/// Dropping a `Parse` frees even a very deep tree safely. A [`SyntaxNode`] taken from it keeps
/// the tree alive; drop such nodes before the `Parse` when trees may be thousands of levels deep.
#[derive(Clone, Debug)]
pub struct Parse {
    green: Option<GreenNode>,
    depth: usize,
    errors: Vec<SyntaxError>,
}

impl Drop for Parse {
    fn drop(&mut self) {
        if let Some(green) = self.green.take() {
            drop_deep(green, self.depth);
        }
    }
}

impl Parse {
    /// The root of the syntax tree.
    pub fn syntax(&self) -> SyntaxNode {
        SyntaxNode::new_root(self.green().clone())
    }

    /// The green (immutable, position-free) tree.
    pub fn green(&self) -> &GreenNode {
        // Only `drop` takes the tree out.
        self.green.as_ref().unwrap_or_else(|| unreachable!("a Parse always holds its tree"))
    }

    /// How deeply the tree's nodes nest.
    pub fn depth(&self) -> usize {
        self.depth
    }

    /// Lexical, syntactic and structural errors, in source order.
    pub fn errors(&self) -> &[SyntaxError] {
        &self.errors
    }

    /// Whether the file parsed without any error.
    pub fn is_ok(&self) -> bool {
        self.errors.is_empty()
    }

    /// The typed root of the tree.
    pub fn root(&self) -> crate::ast::Root {
        crate::ast::Root { syntax: self.syntax() }
    }
}

/// The offset where the first node deeper than [`MAX_DEPTH`] starts.
fn first_too_deep(green: &GreenNode) -> u32 {
    let mut depth = 0;
    for event in SyntaxNode::new_root(green.clone()).preorder() {
        match event {
            rowan::WalkEvent::Enter(node) => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return node.text_range().start().into();
                }
            }
            rowan::WalkEvent::Leave(_) => depth -= 1,
        }
    }
    0
}

/// A shallow tree of all tokens: the root over one `ERROR` node.
fn builder_flat(src: &str, tokens: &[Token]) -> GreenNode {
    Builder::new(src, tokens, tokens.len()).root(None).0
}

/// How deeply the nodes of `green` nest (the root alone is 1), by an iterative walk.
fn measure_depth(green: &GreenNode) -> usize {
    let mut deepest = 0;
    let mut stack: Vec<(&rowan::GreenNodeData, usize)> = vec![(green, 1)];
    while let Some((node, depth)) = stack.pop() {
        deepest = deepest.max(depth);
        stack.extend(node.children().filter_map(|c| c.into_node()).map(|c| (c, depth + 1)));
    }
    deepest
}

/// How many virtual tokens may be added to close what the end of a file left open. Each costs a
/// parse of the file; past the bound the tree keeps what plain error recovery made of the end.
const MAX_REPAIRS: usize = 16;

/// How many bytes the repairs of one file may parse again in all: large files get fewer repairs
/// (but always one), so that a truncated large file costs a few parses, not sixteen.
const REPAIR_BYTE_BUDGET: usize = 32 << 20;

/// Tokens that can close or complete a construct left open at the end of the input, in the order
/// they are tried, with the grammar's name for each.
const CLOSERS: &[(&str, SyntaxKind)] = &[
    ("\"}\"", SyntaxKind::R_BRACE),
    ("\"]\"", SyntaxKind::R_BRACK),
    ("\")\"", SyntaxKind::R_PAREN),
    ("\";\"", SyntaxKind::SEMICOLON),
    ("\"in\"", SyntaxKind::IN_KW),
    ("\"then\"", SyntaxKind::THEN_KW),
    ("\"else\"", SyntaxKind::ELSE_KW),
    ("\":\"", SyntaxKind::COLON),
    ("\"=\"", SyntaxKind::ASSIGN),
    // A missing operand; before the quotes, which would open a string rather than close one.
    ("IDENT", SyntaxKind::IDENT),
    ("\"\\\"\"", SyntaxKind::QUOTE),
    ("\"''\"", SyntaxKind::IND_QUOTE),
];

/// The root of a tree and its depth (`None`: deeper than the builder counts).
type Root = (GreenNode, Option<usize>);

/// One run of the grammar: the tree it built (the root over the body and everything around
/// it, built by the same builder, which saves a second one per file), and what it found besides.
struct Attempt {
    root: Root,
    findings: Findings,
}

/// Runs the grammar over the significant tokens before `cut` (a token index), followed by
/// zero-width `virtuals` at the end of the input.
fn attempt(src: &str, tokens: &[Token], cut: usize, virtuals: &[SyntaxKind]) -> Attempt {
    // Virtual tokens sit right after the last real one, so trailing trivia stays at the root.
    let len = src.len();
    let end = tokens.iter().rposition(|t| !t.kind.is_trivia()).map_or(0, |i| lexer::range(tokens, i, len).end) as u32;
    let mut owned = Vec::new();
    let all: &[Token] = if virtuals.is_empty() {
        tokens
    } else {
        owned.extend_from_slice(tokens);
        owned.extend(virtuals.iter().map(|&kind| Token { kind, terminal: Terminal::Plain, start: end }));
        &owned
    };
    let builder = Builder::new(src, all, tokens.len());
    builder.reserve_for_parse();
    let significant = |(idx, t): &(usize, &Token)| {
        (*idx < cut || *idx >= tokens.len()) && !t.kind.is_trivia() && t.kind != SyntaxKind::ERROR_TOKEN
    };
    let real = tokens.len();
    let stream = all.iter().enumerate().filter(significant).map(|(idx, t)| -> Result<(u32, Tok, u32), Never> {
        // Real tokens end where the next starts; virtual ones are empty.
        let end = match idx + 1 {
            next if next < real => tokens[next].start,
            next if next == real => len as u32,
            _ => t.start,
        };
        Ok((t.start, Tok { kind: t.kind, terminal: t.terminal, idx: idx as u32, term: terminal_of(t.kind, t.terminal) }, end))
    });
    let body = match FileParser::new().parse(&builder, stream) {
        Ok(body) => Some(body),
        Err(error) => {
            builder.report(error);
            None
        }
    };
    let root = builder.root(body);
    Attempt { root, findings: builder.finish() }
}

/// Runs the grammar, keeping the tree's structure where plain error recovery would lose it:
///
/// - Tokens after a complete expression (`{ a = 1; } }`) are cut off: the expression before them
///   is parsed alone and they become an `ERROR` node at the root.
/// - When the input ends inside an open construct, the parse is repeated with zero-width virtual
///   tokens that close it (they stand in the tree as empty `ERROR` nodes), and the end-of-file
///   error of the first run is reported.
fn parse_tokens(src: &str, tokens: &[Token]) -> (Root, Vec<SyntaxError>, Vec<(u32, GreenNode)>) {
    let first = attempt(src, tokens, tokens.len(), &[]);
    if !tokens.iter().any(|t| !t.kind.is_trivia() && t.kind != SyntaxKind::ERROR_TOKEN) {
        // Nothing to parse: an empty file is an error, not an empty placeholder expression (which
        // a repair would make of it).
        drop(first.root);
        return (Builder::new(src, tokens, tokens.len()).root(None), first.findings.errors, Vec::new());
    }
    if let Some(tok) = first.findings.first_unexpected {
        let prefix = attempt(src, tokens, tok.idx as usize, &[]);
        if prefix.findings.errors.is_empty() {
            let builder = Builder::new(src, tokens, tokens.len());
            return (prefix.root, vec![builder.trailing(tok)], prefix.findings.checks);
        }
    }
    let eof_error = first.findings.errors.iter().find(|e| e.kind == SyntaxErrorKind::UnexpectedEof).cloned();
    let mut virtuals: Vec<SyntaxKind> = Vec::new();
    let max_repairs = (REPAIR_BYTE_BUDGET / src.len().max(1)).clamp(1, MAX_REPAIRS);
    let mut current = first;
    loop {
        let closer = current.findings.eof_expected.as_ref().and_then(|expected| {
            CLOSERS.iter().find(|(name, _)| expected.iter().any(|e| e == name)).map(|&(_, kind)| kind)
        });
        match closer {
            Some(kind) if virtuals.len() < max_repairs => {
                virtuals.push(kind);
                current = attempt(src, tokens, tokens.len(), &virtuals);
            }
            _ => break,
        }
    }
    let mut errors = current.findings.errors;
    if let Some(first) = eof_error {
        // Report the end of input once, as the first run saw it.
        errors.retain(|e| e.kind != SyntaxErrorKind::UnexpectedEof);
        errors.push(first);
    }
    (current.root, errors, current.findings.checks)
}

/// Parses Nix source text. Never fails and never panics; see the crate docs.
pub fn parse(src: &str) -> Parse {
    if src.len() > MAX_SOURCE_LEN {
        let green = GreenNode::new(crate::SyntaxKind::ROOT.into(), []);
        let error = SyntaxError::new(
            SyntaxErrorKind::BadInput,
            0..0,
            format!("file is too large to parse ({} bytes; the limit is 4 GiB)", src.len()),
        );
        return Parse { green: Some(green), depth: 1, errors: vec![error] };
    }
    let Lexed { tokens, errors: mut lex_errors } = lexer::lex(src);
    let ((mut green, depth), mut errors, checks) = parse_tokens(src, &tokens);
    // Deep trees are measured once built; the builder counts only the first levels.
    let mut depth = depth.unwrap_or_else(|| measure_depth(&green));
    errors.append(&mut lex_errors);
    if depth > MAX_DEPTH {
        let at = first_too_deep(&green);
        let flat = builder_flat(src, &tokens);
        let deep = std::mem::replace(&mut green, flat);
        drop_deep(deep, depth);
        depth = 3;
        errors.push(SyntaxError::new(
            SyntaxErrorKind::TooDeep,
            at..at + 1,
            format!("expression nested too deeply (more than {MAX_DEPTH} levels); split it up"),
        ));
    } else {
        validate::validate(checks, &mut errors);
    }
    errors.sort_by_key(|e| (e.range.start, e.range.end));
    Parse { green: Some(green), depth, errors }
}
