//! `StoreIO`: the `EvalIO` of `lixc eval` and `lixc instantiate`. File and environment access is
//! `RealIO`'s; store operations are computed with `lix-store`. Read-only (`lixc eval`, as
//! `nix-instantiate --eval`), nothing is written: derivations get their output and `.drv` paths,
//! `toFile` its text path, copied paths their NAR-hash paths. Writing (`lixc instantiate`), the
//! same paths are also added to a `LocalStore`: `.drv` files, `toFile` texts, copied sources.
//! The derivations instantiated so far are kept as their modulo hashes (so a derivation's
//! inputs are hashed once) and a summary of outputs and references; the whole derivation,
//! which holds every attribute's text, is not kept.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::sync::Arc;

use lix_store::content_address::{ContentAddress, FileIngestionMethod};
use lix_store::store_path::check_name;
use lix_store::{Derivation, DerivationOutput, DerivationSource, DrvHashes, NoDerivations, Hash, HashAlgo, LocalStore, NarNode, StoreDir, StorePath};
use lix_store::fetch;
use lix_vm::io::{DerivationPaths, DerivationSpec, Fetched, FileType, GitFetched};
use lix_vm::{EvalIO, RealIO};

/// The store-computing `EvalIO` (see the module documentation).
pub struct StoreIO {
    real: RealIO,
    dir: StoreDir,
    state: RefCell<State>,
    /// The store written to, when writing (shared with the command, which ends its batch).
    local: Option<Arc<LocalStore>>,
}

/// What the store has computed so far.
#[derive(Default)]
struct State {
    /// Every derivation instantiated, by `.drv` path: what later derivations and string
    /// contexts ask of it.
    drvs: HashMap<StorePath, DrvSummary>,
    /// Their (unmasked) modulo hashes.
    hashes: DrvHashes,
    /// The references of text paths made by `toFile`.
    text_refs: HashMap<StorePath, BTreeSet<StorePath>>,
    /// Paths copied to the store (`"${./file}"`), by source path.
    copied: HashMap<String, String>,
}

/// What is kept of an instantiated derivation.
struct DrvSummary {
    /// Its output names, in order.
    outputs: Box<[String]>,
    /// Its input derivations and sources.
    references: Box<[StorePath]>,
}

impl StoreIO {
    /// A store in `dir` (`NIX_STORE_DIR`, else `/nix/store`).
    pub fn new() -> Result<StoreIO, String> {
        let dir = std::env::var("NIX_STORE_DIR").unwrap_or_else(|_| "/nix/store".to_string());
        let dir = StoreDir::new(&dir).map_err(|e| e.to_string())?;
        Ok(StoreIO { real: RealIO, dir, state: RefCell::new(State::default()), local: None })
    }

    /// A store that writes what it computes into `local` (its store directory is used).
    pub fn writing(local: Arc<LocalStore>) -> StoreIO {
        StoreIO { real: RealIO, dir: local.store_dir().clone(), state: RefCell::new(State::default()), local: Some(local) }
    }

    fn parse(&self, path: &str) -> Result<StorePath, String> {
        self.dir.parse(path).map_err(|e| e.to_string())
    }

    /// The store paths that `path` refers to, as far as this store knows them.
    fn references(&self, state: &State, path: &StorePath) -> BTreeSet<StorePath> {
        if let Some(drv) = state.drvs.get(path) {
            return drv.references.iter().cloned().collect();
        }
        if let Some(refs) = state.text_refs.get(path) {
            return refs.clone();
        }
        match &self.local {
            Some(local) => local.query_path_info(path).ok().flatten().map(|i| i.references).unwrap_or_default(),
            None => BTreeSet::new(),
        }
    }

    /// The closure of `path` (CppNix's `computeFSClosure`).
    fn closure(&self, state: &State, path: &StorePath) -> BTreeSet<StorePath> {
        let mut seen = BTreeSet::new();
        let mut todo = vec![path.clone()];
        while let Some(p) = todo.pop() {
            if seen.insert(p.clone()) {
                todo.extend(self.references(state, &p));
            }
        }
        seen
    }

    /// The output names of a derivation this evaluation instantiated, or of one the local
    /// store holds.
    fn known_outputs(&self, state: &State, path: &StorePath) -> Option<Vec<String>> {
        if let Some(d) = state.drvs.get(path) {
            return Some(d.outputs.to_vec());
        }
        let drv = self.local.as_ref()?.read_derivation(path).ok()?;
        Some(drv.outputs.into_keys().collect())
    }
}

