//! Store paths: `StorePath` (a 160-bit digest in Nix base 32 plus a name) and `StoreDir`, the
//! logical store directory that prefixes every path and enters every hash.

use std::fmt;

use crate::error::{Error, Result};

/// Length of a store path's hash part in Nix base 32 (160 bits).
pub const HASH_PART_LEN: usize = 32;

/// Size of a store path's digest in bytes.
pub const DIGEST_SIZE: usize = 20;

/// Longest name a store path may have (CppNix's limit, so that base names fit in 255 bytes).
pub const MAX_NAME_LEN: usize = 211;

/// The store directory used when nothing else is configured.
pub const DEFAULT_STORE_DIR: &str = "/nix/store";

const NIX32_ALPHABET: &[u8] = b"0123456789abcdfghijklmnpqrsvwxyz";

/// A store path without its directory: `<hash part>-<name>`.
///
/// Kept as the base name in one allocation (an evaluation holds many: every derivation's
/// inputs and memoised hashes). Ordering is that of the base name as a string, which is the
/// order CppNix sorts store paths in (`.drv` input lists, references).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StorePath {
    /// `<32-character hash part>-<name>`, checked.
    base: Box<str>,
}

impl StorePath {
    /// Builds a store path from its 20-byte digest and a name, checking the name.
    pub fn from_digest(digest: &[u8; DIGEST_SIZE], name: &str) -> Result<StorePath> {
        check_name(name)?;
        let mut base = nix_base32::to_nix_base32(digest);
        base.reserve_exact(1 + name.len());
        base.push('-');
        base.push_str(name);
        Ok(StorePath { base: base.into_boxed_str() })
    }

    /// Parses a base name, `<32 base-32 characters>-<name>`.
    pub fn from_base_name(base: &str) -> Result<StorePath> {
        let bad = |reason: &str| Error::BadStorePath {
            path: base.to_owned(),
            reason: reason.to_owned(),
        };
        if base.len() < HASH_PART_LEN + 2 {
            return Err(bad("too short: expected '<32-character hash>-<name>'"));
        }
        let (hash_part, rest) = base.split_at(HASH_PART_LEN);
        if !hash_part.bytes().all(is_nix32) {
            return Err(bad(
                "the hash part is not Nix base 32 (alphabet 0-9a-z without e, o, u, t)",
            ));
        }
        let Some(name) = rest.strip_prefix('-') else {
            return Err(bad("expected '-' after the 32-character hash part"));
        };
        check_name(name).map_err(|e| match e {
            Error::BadName { reason, .. } => bad(&reason),
            other => other,
        })?;
        Ok(StorePath { base: base.into() })
    }

    /// The hash part in Nix base 32.
    pub fn hash_part(&self) -> &str {
        &self.base[..HASH_PART_LEN]
    }

    /// The name (after the hash part and `-`).
    pub fn name(&self) -> &str {
        &self.base[HASH_PART_LEN + 1..]
    }

    /// Whether this is a store derivation (the name ends in `.drv`).
    pub fn is_derivation(&self) -> bool {
        self.base.ends_with(".drv")
    }
}

impl fmt::Display for StorePath {
    /// The base name; use [`StoreDir::print`] for the full path.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.base)
    }
}

impl fmt::Debug for StorePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "StorePath({self})")
    }
}

/// Checks a store path name against Nix's rules: 1 to 211 characters out of
/// `A-Z a-z 0-9 + - . _ ? =`. (CppNix 2.8 accepts names starting with a period, so we do too.)
pub fn check_name(name: &str) -> Result<()> {
    let bad = |reason: String| Error::BadName {
        name: name.to_owned(),
        reason,
    };
    if name.is_empty() {
        return Err(bad("the name is empty".into()));
    }
    if name.len() > MAX_NAME_LEN {
        return Err(bad(format!("longer than {MAX_NAME_LEN} characters")));
    }
    if name.bytes().all(is_name_byte) {
        return Ok(());
    }
    if let Some(c) = name
        .chars()
        .find(|&c| !(c.is_ascii_alphanumeric() || "+-._?=".contains(c)))
    {
        return Err(bad(format!(
            "contains the illegal character '{c}' (allowed: letters, digits and + - . _ ? =)"
        )));
    }
    Ok(())
}

/// Whether `c` is a character of Nix base 32 (a table lookup: paths are parsed often).
fn is_nix32(c: u8) -> bool {
    const TABLE: [bool; 256] = {
        let mut t = [false; 256];
        let mut i = 0;
        while i < NIX32_ALPHABET.len() {
            t[NIX32_ALPHABET[i] as usize] = true;
            i += 1;
        }
        t
    };
    TABLE[c as usize]
}

/// Whether `c` may appear in a store path name: `A-Z a-z 0-9 + - . _ ? =`.
fn is_name_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'+' | b'-' | b'.' | b'_' | b'?' | b'=')
}

/// The logical store directory, such as `/nix/store`: absolute, without a trailing slash.
/// It is part of every store path hash, so two stores with different directories never share
/// paths.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct StoreDir(String);

impl Default for StoreDir {
    fn default() -> StoreDir {
        StoreDir(DEFAULT_STORE_DIR.to_owned())
    }
}

