//! Syntax errors: what went wrong, where, with a stable code.

use std::fmt;
use std::ops::Range;

/// What kind of syntax error this is; each kind has a stable code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SyntaxErrorKind {
    /// A character that starts no token.
    InvalidCharacter,
    /// `/*` without `*/`.
    UnterminatedComment,
    /// A path literal ending in `/`.
    PathTrailingSlash,
    /// A token the grammar does not allow here.
    UnexpectedToken,
    /// The input ended where the grammar needs more.
    UnexpectedEof,
    /// An integer literal larger than a signed 64-bit integer.
    IntegerOverflow,
    /// The same attribute defined twice in one set or `let`.
    DuplicateAttr,
    /// The same name twice among a function's formal arguments.
    DuplicateFormal,
    /// `${...}` as an attribute name where only static names are allowed.
    DynamicAttrNotAllowed,
    /// A container inherit where its form cannot stand (a list form as a binding, a set form
    /// spliced into a list).
    MisplacedContainerInherit,
    /// Nesting deeper than [`crate::MAX_DEPTH`].
    TooDeep,
    /// Input that is not valid UTF-8 or too large to address.
    BadInput,
}

impl SyntaxErrorKind {
    /// The stable code of this kind of error, for tools and suppression.
    pub fn code(self) -> &'static str {
        match self {
            SyntaxErrorKind::InvalidCharacter => "E001",
            SyntaxErrorKind::UnterminatedComment => "E002",
            SyntaxErrorKind::PathTrailingSlash => "E003",
            SyntaxErrorKind::UnexpectedToken => "E004",
            SyntaxErrorKind::UnexpectedEof => "E005",
            SyntaxErrorKind::IntegerOverflow => "E006",
            SyntaxErrorKind::DuplicateAttr => "E007",
            SyntaxErrorKind::DuplicateFormal => "E008",
            SyntaxErrorKind::DynamicAttrNotAllowed => "E009",
            SyntaxErrorKind::MisplacedContainerInherit => "E010",
            SyntaxErrorKind::TooDeep => "E011",
            SyntaxErrorKind::BadInput => "E012",
        }
    }
}

/// A syntax error with its byte range and message, and optional related locations.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct SyntaxError {
    /// What kind of error.
    pub kind: SyntaxErrorKind,
    /// The bytes at fault.
    pub range: Range<u32>,
    /// A lower-case message saying what was expected and what was found.
    pub message: String,
    /// Other places that explain the error, such as a first definition.
    pub notes: Vec<(Range<u32>, String)>,
}

impl SyntaxError {
    /// An error without notes.
    pub fn new(kind: SyntaxErrorKind, range: Range<u32>, message: String) -> Self {
        SyntaxError { kind, range, message, notes: Vec::new() }
    }

    /// Adds a note about another location.
    pub fn with_note(mut self, range: Range<u32>, note: impl Into<String>) -> Self {
        self.notes.push((range, note.into()));
        self
    }
}

impl fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}..{}: {}", self.range.start, self.range.end, self.message)
    }
}
