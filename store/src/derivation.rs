//! Derivations as the store sees them: the `Derivation` struct (what a `.drv` file holds),
//! its output kinds, CppNix's `hashDerivationModulo` (the hash that input-addressed output paths
//! come from, with fixed-output inputs replaced by the hash of what they produce), output paths
//! and the `.drv` file's own path.
//!
//! The ATerm text format lives in `derivation/aterm.rs`.

mod aterm;

use std::collections::{BTreeMap, BTreeSet, HashSet};

use rustc_hash::FxHashMap;

use crate::content_address::{output_path_name, ContentAddress, FileIngestionMethod};
use crate::error::{Error, Result};
use crate::hash::{Hash, HashAlgo, Hasher};
use crate::store_path::{StoreDir, StorePath};

/// One output of a derivation, as its `.drv` line describes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DerivationOutput {
    /// Input-addressed, with its path already computed.
    InputAddressed(StorePath),
    /// Fixed-output: the content address is known in advance and determines the path.
    Fixed(ContentAddress),
    /// Floating content address (experimental `ca-derivations`): method and algorithm only.
    Floating {
        /// Flat or NAR.
        method: FileIngestionMethod,
        /// The algorithm the output will be hashed with.
        algo: HashAlgo,
    },
    /// Input-addressed, path not computed yet (printed as `""`); see
    /// [`Derivation::compute_output_paths`].
    Deferred,
}

/// A derivation: everything a `.drv` file holds, plus the derivation's name (which the file does
/// not hold; it comes from the `.drv` path or the `name` attribute).
///
/// Strings that come from Nix values (platform, builder, arguments, environment) are bytes, as
/// Nix strings are; maps are ordered as CppNix orders them (byte-wise).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Derivation {
    /// The derivation's name (`hello-2.12`), without `.drv`.
    pub name: String,
    /// Outputs by name.
    pub outputs: BTreeMap<String, DerivationOutput>,
    /// Input derivations and which of their outputs are used.
    pub input_drvs: BTreeMap<StorePath, BTreeSet<String>>,
    /// Input sources: store paths used directly.
    pub input_srcs: BTreeSet<StorePath>,
    /// The `system` the derivation builds on.
    pub platform: Vec<u8>,
    /// The builder program.
    pub builder: Vec<u8>,
    /// The builder's arguments.
    pub args: Vec<Vec<u8>>,
    /// The builder's environment.
    pub env: BTreeMap<Vec<u8>, Vec<u8>>,
}

/// What `hash_derivation_modulo` yields for one derivation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DrvHash {
    /// An input-addressed derivation: one SHA-256 over its ATerm with inputs replaced.
    Modulo(Hash),
    /// A fixed-output derivation: per output, SHA-256 of `fixed:out:<algo>:<hex>:<path>`.
    Fixed(BTreeMap<String, Hash>),
}

/// Where hashing finds input derivations it has not seen: the store, or an in-memory map in tests.
pub trait DerivationSource {
    /// Reads the derivation at `path`.
    fn read_derivation(&self, path: &StorePath) -> Result<Derivation>;
}

impl DerivationSource for BTreeMap<StorePath, Derivation> {
    fn read_derivation(&self, path: &StorePath) -> Result<Derivation> {
        self.get(path)
            .cloned()
            .ok_or_else(|| Error::UnknownDerivation(path.to_string()))
    }
}

/// A source that knows no derivations: every input must already be in [`DrvHashes`].
pub struct NoDerivations;

impl DerivationSource for NoDerivations {
    fn read_derivation(&self, path: &StorePath) -> Result<Derivation> {
        Err(Error::UnknownDerivation(path.to_string()))
    }
}

/// The memo of modulo hashes by `.drv` path (CppNix's `drvHashes`). The evaluator inserts each
/// derivation it instantiates, so hashing a dependent derivation never re-reads its inputs.
#[derive(Clone, Debug, Default)]
pub struct DrvHashes {
    map: FxHashMap<StorePath, DrvHash>,
}

impl DrvHashes {
    /// An empty cache.
    pub fn new() -> DrvHashes {
        DrvHashes::default()
    }

    /// Records the (unmasked) hash of the derivation at `drv_path`.
    pub fn insert(&mut self, drv_path: StorePath, hash: DrvHash) {
        self.map.insert(drv_path, hash);
    }

