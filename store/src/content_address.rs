//! How store paths are computed from what they hold: the fingerprint
//! `<type>:sha256:<hex>:<store dir>:<name>`, and the path kinds built on it — text paths
//! (`builtins.toFile`, `.drv` files), source paths (NAR + SHA-256), fixed-output paths and the
//! input-addressed outputs of derivations.

use std::collections::BTreeSet;

use crate::error::{Error, Result};
use crate::hash::{compress_hash, Hash, HashAlgo};
use crate::store_path::{StoreDir, StorePath, DIGEST_SIZE};

/// How a file-system object was turned into bytes before hashing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FileIngestionMethod {
    /// The bytes of a single regular file.
    Flat,
    /// The NAR serialisation of the tree ("recursive" in Nix's attribute names).
    Recursive,
}

impl FileIngestionMethod {
    /// The prefix of the algorithm in `.drv` files and fingerprints: `""` or `"r:"`.
    pub fn prefix(self) -> &'static str {
        match self {
            FileIngestionMethod::Flat => "",
            FileIngestionMethod::Recursive => "r:",
        }
    }
}

/// A fixed content address: an ingestion method and the expected hash.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ContentAddress {
    /// Flat file or NAR.
    pub method: FileIngestionMethod,
    /// The hash of the flat file or of the NAR.
    pub hash: Hash,
}

impl ContentAddress {
    /// The `hashAlgo` column of a `.drv` output: `sha256`, `r:sha256`, ...
    pub fn method_algo(&self) -> String {
        format!("{}{}", self.method.prefix(), self.hash.algo())
    }

    /// Parses a `hashAlgo` column (`r:sha1`, `sha256`, ...) into a method and an algorithm.
    pub fn parse_method_algo(s: &str) -> Result<(FileIngestionMethod, HashAlgo)> {
        let (method, name) = match s.strip_prefix("r:") {
            Some(rest) => (FileIngestionMethod::Recursive, rest),
            None => (FileIngestionMethod::Flat, s),
        };
        let algo = HashAlgo::from_name(name).ok_or_else(|| Error::BadHash {
            hash: s.to_owned(),
            reason: format!(
                "unknown hash algorithm '{name}' (expected md5, sha1, sha256 or sha512)"
            ),
        })?;
        Ok((method, algo))
    }
}

/// The name of a derivation output's path: the derivation's name for `out`, `<name>-<output>`
/// for every other output.
pub fn output_path_name(drv_name: &str, output: &str) -> String {
    if output == "out" {
        drv_name.to_owned()
    } else {
        format!("{drv_name}-{output}")
    }
}

impl StoreDir {
    /// The store path of fingerprint `<ty>:<algo>:<hex of hash>:<store dir>:<name>`, hashed with
    /// SHA-256 and folded to 160 bits. `ty` is `text...`, `source...` or `output:<id>`.
    pub fn make_store_path(&self, ty: &str, hash: &Hash, name: &str) -> Result<StorePath> {
        let hex = hash.to_base16();
        let algo = hash.algo().name();
        let dir = self.as_str();
        let mut fingerprint = String::with_capacity(ty.len() + algo.len() + hex.len() + dir.len() + name.len() + 4);
        for (i, part) in [ty, algo, &hex, dir, name].into_iter().enumerate() {
            if i > 0 {
                fingerprint.push(':');
            }
            fingerprint.push_str(part);
        }
        let digest = compress_hash(
            Hash::digest(HashAlgo::Sha256, fingerprint.as_bytes()).as_bytes(),
            DIGEST_SIZE,
        );
        let mut d = [0u8; DIGEST_SIZE];
        d.copy_from_slice(&digest);
        StorePath::from_digest(&d, name)
    }

    /// A fingerprint type with references: `ty:<path>:<path>...`, plus `:self` for an object that
    /// refers to itself.
    pub fn make_type(
        &self,
        ty: &str,
        references: &BTreeSet<StorePath>,
        self_reference: bool,
    ) -> String {
        let mut s = ty.to_owned();
        for r in references {
            s.push(':');
            s.push_str(&self.print(r));
        }
        if self_reference {
            s.push_str(":self");
        }
        s
    }

    /// The path of output `output` of an input-addressed derivation named `drv_name` whose
    /// modulo hash is `drv_hash` (type `output:<output>`).
    pub fn make_output_path(
        &self,
        output: &str,
        drv_hash: &Hash,
        drv_name: &str,
    ) -> Result<StorePath> {
        self.make_store_path(
            &format!("output:{output}"),
            drv_hash,
            &output_path_name(drv_name, output),
        )
    }

    /// The path of a content-addressed object: NAR + SHA-256 is a `source` path (which may carry
    /// references); anything else hashes `fixed:out:<r:?><algo>:<hex>:` and is an `output:out`
    /// path, which cannot have references.
    pub fn make_fixed_output_path(
        &self,
        ca: &ContentAddress,
        name: &str,
        references: &BTreeSet<StorePath>,
        self_reference: bool,
    ) -> Result<StorePath> {
        if ca.method == FileIngestionMethod::Recursive && ca.hash.algo() == HashAlgo::Sha256 {
            return self.make_store_path(
                &self.make_type("source", references, self_reference),
                &ca.hash,
                name,
            );
        }
        if !references.is_empty() || self_reference {
            return Err(Error::InvalidDerivation(format!(
                "'{name}': only NAR + sha256 content addresses may have references (found {})",
                ca.method_algo()
            )));
        }
        let inner = format!(
            "fixed:out:{}{}:",
            ca.method.prefix(),
            ca.hash.to_typed_base16()
        );
        self.make_store_path(
            "output:out",
            &Hash::digest(HashAlgo::Sha256, inner.as_bytes()),
            name,
        )
    }

    /// The path of a text object (`builtins.toFile`, a `.drv` file) whose contents hash to
    /// `hash` (SHA-256) and which refers to `references`.
    pub fn make_text_path(
        &self,
        name: &str,
        hash: &Hash,
        references: &BTreeSet<StorePath>,
    ) -> Result<StorePath> {
        if hash.algo() != HashAlgo::Sha256 {
            return Err(Error::BadHash {
                hash: hash.to_typed_base16(),
                reason: "text paths are addressed by sha256".into(),
            });
        }
        self.make_store_path(&self.make_type("text", references, false), hash, name)
    }

    /// The path `builtins.toFile name contents` would create, with `references` from the
    /// string's context.
    pub fn text_path_for(
        &self,
        name: &str,
        contents: &[u8],
        references: &BTreeSet<StorePath>,
    ) -> Result<StorePath> {
        self.make_text_path(name, &Hash::digest(HashAlgo::Sha256, contents), references)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn to_file_path_matches_cppnix() {
        // nix-instantiate --eval -E 'builtins.toFile "hello.txt" "hi\n"'
        let p = StoreDir::default()
            .text_path_for("hello.txt", b"hi\n", &BTreeSet::new())
            .expect("valid");
        assert_eq!(
            StoreDir::default().print(&p),
            "/nix/store/0n8rj1cflhzhh0min74l7ml0ck57hkcc-hello.txt"
        );
    }

    #[test]
    fn output_names() {
        assert_eq!(output_path_name("hello", "out"), "hello");
        assert_eq!(output_path_name("hello", "dev"), "hello-dev");
    }
}
