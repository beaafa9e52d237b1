//! Evaluation errors: what went wrong, where, and the frames that were being evaluated.

use lix_syntax::TextRange;

/// A position in a loaded file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pos {
    /// Loaded-file index (see [`crate::Vm::file_source`]).
    pub file: u32,
    /// The byte range.
    pub range: TextRange,
}

/// A warning found while loading or evaluating, for the front end to print.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Warning {
    /// The message, without `warning:`.
    pub message: String,
    /// Where, when known.
    pub pos: Option<Pos>,
    /// How the reference lays this kind of warning out.
    pub layout: WarningLayout,
}

/// How a warning is printed (each kind has the reference's layout).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WarningLayout {
    /// The message, then the position and a source excerpt (the literal lints).
    Excerpt,
    /// `at FILE:LINE:COL:` before the message, no excerpt (parse-time deprecations).
    Inline,
    /// Trace frames (`… while evaluating derivation 'x'`), then the message with an excerpt.
    Traced(Vec<String>),
}

/// What kind of error: decides whether `tryEval` catches it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// `throw`: catchable.
    Throw,
    /// A failed `assert`: catchable.
    Assert,
    /// `abort`.
    Abort,
    /// A value of the wrong type, a missing attribute, a bad argument.
    Type,
    /// A thunk needed its own value.
    InfiniteRecursion,
    /// Calls nested deeper than the maximum call depth.
    StackOverflow,
    /// Anything else (I/O, syntax errors in imported files, ...).
    Other,
}

/// One frame of an error's trace.
#[derive(Clone, Debug, PartialEq)]
pub struct TraceEntry {
    /// `while calling 'f'` and the like.
    pub message: String,
    /// Where.
    pub pos: Option<Pos>,
}

/// An evaluation error. Boxed, so results stay small on the hot paths that pass them along
/// (the fields are reached through `Deref`).
#[derive(Clone, Debug, thiserror::Error)]
#[error("{}", .0.message)]
pub struct EvalError(Box<ErrorData>);

/// What an [`EvalError`] holds.
#[derive(Clone, Debug)]
pub struct ErrorData {
    /// The kind.
    pub kind: ErrorKind,
    /// The message (lower-case, without `error:`).
    pub message: String,
    /// Where it happened.
    pub pos: Option<Pos>,
    /// The frames being evaluated, innermost first.
    pub trace: Vec<TraceEntry>,
}

impl std::ops::Deref for EvalError {
    type Target = ErrorData;

    fn deref(&self) -> &ErrorData {
        &self.0
    }
}

impl std::ops::DerefMut for EvalError {
    fn deref_mut(&mut self) -> &mut ErrorData {
        &mut self.0
    }
}

impl EvalError {
    /// A new error of `kind`.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> EvalError {
        EvalError(Box::new(ErrorData { kind, message: message.into(), pos: None, trace: Vec::new() }))
    }

    /// A type error.
    pub fn type_error(message: impl Into<String>) -> EvalError {
        EvalError::new(ErrorKind::Type, message)
    }

    /// A copy to keep in a thunk whose evaluation failed: forcing it again fails the same way.
    /// The copy keeps only the innermost frames of the trace, so that memoising an error in
    /// every thunk of a deep recursion costs linear, not quadratic, memory.
    pub fn memo(&self) -> EvalError {
        const KEPT_FRAMES: usize = 16;
        EvalError(Box::new(ErrorData {
            kind: self.kind,
            message: self.message.clone(),
            pos: self.pos,
            trace: self.trace.iter().take(KEPT_FRAMES).cloned().collect(),
        }))
    }

    /// The error's data, unboxed.
    pub fn into_data(self) -> ErrorData {
        *self.0
    }

    /// Whether `tryEval` catches it.
    pub fn catchable(&self) -> bool {
        matches!(self.kind, ErrorKind::Throw | ErrorKind::Assert)
    }

    /// Sets the position if there is none yet.
    pub fn at(mut self, pos: Pos) -> EvalError {
        if self.pos.is_none() {
            self.pos = Some(pos);
        }
        self
    }
}

/// Results of evaluation.
pub type EvalResult<T> = Result<T, EvalError>;
