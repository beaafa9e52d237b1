//! The Nix syntax layer: lexer, parser and lossless rowan syntax tree, for every edition.
//!
//! [`parse`] never fails: it returns a tree that holds every byte of the input (trivia and
//! unparsable bytes included, the latter under `ERROR` nodes) and the list of errors. The crate
//! parses the union of all editions and knows nothing of which edition allows what; see
//! `lix-editions` for that.

pub mod ast;
mod builder;
pub mod error;
pub mod kind;
pub mod lexer;
pub mod source;
pub mod strings;
mod parse;
pub mod validate;

lalrpop_util::lalrpop_mod!(
    #[allow(clippy::all, unused_parens, unused_imports, dead_code)]
    grammar
);

pub use error::{SyntaxError, SyntaxErrorKind};
pub use kind::{NixLanguage, SyntaxElement, SyntaxKind, SyntaxNode, SyntaxToken};
pub use parse::{parse, Parse, MAX_DEPTH, MAX_SOURCE_LEN};
pub use rowan::{TextRange, TextSize};
