//! Hashes as Nix prints and parses them: algorithms, base-16, Nix base-32, base-64 and SRI forms,
//! and the XOR-folding that shortens a SHA-256 to a store path's 160-bit digest.

use std::fmt;

use base64::Engine as _;
use md5::Md5;
use sha1::Sha1;
use sha2::{Digest as _, Sha256, Sha512};

use crate::error::{Error, Result};

/// A hash algorithm Nix knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum HashAlgo {
    /// MD5 (16 bytes).
    Md5,
    /// SHA-1 (20 bytes).
    Sha1,
    /// SHA-256 (32 bytes).
    Sha256,
    /// SHA-512 (64 bytes).
    Sha512,
}

impl HashAlgo {
    /// The name Nix uses (`md5`, `sha1`, `sha256`, `sha512`).
    pub fn name(self) -> &'static str {
        match self {
            HashAlgo::Md5 => "md5",
            HashAlgo::Sha1 => "sha1",
            HashAlgo::Sha256 => "sha256",
            HashAlgo::Sha512 => "sha512",
        }
    }

    /// The algorithm with the given Nix name, if any.
    pub fn from_name(name: &str) -> Option<HashAlgo> {
        match name {
            "md5" => Some(HashAlgo::Md5),
            "sha1" => Some(HashAlgo::Sha1),
            "sha256" => Some(HashAlgo::Sha256),
            "sha512" => Some(HashAlgo::Sha512),
            _ => None,
        }
    }

    /// Digest size in bytes.
    pub fn size(self) -> usize {
        match self {
            HashAlgo::Md5 => 16,
            HashAlgo::Sha1 => 20,
            HashAlgo::Sha256 => 32,
            HashAlgo::Sha512 => 64,
        }
    }

    /// Length of the digest in base 16.
    pub fn base16_len(self) -> usize {
        self.size() * 2
    }

    /// Length of the digest in Nix base 32.
    pub fn base32_len(self) -> usize {
        (self.size() * 8).div_ceil(5)
    }

    /// Length of the digest in padded base 64.
    pub fn base64_len(self) -> usize {
        self.size().div_ceil(3) * 4
    }
}

impl fmt::Display for HashAlgo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A digest together with the algorithm that produced it.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Hash {
    algo: HashAlgo,
    bytes: Vec<u8>,
}

impl Hash {
    /// Wraps a digest; fails when its length does not match the algorithm.
    pub fn from_bytes(algo: HashAlgo, bytes: &[u8]) -> Result<Hash> {
        if bytes.len() != algo.size() {
            return Err(Error::BadHash {
                hash: to_base16(bytes),
                reason: format!(
                    "expected {} bytes for {algo}, found {}",
                    algo.size(),
                    bytes.len()
                ),
            });
        }
        Ok(Hash {
            algo,
            bytes: bytes.to_vec(),
        })
    }

    /// Hashes `data` with `algo`.
    pub fn digest(algo: HashAlgo, data: &[u8]) -> Hash {
        let mut h = Hasher::new(algo);
        h.update(data);
        h.finish()
    }

    /// The algorithm.
    pub fn algo(&self) -> HashAlgo {
        self.algo
    }

    /// The raw digest.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Lower-case base 16, without the algorithm.
    pub fn to_base16(&self) -> String {
        to_base16(&self.bytes)
    }

    /// Nix base 32, without the algorithm.
    pub fn to_base32(&self) -> String {
        nix_base32::to_nix_base32(&self.bytes)
    }

    /// Padded standard base 64, without the algorithm.
    pub fn to_base64(&self) -> String {
        base64::engine::general_purpose::STANDARD.encode(&self.bytes)
    }

    /// The SRI form, `sha256-<base64>`.
    pub fn to_sri(&self) -> String {
        format!("{}-{}", self.algo, self.to_base64())
    }

    /// `algo:hex`, the form inside store path fingerprints.
    pub fn to_typed_base16(&self) -> String {
        format!("{}:{}", self.algo, self.to_base16())
    }