    /// The recorded hash of `drv_path`, if any.
    pub fn get(&self, drv_path: &StorePath) -> Option<&DrvHash> {
        self.map.get(drv_path)
    }

    /// Makes sure every path in `roots` and everything they depend on has a hash, reading missing
    /// derivations from `source`. Iterative (a deep derivation graph cannot overflow the stack);
    /// a dependency cycle, which no valid store holds, is an error.
    fn ensure<'a>(
        &mut self,
        store_dir: &StoreDir,
        roots: impl Iterator<Item = &'a StorePath>,
        source: &dyn DerivationSource,
    ) -> Result<()> {
        let mut stack: Vec<(StorePath, Option<Derivation>)> = roots
            .filter(|p| !self.map.contains_key(*p))
            .map(|p| (p.clone(), None))
            .collect();
        let mut waiting: HashSet<StorePath> = HashSet::new();
        while let Some((path, drv)) = stack.pop() {
            if self.map.contains_key(&path) {
                continue;
            }
            let drv = match drv {
                Some(drv) => drv,
                None if waiting.contains(&path) => {
                    return Err(Error::InvalidDerivation(format!(
                        "derivation '{}' depends on itself",
                        store_dir.print(&path)
                    )))
                }
                None => source.read_derivation(&path)?,
            };
            // A fixed-output derivation's hash ignores its inputs, so they need no hashing.
            let missing: Vec<StorePath> = if drv.is_fixed_output() {
                Vec::new()
            } else {
                drv.input_drvs
                    .keys()
                    .filter(|p| !self.map.contains_key(*p))
                    .cloned()
                    .collect()
            };
            if missing.is_empty() {
                let h = drv.hash_modulo_known(store_dir, false, self)?;
                waiting.remove(&path);
                self.map.insert(path, h);
            } else {
                waiting.insert(path.clone());
                stack.push((path, Some(drv)));
                stack.extend(missing.into_iter().map(|p| (p, None)));
            }
        }
        Ok(())
    }
}

/// Which kind of outputs a derivation has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum DerivationKind {
    InputAddressed,
    Fixed,
}

impl Derivation {
    fn kind(&self) -> Result<DerivationKind> {
        let fixed = self
            .outputs
            .values()
            .filter(|o| matches!(o, DerivationOutput::Fixed(_)))
            .count();
        if self
            .outputs
            .values()
            .any(|o| matches!(o, DerivationOutput::Floating { .. }))
        {
            return Err(Error::InvalidDerivation(format!(
                "'{}': floating content-addressed outputs (ca-derivations) are not supported",
                self.name
            )));
        }
        if fixed == 0 {
            return Ok(DerivationKind::InputAddressed);
        }
        if fixed != self.outputs.len() {
            return Err(Error::InvalidDerivation(format!(
                "'{}' mixes fixed-output and input-addressed outputs",
                self.name
            )));
        }
        if fixed > 1 {
            return Err(Error::InvalidDerivation(format!(
                "'{}': a fixed-output derivation has exactly one output, found {fixed}",
                self.name
            )));
        }
        if !self.outputs.contains_key("out") {
            return Err(Error::InvalidDerivation(format!(
                "'{}': the output of a fixed-output derivation must be named 'out'",
                self.name
            )));
        }
        Ok(DerivationKind::Fixed)
    }

    /// Whether this is a fixed-output derivation.
    pub fn is_fixed_output(&self) -> bool {
        self.kind().ok() == Some(DerivationKind::Fixed)
    }

    /// The store path of `output`, if it is known (input-addressed with a path, or fixed).
    pub fn output_path(&self, store_dir: &StoreDir, output: &str) -> Result<Option<StorePath>> {
        match self.outputs.get(output) {
            Some(DerivationOutput::InputAddressed(p)) => Ok(Some(p.clone())),
            Some(DerivationOutput::Fixed(ca)) => Ok(Some(store_dir.make_fixed_output_path(
                ca,
                &output_path_name(&self.name, output),
                &BTreeSet::new(),
                false,
            )?)),
            Some(DerivationOutput::Floating { .. } | DerivationOutput::Deferred) | None => Ok(None),
        }
    }

