//! The entry point: source text in, syntax tree and errors out.

use rowan::GreenNode;

use crate::builder::{Builder, Tok};
use crate::error::{SyntaxError, SyntaxErrorKind};
use crate::grammar::FileParser;
use crate::kind::SyntaxNode;
use crate::lexer::{self, Lexed};
use crate::validate;

/// The deepest nesting of syntax nodes that is accepted. Deeper input is reported as an error and
/// its tree flattened (the root holds one `ERROR` node with every token: still lossless), so
/// that tools which walk trees recursively have a bound.
pub const MAX_DEPTH: usize = 20_000;

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
fn builder_flat(src: &str, tokens: &[crate::lexer::Token]) -> GreenNode {
    Builder::new(src, tokens).root(None)
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
    let builder = Builder::new(src, &tokens);
    let stream = tokens.iter().enumerate().filter(|(_, t)| !t.kind.is_trivia() && t.kind != crate::SyntaxKind::ERROR_TOKEN).map(
        |(idx, t)| -> Result<(u32, Tok, u32), crate::builder::Never> {
            Ok((t.start, Tok { kind: t.kind, terminal: t.terminal, idx: idx as u32 }, t.end))
        },
    );
    let body = match FileParser::new().parse(&builder, stream) {
        Ok(body) => Some(body),
        Err(error) => {
            builder.report(error);
            None
        }
    };
    let mut green = builder.root(body);
    let mut errors = builder.into_errors();
    errors.append(&mut lex_errors);
    let mut depth = validate::depth(&green);
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
        let root = SyntaxNode::new_root(green.clone());
        validate::validate(&root, &mut errors);
    }
    errors.sort_by_key(|e| (e.range.start, e.range.end));
    Parse { green: Some(green), depth, errors }
}
