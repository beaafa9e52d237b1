//! The store's error type: every way a store path, hash, NAR or derivation can be malformed.

use std::path::PathBuf;

/// Everything that can go wrong in this crate. Messages are lower-case and say what was expected.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A string that should be a store path is not one.
    #[error("invalid store path '{path}': {reason}")]
    BadStorePath {
        /// The offending string.
        path: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A store path name (the part after the hash) breaks Nix's name rules.
    #[error("invalid store path name '{name}': {reason}")]
    BadName {
        /// The offending name.
        name: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A hash string could not be decoded.
    #[error("invalid hash '{hash}': {reason}")]
    BadHash {
        /// The offending hash text.
        hash: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A NAR archive is malformed.
    #[error("malformed NAR: {0}")]
    BadNar(String),
    /// A file-system object cannot be put into a NAR (a socket, a device, a deep tree, ...).
    #[error("cannot archive '{path}': {reason}")]
    Unarchivable {
        /// The file that could not be archived.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// A `.drv` file is not valid ATerm or not a valid derivation.
    #[error("malformed derivation at byte {offset}: {reason}")]
    BadDerivation {
        /// Byte offset in the ATerm text where parsing stopped.
        offset: usize,
        /// What was expected there.
        reason: String,
    },
    /// A derivation is well-formed but cannot be hashed or given output paths.
    #[error("invalid derivation: {0}")]
    InvalidDerivation(String),
    /// An input derivation needed for hashing could not be found.
    #[error(
        "input derivation '{0}' is not known (add it to the hash cache or the derivation source)"
    )]
    UnknownDerivation(String),
    /// An I/O error, with the path it happened on.
    #[error("{path}: {source}")]
    Io {
        /// The file being read or written.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The store database failed.
    #[error("store database: {0}")]
    Database(#[from] rusqlite::Error),
    /// A store path that should be valid (registered) is not.
    #[error("path '{0}' is not valid in the store")]
    NotValid(String),
    /// The local store cannot do what was asked (layout, configuration or consistency problem).
    #[error("{0}")]
    Store(String),
    /// An I/O error on a stream (a reader or writer with no path).
    #[error("i/o error: {0}")]
    Stream(#[from] std::io::Error),
}

/// Shorthand for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