impl StoreIO {
    /// Puts `node` into the store (or only computes its path, read-only) under `name`,
    /// content-addressed by `method`; returns the path and the node's NAR hash (SRI).
    fn store_node(&self, name: &str, node: &NarNode, method: FileIngestionMethod) -> Result<Fetched, String> {
        let (nar_hash, _) = node.nar_hash().map_err(|e| e.to_string())?;
        let p = match &self.local {
            Some(local) => local.add_node(name, node, method, &BTreeSet::new()).map_err(|e| e.to_string())?,
            None => {
                let hash = match (method, node) {
                    (FileIngestionMethod::Flat, NarNode::Regular { contents, .. }) => Hash::digest(HashAlgo::Sha256, contents),
                    _ => nar_hash.clone(),
                };
                let ca = ContentAddress { method, hash };
                self.dir.make_fixed_output_path(&ca, name, &BTreeSet::new(), false).map_err(|e| e.to_string())?
            }
        };
        Ok(Fetched { path: self.dir.print(&p), nar_hash: nar_hash.to_sri() })
    }

    /// The path a fetch with a declared hash would produce, if the store already has it.
    fn already_fetched(&self, name: &str, method: FileIngestionMethod, hash: &Hash) -> Option<Fetched> {
        let local = self.local.as_ref()?;
        let ca = ContentAddress { method, hash: hash.clone() };
        let p = self.dir.make_fixed_output_path(&ca, name, &BTreeSet::new(), false).ok()?;
        let info = local.query_path_info(&p).ok()??;
        Some(Fetched { path: self.dir.print(&p), nar_hash: info.nar_hash.to_sri() })
    }
}

/// The NAR tree of `path`, leaving out entries below it that `filter` rejects.
fn read_node(path: &Path, filter: Option<&dyn Fn(&str) -> bool>, depth: usize) -> io::Result<NarNode> {
    if depth > 4096 {
        return Err(io::Error::other("directory tree too deep"));
    }
    let meta = std::fs::symlink_metadata(path)?;
    let ty = meta.file_type();
    if ty.is_symlink() {
        use std::os::unix::ffi::OsStrExt;
        let target = std::fs::read_link(path)?;
        Ok(NarNode::Symlink { target: target.as_os_str().as_bytes().to_vec() })
    } else if ty.is_dir() {
        use std::os::unix::ffi::OsStrExt;
        let mut entries = BTreeMap::new();
        for entry in std::fs::read_dir(path)? {
            let entry = entry?;
            let child = entry.path();
            if let Some(f) = filter {
                if !f(&child.to_string_lossy()) {
                    continue;
                }
            }
            entries.insert(entry.file_name().as_bytes().to_vec(), read_node(&child, filter, depth + 1)?);
        }
        Ok(NarNode::Directory(entries))
    } else if ty.is_file() {
        Ok(NarNode::Regular { executable: meta.permissions().mode() & 0o100 != 0, contents: std::fs::read(path)? })
    } else {
        Err(io::Error::other("unsupported file type"))
    }
}

/// CppNix's message for a name that cannot be a store path name.
fn name_problem(name: &str) -> Option<String> {
    check_name(name).err()?;
    Some(if name.is_empty() {
        "name must not be empty".to_string()
    } else if name.len() > 211 {
        format!("name '{name}' must be no longer than 211 characters")
    } else if let Some(c) = name.chars().find(|&c| !(c.is_ascii_alphanumeric() || "+-._?=".contains(c))) {
        format!("name '{name}' contains illegal character '{c}'")
    } else {
        format!("name '{name}' is not valid")
    })
}

fn base_name(path: &str) -> &str {
    path.trim_end_matches('/').rsplit('/').next().unwrap_or(path)
}

impl EvalIO for StoreIO {
    fn read_file(&self, path: &str) -> io::Result<Vec<u8>> {
        self.real.read_file(path)
    }

    fn path_exists(&self, path: &str) -> bool {
        self.real.path_exists(path)
    }

    fn file_type(&self, path: &str) -> io::Result<FileType> {
        self.real.file_type(path)
    }

    fn read_dir(&self, path: &str) -> io::Result<Vec<(String, FileType)>> {
        self.real.read_dir(path)
    }

    fn resolve_symlinks(&self, path: &str) -> String {
        self.real.resolve_symlinks(path)
    }

    fn get_env(&self, name: &str) -> Option<String> {
        self.real.get_env(name)
    }

    fn store_dir(&self) -> String {
        self.dir.as_str().to_string()
    }

    fn add_to_store(&self, path: &str) -> Result<String, String> {
        if let Some(p) = self.state.borrow().copied.get(path) {
            return Ok(p.clone());
        }
        let name = base_name(path);
        if name.ends_with(".drv") {
            return Err(format!("file names are not allowed to end in '.drv' ('{path}')"));
        }
        let (p, _) = self.add_path(path, name, true, None)?;
        self.state.borrow_mut().copied.insert(path.to_string(), p.clone());
        Ok(p)
    }