impl StoreDir {
    /// A store directory; it must be an absolute, canonical path (no trailing `/`, no `.`/`..`
    /// components, no doubled slashes).
    pub fn new(dir: &str) -> Result<StoreDir> {
        let bad = |reason: &str| Error::BadStorePath {
            path: dir.to_owned(),
            reason: reason.to_owned(),
        };
        if !dir.starts_with('/') {
            return Err(bad("a store directory must be an absolute path"));
        }
        if dir.len() > 1 && dir.ends_with('/') {
            return Err(bad("a store directory must not end in '/'"));
        }
        if dir
            .split('/')
            .skip(1)
            .any(|c| c.is_empty() || c == "." || c == "..")
            && dir != "/"
        {
            return Err(bad(
                "a store directory must be canonical (no empty, '.' or '..' components)",
            ));
        }
        Ok(StoreDir(dir.to_owned()))
    }

    /// The directory as a string.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The full path of `path` in this store.
    pub fn print(&self, path: &StorePath) -> String {
        let mut s = String::with_capacity(self.0.len() + 1 + path.base.len());
        s.push_str(&self.0);
        s.push('/');
        s.push_str(&path.base);
        s
    }

    /// Parses a full store path; it must sit directly in this store directory.
    pub fn parse(&self, s: &str) -> Result<StorePath> {
        let base = s
            .strip_prefix(self.0.as_str())
            .and_then(|rest| rest.strip_prefix('/'))
            .ok_or_else(|| Error::BadStorePath {
                path: s.to_owned(),
                reason: format!("not in the store directory '{}'", self.0),
            })?;
        if base.contains('/') {
            return Err(Error::BadStorePath {
                path: s.to_owned(),
                reason: "a path inside a store object, not a store path (use split_path)".into(),
            });
        }
        StorePath::from_base_name(base).map_err(|e| match e {
            Error::BadStorePath { reason, .. } => Error::BadStorePath {
                path: s.to_owned(),
                reason,
            },
            other => other,
        })
    }

    /// Splits a path inside the store into its store path and the rest (`""` or `/...`), as
    /// `/nix/store/<hash>-foo/bin/sh` → (`<hash>-foo`, `/bin/sh`).
    pub fn split_path<'a>(&self, s: &'a str) -> Result<(StorePath, &'a str)> {
        let after = s
            .strip_prefix(self.0.as_str())
            .and_then(|r| r.strip_prefix('/'))
            .ok_or_else(|| Error::BadStorePath {
                path: s.to_owned(),
                reason: format!("not in the store directory '{}'", self.0),
            })?;
        let end = after.find('/').unwrap_or(after.len());
        let path = self.parse(&s[..s.len() - after.len() + end])?;
        Ok((path, &after[end..]))
    }

    /// Whether `s` is a full store path of this store.
    pub fn is_store_path(&self, s: &str) -> bool {
        self.parse(s).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: &str = "/nix/store/7g5giqf764p3y3zv7a8rqsy9sqqq5kw4-a.drv";

    #[test]
    fn parse_and_print_round_trip() {
        let dir = StoreDir::default();
        let p = dir.parse(P).expect("valid");
        assert_eq!(p.name(), "a.drv");
        assert!(p.is_derivation());
        assert_eq!(dir.print(&p), P);
        let inner = format!("{P}/bin/sh");
        let (q, rest) = dir.split_path(&inner).expect("valid");
        assert_eq!((q, rest), (p, "/bin/sh"));
    }

    #[test]
    fn rejects_bad_paths() {
        let dir = StoreDir::default();
        for bad in [
            "/nix/store/7g5giqf764p3y3zv7a8rqsy9sqqq5kw4",
            "/nix/store/7g5giqf764p3y3zv7a8rqsy9sqqq5kw4-",
            "/nix/store/7g5giqf764p3y3zv7a8rqsy9sqqq5kwe-a",
            "/nix/store/7g5giqf764p3y3zv7a8rqsy9sqqq5kw4_a",
            "/nix/store/7g5giqf764p3y3zv7a8rqsy9sqqq5kw4-a b",
            "/nix/store/7g5giqf764p3y3zv7a8rqsy9sqqq5kw4-a/b",
            "/gnu/store/7g5giqf764p3y3zv7a8rqsy9sqqq5kw4-a",
            "/nix/store7g5giqf764p3y3zv7a8rqsy9sqqq5kw4-a",
            "",
        ] {
            assert!(dir.parse(bad).is_err(), "{bad}");
        }
        let long = format!(
            "/nix/store/7g5giqf764p3y3zv7a8rqsy9sqqq5kw4-{}",
            "a".repeat(212)
        );
        assert!(dir.parse(&long).is_err());
        assert!(dir.parse(&long[..long.len() - 1]).is_ok());
        assert!(dir
            .parse("/nix/store/7g5giqf764p3y3zv7a8rqsy9sqqq5kw4-.a")
            .is_ok());
    }

    #[test]
    fn store_dir_must_be_canonical() {
        assert!(StoreDir::new("/gnu/store").is_ok());
        for bad in ["nix/store", "/nix/store/", "/nix//store", "/nix/./store"] {
            assert!(StoreDir::new(bad).is_err(), "{bad}");
        }
    }
}