    /// Every output's path; an output without a known path is an error.
    pub fn output_paths(&self, store_dir: &StoreDir) -> Result<BTreeMap<String, StorePath>> {
        let mut out = BTreeMap::new();
        for name in self.outputs.keys() {
            let path = self.output_path(store_dir, name)?.ok_or_else(|| {
                Error::InvalidDerivation(format!(
                    "output '{name}' of '{}' has no path yet",
                    self.name
                ))
            })?;
            out.insert(name.clone(), path);
        }
        Ok(out)
    }

    /// CppNix's `hashDerivationModulo`. A fixed-output derivation hashes, per output, as
    /// `fixed:out:<r:?algo>:<hex>:<output path>`, so its inputs and builder do not matter to
    /// dependents. Any other derivation is printed with each input `.drv` path replaced by the
    /// hex of that input's own modulo hash (for a fixed-output input: one entry per used output,
    /// keyed by that output's hash, using output `out`), and with its own output paths and their
    /// environment variables blanked when `mask_outputs` is set; the SHA-256 of that text is the
    /// result. Inputs missing from `hashes` are read from `source` and recorded.
    pub fn hash_modulo(
        &self,
        store_dir: &StoreDir,
        mask_outputs: bool,
        hashes: &mut DrvHashes,
        source: &dyn DerivationSource,
    ) -> Result<DrvHash> {
        if self.kind()? == DerivationKind::InputAddressed {
            hashes.ensure(store_dir, self.input_drvs.keys(), source)?;
        }
        self.hash_modulo_known(store_dir, mask_outputs, hashes)
    }

    /// `hash_modulo` when every input's hash is in `hashes`.
    fn hash_modulo_known(
        &self,
        store_dir: &StoreDir,
        mask_outputs: bool,
        hashes: &DrvHashes,
    ) -> Result<DrvHash> {
        if self.kind()? == DerivationKind::Fixed {
            let mut out = BTreeMap::new();
            for (name, output) in &self.outputs {
                let (DerivationOutput::Fixed(ca), Some(path)) =
                    (output, self.output_path(store_dir, name)?)
                else {
                    continue;
                };
                let s = format!(
                    "fixed:out:{}:{}:{}",
                    ca.method_algo(),
                    ca.hash.to_base16(),
                    store_dir.print(&path)
                );
                out.insert(name.clone(), Hash::digest(HashAlgo::Sha256, s.as_bytes()));
            }
            return Ok(DrvHash::Fixed(out));
        }
        let inputs = self.modulo_inputs(store_dir, hashes)?;
        let text = self.print_aterm(store_dir, mask_outputs, Some(&inputs))?;
        Ok(DrvHash::Modulo(Hash::digest(HashAlgo::Sha256, &text)))
    }

    /// The input derivations as `hash_modulo` prints them: keyed by the hex of their modulo
    /// hashes (which must be in `hashes`).
    fn modulo_inputs(&self, store_dir: &StoreDir, hashes: &DrvHashes) -> Result<BTreeMap<String, BTreeSet<String>>> {
        let mut inputs: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (path, used) in &self.input_drvs {
            match hashes.get(path) {
                // Equal modulo hashes collapse into one entry, as in CppNix's map.
                Some(DrvHash::Modulo(h)) => {
                    inputs.insert(h.to_base16(), used.clone());
                }
                Some(DrvHash::Fixed(by_output)) => {
                    for output in used {
                        let h = by_output.get(output).ok_or_else(|| {
                            Error::InvalidDerivation(format!(
                                "'{}' uses output '{output}' of '{}', which has no such output",
                                self.name,
                                store_dir.print(path)
                            ))
                        })?;
                        inputs.insert(h.to_base16(), BTreeSet::from(["out".to_owned()]));
                    }
                }
                None => return Err(Error::UnknownDerivation(store_dir.print(path))),
            }
        }
        Ok(inputs)
    }