    fn add_path(
        &self,
        path: &str,
        name: &str,
        recursive: bool,
        filter: Option<&dyn Fn(&str) -> bool>,
    ) -> Result<(String, String), String> {
        if let Some(problem) = name_problem(name) {
            return Err(format!("invalid store path name: {problem}"));
        }
        let (hash, method, node) = if recursive {
            let node =
                read_node(Path::new(path), filter, 0).map_err(|e| format!("cannot read '{path}': {e}"))?;
            let (hash, _) = node.nar_hash().map_err(|e| e.to_string())?;
            (hash, FileIngestionMethod::Recursive, node)
        } else {
            let meta = std::fs::metadata(path).map_err(|e| format!("cannot read '{path}': {e}"))?;
            if !meta.is_file() {
                return Err(format!("file '{path}' has an unsupported type"));
            }
            let bytes = std::fs::read(path).map_err(|e| format!("cannot read '{path}': {e}"))?;
            let hash = Hash::digest(HashAlgo::Sha256, &bytes);
            (hash, FileIngestionMethod::Flat, NarNode::Regular { executable: false, contents: bytes })
        };
        let p = match &self.local {
            Some(local) => local.add_node(name, &node, method, &BTreeSet::new()).map_err(|e| e.to_string())?,
            None => {
                let ca = ContentAddress { method, hash: hash.clone() };
                self.dir.make_fixed_output_path(&ca, name, &BTreeSet::new(), false).map_err(|e| e.to_string())?
            }
        };
        Ok((self.dir.print(&p), hash.to_base32()))
    }

    fn text_path(&self, name: &str, contents: &[u8], references: &[String]) -> Result<String, String> {
        if let Some(problem) = name_problem(name) {
            return Err(format!("invalid store path name: {problem}"));
        }
        let refs = references.iter().map(|r| self.parse(r)).collect::<Result<BTreeSet<_>, _>>()?;
        let p = match &self.local {
            Some(local) => local.add_text(name, contents, &refs).map_err(|e| e.to_string())?,
            None => self.dir.text_path_for(name, contents, &refs).map_err(|e| e.to_string())?,
        };
        let out = self.dir.print(&p);
        self.state.borrow_mut().text_refs.insert(p, refs);
        Ok(out)
    }

    fn derivation_outputs(&self, drv_path: &str) -> Option<Vec<String>> {
        let p = self.parse(drv_path).ok()?;
        let state = self.state.borrow();
        self.known_outputs(&state, &p)
    }

    fn derivation(&self, mut spec: DerivationSpec) -> Result<DerivationPaths, String> {
        if let Some(problem) = name_problem(&spec.name) {
            return Err(format!("invalid derivation name: {problem}. Please pass a different 'name'."));
        }
        let mut state = self.state.borrow_mut();
        let mut drv = Derivation {
            name: std::mem::take(&mut spec.name),
            platform: std::mem::take(&mut spec.system),
            builder: std::mem::take(&mut spec.builder),
            args: std::mem::take(&mut spec.args),
            env: std::mem::take(&mut spec.env).into_iter().collect(),
            ..Derivation::default()
        };
        for src in &spec.input_srcs {
            drv.input_srcs.insert(self.parse(src)?);
        }
        for (path, outputs) in &spec.input_drvs {
            drv.input_drvs.entry(self.parse(path)?).or_default().extend(outputs.iter().cloned());
        }
        // `=drv`: everything in the derivation's closure is an input source, and every
        // derivation in it an input with all its outputs.
        for deep in &spec.input_drvs_deep {
            let root = self.parse(deep)?;
            if self.known_outputs(&state, &root).is_none() {
                return Err(format!("path '{deep}' is not valid"));
            }
            for p in self.closure(&state, &root) {
                if let Some(outputs) = self.known_outputs(&state, &p) {
                    drv.input_drvs.entry(p.clone()).or_default().extend(outputs);
                }
                drv.input_srcs.insert(p);
            }
        }
        match &spec.fixed {
            Some(fixed) => {
                let algo = if fixed.algo.is_empty() {
                    None
                } else {
                    Some(HashAlgo::from_name(&fixed.algo).ok_or_else(|| format!("unknown hash algorithm '{}'", fixed.algo))?)
                };
                let hash = Hash::parse_any(&fixed.hash, algo).map_err(|e| e.to_string())?;
                let method = if fixed.recursive { FileIngestionMethod::Recursive } else { FileIngestionMethod::Flat };
                drv.outputs.insert("out".to_string(), DerivationOutput::Fixed(ContentAddress { method, hash }));
            }
            None => {
                for o in &spec.outputs {
                    drv.outputs.insert(o.clone(), DerivationOutput::Deferred);
                }
            }
        }
        let state = &mut *state;
        // Every derivation instantiated here has its hash in `state.hashes`; others can only
        // come from the local store.
        let source: &dyn DerivationSource = match &self.local {
            Some(local) => &**local,
            None => &NoDerivations,
        };
        drv.compute_output_paths(&self.dir, &mut state.hashes, source).map_err(|e| e.to_string())?;
        let (drv_path, modulo) =
            drv.drv_path_and_hash_modulo(&self.dir, &mut state.hashes, source).map_err(|e| e.to_string())?;
        let outputs = drv
            .output_paths(&self.dir)
            .map_err(|e| e.to_string())?
            .into_iter()
            .map(|(name, p)| (name, self.dir.print(&p)))
            .collect();
        state.hashes.insert(drv_path.clone(), modulo);
        if let Some(local) = &self.local {
            let written = local.add_derivation(&drv).map_err(|e| e.to_string())?;
            if written != drv_path {
                return Err(format!(
                    "internal error: derivation written as '{}' but computed as '{}'",
                    self.dir.print(&written),
                    self.dir.print(&drv_path)
                ));
            }
        }
        let out = DerivationPaths { drv_path: self.dir.print(&drv_path), outputs };
        let summary = DrvSummary {
            outputs: drv.outputs.into_keys().collect(),
            references: drv.input_srcs.into_iter().chain(drv.input_drvs.into_keys()).collect(),
        };
        state.drvs.insert(drv_path, summary);
        Ok(out)
    }

