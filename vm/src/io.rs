//! `EvalIO`: every way evaluation reaches outside itself. The VM never touches the file system,
//! the environment or the store directly; it asks its `EvalIO`. [`RealIO`] is the real file
//! system and process environment.

use std::io;
use std::path::Path;

/// The kind of a directory entry, as `builtins.readDir` names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileType {
    /// A regular file.
    Regular,
    /// A directory.
    Directory,
    /// A symbolic link.
    Symlink,
    /// Anything else.
    Unknown,
}

impl FileType {
    /// The name Nix gives it.
    pub fn name(self) -> &'static str {
        match self {
            FileType::Regular => "regular",
            FileType::Directory => "directory",
            FileType::Symlink => "symlink",
            FileType::Unknown => "unknown",
        }
    }
}

/// The evaluator's window on the world.
pub trait EvalIO {
    /// The contents of the file at `path`.
    fn read_file(&self, path: &str) -> io::Result<Vec<u8>>;
    /// Whether `path` exists (symlinks followed).
    fn path_exists(&self, path: &str) -> bool;
    /// The type of `path` itself (symlinks not followed).
    fn file_type(&self, path: &str) -> io::Result<FileType>;
    /// The entries of the directory `path`, sorted by name.
    fn read_dir(&self, path: &str) -> io::Result<Vec<(String, FileType)>>;
    /// An environment variable.
    fn get_env(&self, name: &str) -> Option<String>;
    /// Copies `path` into the store and returns its store path. Without a store this is an
    /// error.
    fn add_to_store(&self, path: &str) -> Result<String, String> {
        Err(format!("cannot copy '{path}' to the store: lixc has no store yet"))
    }
}

/// The real file system and environment.
#[derive(Default)]
pub struct RealIO;

impl EvalIO for RealIO {
    fn read_file(&self, path: &str) -> io::Result<Vec<u8>> {
        std::fs::read(path)
    }

    fn path_exists(&self, path: &str) -> bool {
        Path::new(path).exists()
    }

    fn file_type(&self, path: &str) -> io::Result<FileType> {
        let meta = std::fs::symlink_metadata(path)?;
        Ok(file_type_of(&meta.file_type()))
    }

    fn read_dir(&self, path: &str) -> io::Result<Vec<(String, FileType)>> {
        let mut out = Vec::new();
        for entry in std::fs::read_dir(path)? {
            let entry = entry?;
            let ty = entry.file_type().map(|t| file_type_of(&t)).unwrap_or(FileType::Unknown);
            out.push((entry.file_name().to_string_lossy().into_owned(), ty));
        }
        out.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(out)
    }

    fn get_env(&self, name: &str) -> Option<String> {
        std::env::var(name).ok()
    }
}

fn file_type_of(t: &std::fs::FileType) -> FileType {
    if t.is_symlink() {
        FileType::Symlink
    } else if t.is_dir() {
        FileType::Directory
    } else if t.is_file() {
        FileType::Regular
    } else {
        FileType::Unknown
    }
}
