//! Reading sources: files or standard input, as bytes checked for UTF-8.

use std::io::Read;
use std::path::{Path, PathBuf};

/// A source file read into memory.
pub struct Source {
    /// The name shown to users.
    pub name: String,
    /// The path, unless the source is standard input.
    pub path: Option<PathBuf>,
    /// The text; bytes that are not UTF-8 are carried as stand-in characters
    /// (see `lix_syntax::source`).
    pub text: String,
    /// Why the bytes could not be read as text, if they could not (then `text` is a lossy copy,
    /// good only for showing errors).
    pub unreadable: Option<lix_syntax::source::AmbiguousSource>,
}

/// Reads `path`, or standard input for `-`.
pub fn read(path: &Path) -> std::io::Result<Source> {
    let (name, path, bytes) = if path == Path::new("-") {
        let mut bytes = Vec::new();
        std::io::stdin().read_to_end(&mut bytes)?;
        ("<stdin>".to_string(), None, bytes)
    } else {
        (path.display().to_string(), Some(path.to_path_buf()), std::fs::read(path)?)
    };
    Ok(match lix_syntax::source::decode(&bytes) {
        Ok(text) => Source { name, path, text: text.into_owned(), unreadable: None },
        Err(e) => {
            let text = String::from_utf8_lossy(&bytes).into_owned();
            Source { name, path, text, unreadable: Some(e) }
        }
    })
}
