//! `lix-store`: the Nix store — store paths and how they are computed, hashes and their
//! encodings, NAR archives, `.drv` derivations with CppNix's output-path and derivation-path
//! algorithms, reference scanning, and the local on-disk store with its SQLite database
//! (`local`). It evaluates nothing; the VM reaches it through `EvalIO`.
//!
//! Every path, hash and byte this crate produces is meant to equal what CppNix 2.8 produces for
//! the same input; `tests/golden.rs` holds the values that prove it.

pub mod content_address;
pub mod derivation;
pub mod error;
pub mod fetch;
pub mod hash;
pub mod local;
pub mod nar;
pub mod references;
pub mod store_path;

pub use content_address::{output_path_name, ContentAddress, FileIngestionMethod};
pub use derivation::{Derivation, DerivationOutput, DerivationSource, DrvHash, DrvHashes, NoDerivations};
pub use error::{Error, Result};
pub use hash::{Hash, HashAlgo, Hasher};
pub use local::{LocalStore, PathInfo, VerifyReport};
pub use nar::NarNode;
pub use references::scan_references;
pub use store_path::{StoreDir, StorePath};
