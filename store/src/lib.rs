//! `lix-store`: the pure, byte-exact core of the Nix store — store paths and how they are
//! computed, hashes and their encodings, NAR archives, and `.drv` derivations with CppNix's
//! output-path and derivation-path algorithms. It evaluates nothing; the VM reaches it through
//! `EvalIO`.
//!
//! Every path, hash and byte this crate produces is meant to equal what CppNix 2.8 produces for
//! the same input; `tests/golden.rs` holds the values that prove it.

pub mod content_address;
pub mod derivation;
pub mod error;
pub mod hash;
pub mod nar;
pub mod store_path;

pub use content_address::{output_path_name, ContentAddress, FileIngestionMethod};
pub use derivation::{Derivation, DerivationOutput, DerivationSource, DrvHash, DrvHashes};
pub use error::{Error, Result};
pub use hash::{Hash, HashAlgo, Hasher};
pub use nar::NarNode;
pub use store_path::{StoreDir, StorePath};