    /// `algo:<Nix base 32>`, the form `nix path-info` prints.
    pub fn to_typed_base32(&self) -> String {
        format!("{}:{}", self.algo, self.to_base32())
    }

    /// Parses a hash without an algorithm prefix, in base 16, Nix base 32 or base 64, told apart by
    /// length as Nix does.
    pub fn parse_unprefixed(s: &str, algo: HashAlgo) -> Result<Hash> {
        let bad = |reason: String| Error::BadHash {
            hash: s.to_owned(),
            reason,
        };
        let bytes = if s.len() == algo.base16_len() {
            from_base16(s).ok_or_else(|| bad("not valid base 16".into()))?
        } else if s.len() == algo.base32_len() {
            // Only called with the exact length, so the decoder's buffer is never empty.
            nix_base32::from_nix_base32(s).ok_or_else(|| bad("not valid Nix base 32".into()))?
        } else if s.len() == algo.base64_len() {
            base64::engine::general_purpose::STANDARD
                .decode(s)
                .map_err(|e| bad(format!("not valid base 64: {e}")))?
        } else {
            return Err(bad(format!(
                "wrong length for a {algo} hash (expected {}, {} or {} characters, found {})",
                algo.base16_len(),
                algo.base32_len(),
                algo.base64_len(),
                s.len()
            )));
        };
        Hash::from_bytes(algo, &bytes).map_err(|_| bad("wrong digest length".into()))
    }

    /// Parses an unprefixed lower- or upper-case base-16 hash, the form `.drv` files use.
    pub fn parse_base16(s: &str, algo: HashAlgo) -> Result<Hash> {
        let bad = |reason: &str| Error::BadHash {
            hash: s.to_owned(),
            reason: reason.to_owned(),
        };
        if s.len() != algo.base16_len() {
            return Err(bad("wrong length for base 16"));
        }
        let bytes = from_base16(s).ok_or_else(|| bad("not valid base 16"))?;
        Hash::from_bytes(algo, &bytes)
    }

    /// Parses any form Nix accepts: SRI (`sha256-...`), `algo:digest`, or an unprefixed digest
    /// when `algo` is given.
    pub fn parse_any(s: &str, algo: Option<HashAlgo>) -> Result<Hash> {
        let bad = |reason: String| Error::BadHash {
            hash: s.to_owned(),
            reason,
        };
        let check = |found: HashAlgo| match algo {
            Some(a) if a != found => Err(bad(format!("expected a {a} hash, found {found}"))),
            _ => Ok(found),
        };
        if let Some((name, rest)) = s.split_once(':') {
            let found = HashAlgo::from_name(name)
                .ok_or_else(|| bad(format!("unknown algorithm '{name}'")))?;
            return Hash::parse_unprefixed(rest, check(found)?);
        }
        if let Some((name, rest)) = s.split_once('-') {
            if let Some(found) = HashAlgo::from_name(name) {
                let found = check(found)?;
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(rest)
                    .map_err(|e| bad(format!("not valid base 64: {e}")))?;
                return Hash::from_bytes(found, &bytes);
            }
        }
        match algo {
            Some(a) => Hash::parse_unprefixed(s, a),
            None => Err(bad(
                "no algorithm given (write 'sha256:...' or an SRI hash)".into(),
            )),
        }
    }
}

impl fmt::Debug for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.algo, self.to_base32())
    }
}

/// An incremental hasher for any [`HashAlgo`], also usable as an [`std::io::Write`] sink.
pub struct Hasher {
    state: HasherState,
    len: u64,
}

enum HasherState {
    Md5(Md5),
    Sha1(Sha1),
    Sha256(Sha256),
    Sha512(Sha512),
}

impl Hasher {
    /// A fresh hasher.
    pub fn new(algo: HashAlgo) -> Hasher {
        let state = match algo {
            HashAlgo::Md5 => HasherState::Md5(Md5::new()),
            HashAlgo::Sha1 => HasherState::Sha1(Sha1::new()),
            HashAlgo::Sha256 => HasherState::Sha256(Sha256::new()),
            HashAlgo::Sha512 => HasherState::Sha512(Sha512::new()),
        };
        Hasher { state, len: 0 }
    }