    fn fetch_url(&self, url: &str, name: &str, unpack: bool, expected: Option<&str>) -> Result<Fetched, String> {
        if let Some(problem) = name_problem(name) {
            return Err(format!("invalid store path name: {problem}"));
        }
        let method = if unpack { FileIngestionMethod::Recursive } else { FileIngestionMethod::Flat };
        let expected = expected
            .filter(|e| !e.is_empty())
            .map(|e| Hash::parse_any(e, Some(HashAlgo::Sha256)))
            .transpose()
            .map_err(|e| e.to_string())?;
        if let Some(found) = expected.as_ref().and_then(|h| self.already_fetched(name, method, h)) {
            return Ok(found);
        }
        let node = if unpack {
            let path = fetch::file_url_path(url, "tarball").map_err(|e| e.to_string())?;
            let bytes = std::fs::read(&path).map_err(|e| format!("cannot read '{}': {e}", path.display()))?;
            let tree = fetch::unpack_tar(&bytes, url).map_err(|e| e.to_string())?;
            fetch::single_top_level(tree, url).map_err(|e| e.to_string())?
        } else {
            let contents = fetch::read_url(url).map_err(|e| e.to_string())?;
            NarNode::Regular { executable: false, contents }
        };
        if let Some(want) = &expected {
            let got = match &node {
                NarNode::Regular { contents, .. } if !unpack => Hash::digest(HashAlgo::Sha256, contents),
                _ => node.nar_hash().map_err(|e| e.to_string())?.0,
            };
            if &got != want {
                return Err(format!(
                    "hash mismatch in file downloaded from '{url}':\n  specified: {}\n  got:       {}",
                    want.to_sri(),
                    got.to_sri()
                ));
            }
        }
        self.store_node(name, &node, method)
    }

    fn last_modified(&self, path: &str) -> Option<i64> {
        use std::os::unix::fs::MetadataExt;
        let mut newest = None;
        let mut todo = vec![std::path::PathBuf::from(path)];
        while let Some(p) = todo.pop() {
            let meta = std::fs::symlink_metadata(&p).ok()?;
            newest = newest.max(Some(meta.mtime()));
            if meta.is_dir() {
                for entry in std::fs::read_dir(&p).ok()? {
                    todo.push(entry.ok()?.path());
                }
            }
        }
        newest
    }

    fn fetch_git(&self, url: &str, name: &str, rev: Option<&str>, git_ref: Option<&str>) -> Result<GitFetched, String> {
        let repo = fetch::git_repo_path(url).map_err(|e| e.to_string())?;
        let (node, info) = fetch::git_export(&repo, rev, git_ref).map_err(|e| e.to_string())?;
        let fetched = self.store_node(name, &node, FileIngestionMethod::Recursive)?;
        Ok(GitFetched { fetched, rev: info.rev, rev_count: info.rev_count, last_modified: info.last_modified })
    }
}
