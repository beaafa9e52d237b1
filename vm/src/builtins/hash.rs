//! Hashing: `hashString`, `hashFile` and `convertHash`, with Nix's hash formats (base16,
//! nix32, base64, SRI).

use base64::Engine as _;
use md5::Digest as _;

use super::{expect_string_no_ctx, USAGE_HINT, files::real_path, lossy, nth_arg, TraceExt};
use crate::error::{EvalError, EvalResult};
use crate::value::Value;
use crate::Vm;

/// A hash algorithm Nix knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
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
    /// The algorithm called `name`.
    pub fn parse(name: &str) -> Option<HashAlgo> {
        Some(match name {
            "md5" => HashAlgo::Md5,
            "sha1" => HashAlgo::Sha1,
            "sha256" => HashAlgo::Sha256,
            "sha512" => HashAlgo::Sha512,
            _ => return None,
        })
    }

    fn parse_or_err(name: &str) -> EvalResult<HashAlgo> {
        HashAlgo::parse(name).ok_or_else(|| {
            // CppNix raises a usage error here, which its command line follows with a hint.
            EvalError::type_error(format!(
                "unknown hash algorithm '{name}', expect 'blake3', 'md5', 'sha1', 'sha256', or 'sha512'\n{USAGE_HINT}"
            ))
        })
    }

    /// Its name.
    pub fn name(self) -> &'static str {
        match self {
            HashAlgo::Md5 => "md5",
            HashAlgo::Sha1 => "sha1",
            HashAlgo::Sha256 => "sha256",
            HashAlgo::Sha512 => "sha512",
        }
    }

    /// The digest size in bytes.
    pub fn size(self) -> usize {
        match self {
            HashAlgo::Md5 => 16,
            HashAlgo::Sha1 => 20,
            HashAlgo::Sha256 => 32,
            HashAlgo::Sha512 => 64,
        }
    }

    /// The digest of `data`.
    pub fn digest(self, data: &[u8]) -> Vec<u8> {
        match self {
            HashAlgo::Md5 => md5::Md5::digest(data).to_vec(),
            HashAlgo::Sha1 => sha1::Sha1::digest(data).to_vec(),
            HashAlgo::Sha256 => sha2::Sha256::digest(data).to_vec(),
            HashAlgo::Sha512 => sha2::Sha512::digest(data).to_vec(),
        }
    }
}

/// Lower-case hexadecimal.
pub fn base16(bytes: &[u8]) -> String {
    data_encoding::HEXLOWER.encode(bytes)
}

fn from_base16(s: &str) -> Option<Vec<u8>> {
    s.as_bytes().chunks(2).map(|c| u8::from_str_radix(std::str::from_utf8(c).ok().filter(|c| c.len() == 2)?, 16).ok()).collect()
}

/// Nix's base-32 (alphabet without e, o, u, t; least significant digit last).
pub fn nix32(bytes: &[u8]) -> String {
    nix_base32::to_nix_base32(bytes)
}

/// A hash in one of Nix's formats, with or without an `algo:` or SRI `algo-` prefix; the
/// encoding is told by the length.
pub fn parse_hash(text: &str, algo: Option<HashAlgo>) -> EvalResult<(HashAlgo, Vec<u8>)> {
    let (prefix, body, sri) = if let Some((p, b)) = text.split_once(':') {
        (Some(p), b, false)
    } else if let Some((p, b)) = text.split_once('-') {
        (Some(p), b, true)
    } else {
        (None, text, false)
    };
    let algo = match (prefix, algo) {
        (Some(p), given) => {
            let parsed = HashAlgo::parse_or_err(p)?;
            if let Some(g) = given.filter(|g| *g != parsed) {
                return Err(EvalError::type_error(format!("hash '{text}' should have type '{}'", g.name())));
            }
            parsed
        }
        (None, Some(a)) => a,
        (None, None) => {
            return Err(EvalError::type_error(format!(
                "hash '{text}' does not include a type, nor is the type otherwise known from context"
            )))
        }
    };
    let size = algo.size();
    let wrong = || EvalError::type_error(format!("hash '{text}' has wrong length for hash algorithm '{}'", algo.name()));
    let bad = |enc: &str| EvalError::type_error(format!("invalid {enc} hash '{text}'"));
    let b64_len = (4 * size / 3 + 3) & !3;
    let bytes = if !sri && body.len() == size * 2 {
        from_base16(body).ok_or_else(|| bad("base16"))?
    } else if !sri && body.len() == (size * 8 - 1) / 5 + 1 {
        nix_base32::from_nix_base32(body).filter(|b| b.len() == size).ok_or_else(|| bad("nix32"))?
    } else if body.len() == b64_len {
        let b = base64::engine::general_purpose::STANDARD.decode(body).map_err(|_| bad("base64"))?;
        if b.len() != size {
            return Err(wrong());
        }
        b
    } else {
        return Err(wrong());
    };
    Ok((algo, bytes))
}