    /// The `.drv` path and the unmasked modulo hash together (what the evaluator records for
    /// every derivation it instantiates): the same as [`Derivation::drv_path`] and
    /// [`Derivation::hash_modulo`] with `mask_outputs` unset, but the two ATerms differ only in
    /// the input derivations, so everything else is printed once.
    pub fn drv_path_and_hash_modulo(
        &self,
        store_dir: &StoreDir,
        hashes: &mut DrvHashes,
        source: &dyn DerivationSource,
    ) -> Result<(StorePath, DrvHash)> {
        if self.kind()? == DerivationKind::Fixed {
            return Ok((self.drv_path(store_dir)?, self.hash_modulo_known(store_dir, false, hashes)?));
        }
        hashes.ensure(store_dir, self.input_drvs.keys(), source)?;
        let inputs = self.modulo_inputs(store_dir, hashes)?;
        let mut head = Vec::with_capacity(512);
        self.print_head(&mut head, store_dir, false)?;
        let mut tail = Vec::with_capacity(1024);
        self.print_tail(&mut tail, store_dir, false);
        let mut middle = Vec::with_capacity(512);
        self.print_inputs(&mut middle, store_dir, None);
        let digest = |middle: &[u8]| {
            let mut h = Hasher::new(HashAlgo::Sha256);
            h.update(&head);
            h.update(middle);
            h.update(&tail);
            h.finish()
        };
        let path = store_dir.make_text_path(&format!("{}.drv", self.name), &digest(&middle), &self.references())?;
        middle.clear();
        self.print_inputs(&mut middle, store_dir, Some(&inputs));
        Ok((path, DrvHash::Modulo(digest(&middle))))
    }

    /// Fills in the output paths and their environment variables, as `derivationStrict` does
    /// once it has gathered the attributes. Fixed-output derivations get their single path from
    /// the content address. Otherwise every output must be `Deferred` or `InputAddressed`: the
    /// outputs and their variables are blanked, the masked modulo hash is taken, and each output
    /// `o` gets the path of type `output:o` from it.
    pub fn compute_output_paths(
        &mut self,
        store_dir: &StoreDir,
        hashes: &mut DrvHashes,
        source: &dyn DerivationSource,
    ) -> Result<()> {
        if self.outputs.is_empty() {
            return Err(Error::InvalidDerivation(format!(
                "'{}' has no outputs",
                self.name
            )));
        }
        if self.kind()? == DerivationKind::Fixed {
            for name in self.outputs.keys() {
                if let Some(path) = self.output_path(store_dir, name)? {
                    self.env.insert(
                        name.as_bytes().to_vec(),
                        store_dir.print(&path).into_bytes(),
                    );
                }
            }
            return Ok(());
        }
        let names: Vec<String> = self.outputs.keys().cloned().collect();
        for name in &names {
            self.env.insert(name.as_bytes().to_vec(), Vec::new());
            self.outputs
                .insert(name.clone(), DerivationOutput::Deferred);
        }
        let DrvHash::Modulo(h) = self.hash_modulo(store_dir, true, hashes, source)? else {
            return Err(Error::InvalidDerivation(format!(
                "'{}' is not input-addressed",
                self.name
            )));
        };
        for name in names {
            let path = store_dir.make_output_path(&name, &h, &self.name)?;
            self.env.insert(
                name.as_bytes().to_vec(),
                store_dir.print(&path).into_bytes(),
            );
            self.outputs
                .insert(name, DerivationOutput::InputAddressed(path));
        }
        Ok(())
    }

    /// The `.drv` file's contents, as CppNix writes them.
    pub fn to_aterm(&self, store_dir: &StoreDir) -> Result<Vec<u8>> {
        self.print_aterm(store_dir, false, None)
    }

    /// Parses a `.drv` file's contents; `name` is the derivation's name (the `.drv` path's name
    /// without `.drv`). Fixed-output paths are checked against their content address.
    pub fn from_aterm(store_dir: &StoreDir, name: &str, text: &[u8]) -> Result<Derivation> {
        aterm::parse(store_dir, name, text)
    }

    /// The references of the `.drv` file: its input sources and input derivations.
    pub fn references(&self) -> BTreeSet<StorePath> {
        self.input_srcs
            .iter()
            .chain(self.input_drvs.keys())
            .cloned()
            .collect()
    }

    /// The `.drv` file's store path: a text path named `<name>.drv` over its ATerm, referring to
    /// its inputs.
    pub fn drv_path(&self, store_dir: &StoreDir) -> Result<StorePath> {
        let text = self.to_aterm(store_dir)?;
        store_dir.text_path_for(&format!("{}.drv", self.name), &text, &self.references())
    }
}
