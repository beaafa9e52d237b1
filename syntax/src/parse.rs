//! The entry point: source text in, syntax tree and errors out.

use rowan::GreenNode;

use crate::builder::{Builder, Tok};
use crate::error::{SyntaxError, SyntaxErrorKind};
use crate::grammar::FileParser;
use crate::kind::SyntaxNode;
use crate::lexer::{self, Lexed};
use crate::validate;

/// The deepest nesting of syntax nodes that is accepted. Deeper input is still parsed into a
/// lossless tree, but reported as an error, so that tools which walk trees recursively (lowering,
/// printing) have a bound.
pub const MAX_DEPTH: usize = 25_000;

/// The largest source accepted: tree offsets are 32-bit.
pub const MAX_SOURCE_LEN: usize = u32::MAX as usize;

/// A parsed file: the green tree and every error found.
#[derive(Clone, Debug)]
pub struct Parse {
    green: GreenNode,
    errors: Vec<SyntaxError>,
}

impl Parse {
    /// The root of the syntax tree.
    pub fn syntax(&self) -> SyntaxNode {
        SyntaxNode::new_root(self.green.clone())
    }

    /// The green (immutable, position-free) tree.
    pub fn green(&self) -> &GreenNode {
        &self.green
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

/// Parses Nix source text. Never fails and never panics; see the crate docs.
pub fn parse(src: &str) -> Parse {
    if src.len() > MAX_SOURCE_LEN {
        let green = GreenNode::new(crate::SyntaxKind::ROOT.into(), []);
        let error = SyntaxError::new(
            SyntaxErrorKind::BadInput,
            0..0,
            format!("file is too large to parse ({} bytes; the limit is 4 GiB)", src.len()),
        );
        return Parse { green, errors: vec![error] };
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
    let green = builder.root(body);
    let mut errors = builder.into_errors();
    errors.append(&mut lex_errors);
    let root = SyntaxNode::new_root(green.clone());
    validate::validate(&root, &mut errors);
    errors.sort_by_key(|e| (e.range.start, e.range.end));
    Parse { green, errors }
}