/// O(n) for n bytes hashed.
pub(super) fn hash_string(vm: &mut Vm, a: &[Value]) -> EvalResult<Value> {
    let name = expect_string_no_ctx(vm, a[0]).trace(|| nth_arg(0, "hashString"))?;
    let algo = HashAlgo::parse_or_err(&lossy(&name))?;
    // Hashed where it is (derivation-like code hashes long strings).
    let s = vm.expect_str(a[1]).trace(|| nth_arg(1, "hashString"))?;
    let digest = algo.digest(&vm.heap.str(s).bytes);
    Ok(vm.new_string(base16(&digest).into_bytes()))
}

/// O(n) for a file of n bytes, read through `EvalIO`.
pub(super) fn hash_file(vm: &mut Vm, a: &[Value]) -> EvalResult<Value> {
    let name = expect_string_no_ctx(vm, a[0]).trace(|| nth_arg(0, "hashFile"))?;
    let algo = HashAlgo::parse_or_err(&lossy(&name))?;
    let path = real_path(vm, a[1]).trace(|| nth_arg(1, "hashFile"))?;
    let data = super::files::read(vm, &path)?;
    Ok(vm.new_string(base16(&algo.digest(&data)).into_bytes()))
}

/// O(size of the hash).
pub(super) fn convert_hash(vm: &mut Vm, a: &[Value]) -> EvalResult<Value> {
    let g = vm.expect_attrs(a[0]).trace(|| nth_arg(0, "convertHash"))?;
    let get = |vm: &mut Vm, name: &str| {
        let sym = vm.intern(name.as_bytes());
        vm.heap.attrs(g).get(sym)
    };
    let Some(hash) = get(vm, "hash") else {
        return Err(EvalError::type_error("attribute 'hash' missing"))
            .trace(|| "while locating the attribute 'hash'".into());
    };
    let hash = expect_string_no_ctx(vm, hash).trace(|| "while evaluating the attribute 'hash'".into())?;
    let algo = match get(vm, "hashAlgo") {
        Some(v) => {
            let name = expect_string_no_ctx(vm, v).trace(|| "while evaluating the attribute 'hashAlgo'".into())?;
            Some(HashAlgo::parse_or_err(&lossy(&name))?)
        }
        None => None,
    };
    let Some(format) = get(vm, "toHashFormat") else {
        return Err(EvalError::type_error("attribute 'toHashFormat' missing"))
            .trace(|| "while locating the attribute 'toHashFormat'".into());
    };
    let format = expect_string_no_ctx(vm, format).trace(|| "while evaluating the attribute 'toHashFormat'".into())?;
    let format = lossy(&format);
    if !matches!(format.as_str(), "base16" | "nix32" | "base32" | "base64" | "sri") {
        return Err(EvalError::type_error(format!(
            "unknown hash format '{format}', expect 'base16', 'base32', 'base64', or 'sri'"
        )));
    }
    if format == "base32" {
        eprintln!("warning: \"base32\" is a deprecated alias for hash format \"nix32\".");
    }
    let (algo, bytes) = parse_hash(&lossy(&hash), algo)?;
    let b64 = || base64::engine::general_purpose::STANDARD.encode(&bytes);
    let out = match format.as_str() {
        "base16" => base16(&bytes),
        "nix32" | "base32" => nix32(&bytes),
        "base64" => b64(),
        _ => format!("{}-{}", algo.name(), b64()),
    };
    Ok(vm.new_string(out.into_bytes()))
}
