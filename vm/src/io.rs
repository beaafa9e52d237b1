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
    /// `path` with every symbolic link in it resolved; `path` itself where it cannot be.
    fn resolve_symlinks(&self, path: &str) -> String {
        path.to_string()
    }
    /// An environment variable.
    fn get_env(&self, name: &str) -> Option<String>;
    /// Copies `path` into the store and returns its store path (a NAR + SHA-256 "source" path
    /// named after the path's last component). A read-only store only computes the path.
    /// Without a store this is an error.
    fn add_to_store(&self, path: &str) -> Result<String, String> {
        Err(format!("cannot copy '{path}' to the store: lixc has no store yet"))
    }

    /// The logical store directory (`/nix/store`), part of every store path.
    fn store_dir(&self) -> String {
        "/nix/store".to_string()
    }

    /// Instantiates a derivation (`derivationStrict`): computes its output paths and its `.drv`
    /// path, and remembers it so later derivations can depend on it. A read-only store writes
    /// nothing. Without a store this is an error.
    fn derivation(&self, spec: DerivationSpec) -> Result<DerivationPaths, String> {
        Err(format!("cannot instantiate derivation '{}': lixc has no store here", spec.name))
    }

    /// The output names of the derivation at `drv_path`, if the store knows it.
    fn derivation_outputs(&self, drv_path: &str) -> Option<Vec<String>> {
        let _ = drv_path;
        None
    }

    /// The store path of a text file named `name` holding `contents` that refers to the store
    /// paths `references` (`builtins.toFile`). Without a store this is an error.
    fn text_path(&self, name: &str, contents: &[u8], references: &[String]) -> Result<String, String> {
        let _ = (contents, references);
        Err(format!("cannot add '{name}' to the store: lixc has no store here"))
    }

    /// Adds the file system object at `path` to the store under `name` (`builtins.path`,
    /// `filterSource`): NAR + SHA-256 when `recursive`, else the flat SHA-256 of a regular file.
    /// `filter` (if any) says whether a path below `path` is kept; a directory not kept is left
    /// out with everything in it. Returns the store path and the SHA-256 of the NAR (recursive)
    /// or of the file (flat), as Nix base-32. A read-only store only computes them.
    fn add_path(
        &self,
        path: &str,
        name: &str,
        recursive: bool,
        filter: Option<&dyn Fn(&str) -> bool>,
    ) -> Result<(String, String), String> {
        let _ = (name, recursive, filter);
        Err(format!("cannot copy '{path}' to the store: lixc has no store here"))
    }

    /// The newest modification time (seconds since the epoch) of anything in the tree at
    /// `path` (symlinks not followed), as `fetchTree`'s `path` inputs report it.
    fn last_modified(&self, path: &str) -> Option<i64> {
        let _ = path;
        None
    }

    /// Fetches `url` into the store under `name` (`builtins.fetchurl`, `fetchTarball`,
    /// `fetchTree`): the file itself (flat), or with `unpack` the tarball's single top-level
    /// directory (NAR). `expected` is the SHA-256 the user declared (flat file hash or NAR hash),
    /// in any encoding Nix accepts; a mismatch is an error. Without a store this is an error.
    fn fetch_url(&self, url: &str, name: &str, unpack: bool, expected: Option<&str>) -> Result<Fetched, String> {
        let _ = (name, unpack, expected);
        Err(format!("cannot fetch '{url}': lixc has no store here"))
    }

    /// Fetches a revision of the git repository at `url` (`builtins.fetchGit`): `rev`, else
    /// `git_ref`, else `HEAD` (or the working tree, if it has uncommitted changes).
    fn fetch_git(
        &self,
        url: &str,
        name: &str,
        rev: Option<&str>,
        git_ref: Option<&str>,
    ) -> Result<GitFetched, String> {
        let _ = (name, rev, git_ref);
        Err(format!("cannot fetch '{url}': lixc has no store here"))
    }
}

/// A file or tree a fetcher put into the store.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Fetched {
    /// Its store path.
    pub path: String,
    /// SHA-256 of its NAR, in SRI form (`sha256-…`).
    pub nar_hash: String,
}

/// A git revision a fetcher put into the store.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GitFetched {
    /// The exported tree.
    pub fetched: Fetched,
    /// The full commit hash (all zeros for a dirty working tree).
    pub rev: String,
    /// Commits reachable from `rev`.
    pub rev_count: u64,
    /// Commit time of `rev`, seconds since the epoch.
    pub last_modified: i64,
}

/// A fixed-output derivation's declared content (`outputHash`, `outputHashAlgo`,
/// `outputHashMode`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FixedOutput {
    /// `outputHashAlgo` (`sha256`, …); empty when not given (then `hash` must be SRI).
    pub algo: String,
    /// `outputHash`, in any encoding Nix accepts.
    pub hash: String,
    /// `outputHashMode = "recursive"` (NAR) rather than flat.
    pub recursive: bool,
}

/// Everything `derivationStrict` gathered for one derivation, as plain data.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DerivationSpec {
    /// The `name` attribute.
    pub name: String,
    /// The builder program.
    pub builder: Vec<u8>,
    /// The `system` attribute.
    pub system: Vec<u8>,
    /// The builder's arguments.
    pub args: Vec<Vec<u8>>,
    /// The environment, sorted by name (output variables are filled in by the store).
    pub env: Vec<(Vec<u8>, Vec<u8>)>,
    /// Output names, sorted and unique.
    pub outputs: Vec<String>,
    /// Set for a fixed-output derivation.
    pub fixed: Option<FixedOutput>,
    /// Input derivations (`.drv` paths) with the outputs used (`!out!drv` context).
    pub input_drvs: Vec<(String, Vec<String>)>,
    /// Derivations depended on with their whole closure and all outputs (`=drv` context).
    pub input_drvs_deep: Vec<String>,
    /// Input sources: store paths used directly.
    pub input_srcs: Vec<String>,
}

/// What instantiating a derivation gives.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DerivationPaths {
    /// The `.drv` file's store path.
    pub drv_path: String,
    /// Each output's name and store path, sorted by name.
    pub outputs: Vec<(String, String)>,
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

    fn resolve_symlinks(&self, path: &str) -> String {
        match std::fs::canonicalize(path) {
            Ok(p) => p.to_string_lossy().into_owned(),
            Err(_) => path.to_string(),
        }
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