    /// Feeds bytes.
    pub fn update(&mut self, data: &[u8]) {
        self.len += data.len() as u64;
        match &mut self.state {
            HasherState::Md5(h) => h.update(data),
            HasherState::Sha1(h) => h.update(data),
            HasherState::Sha256(h) => h.update(data),
            HasherState::Sha512(h) => h.update(data),
        }
    }

    /// How many bytes were fed so far (the NAR size, when hashing a NAR).
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether nothing was fed yet.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The digest.
    pub fn finish(self) -> Hash {
        let (algo, bytes) = match self.state {
            HasherState::Md5(h) => (HashAlgo::Md5, h.finalize().to_vec()),
            HasherState::Sha1(h) => (HashAlgo::Sha1, h.finalize().to_vec()),
            HasherState::Sha256(h) => (HashAlgo::Sha256, h.finalize().to_vec()),
            HasherState::Sha512(h) => (HashAlgo::Sha512, h.finalize().to_vec()),
        };
        Hash { algo, bytes }
    }
}

impl std::io::Write for Hasher {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.update(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Folds a digest to `size` bytes by XOR-ing byte `i` into position `i % size`, as Nix shortens
/// SHA-256 fingerprints to the 20 bytes of a store path's hash part.
pub fn compress_hash(bytes: &[u8], size: usize) -> Vec<u8> {
    let mut out = vec![0u8; size];
    if size == 0 {
        return out;
    }
    for (i, b) in bytes.iter().enumerate() {
        out[i % size] ^= b;
    }
    out
}

/// Lower-case base 16 of arbitrary bytes.
pub fn to_base16(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = vec![0u8; bytes.len() * 2];
    for (pair, b) in out.chunks_exact_mut(2).zip(bytes) {
        pair[0] = DIGITS[usize::from(b >> 4)];
        pair[1] = DIGITS[usize::from(b & 15)];
    }
    // Only ASCII digits were written.
    String::from_utf8(out).unwrap_or_default()
}

/// Decodes base 16 (either case); `None` on odd length or a non-hex character.
pub fn from_base16(s: &str) -> Option<Vec<u8>> {
    let s = s.as_bytes();
    let nibble = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    let pairs = s.chunks_exact(2);
    if !pairs.remainder().is_empty() {
        return None;
    }
    pairs
        .map(|p| Some(nibble(p[0])? << 4 | nibble(p[1])?))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_of_one_hash() {
        let h = Hash::digest(HashAlgo::Sha256, b"hi\n");
        // `printf 'hi\n' | sha256sum`.
        assert_eq!(
            h.to_base16(),
            "98ea6e4f216f2fb4b69fff9b3a44842c38686ca685f3f55dc48c5d3fb1107be4"
        );
        for form in [h.to_base16(), h.to_base32(), h.to_base64()] {
            assert_eq!(
                Hash::parse_unprefixed(&form, HashAlgo::Sha256).ok(),
                Some(h.clone())
            );
        }
        assert_eq!(Hash::parse_any(&h.to_sri(), None).ok(), Some(h.clone()));
        assert_eq!(
            Hash::parse_any(&format!("sha256:{}", h.to_base32()), None).ok(),
            Some(h.clone())
        );
        assert!(Hash::parse_any(&h.to_sri(), Some(HashAlgo::Sha1)).is_err());
        assert!(Hash::parse_unprefixed("x", HashAlgo::Sha256).is_err());
        assert!(Hash::parse_unprefixed(&"z".repeat(64), HashAlgo::Sha256).is_err());
    }

    #[test]
    fn compress_folds_by_xor() {
        assert_eq!(compress_hash(&[1, 2, 3, 4], 2), vec![1 ^ 3, 2 ^ 4]);
    }
}
