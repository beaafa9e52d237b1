//! The ATerm text of `.drv` files: `Derive([outputs],[inputDrvs],[inputSrcs],platform,builder,
//! [args],[env])`, printed byte for byte as CppNix prints it and parsed back.
//!
//! Strings are double-quoted; `"` and `\` are backslash-escaped and newline, carriage return and
//! tab are written `\n`, `\r`, `\t`; every other byte is written as is. Paths, output names and
//! hash columns are printed without escaping (they cannot contain those characters).

use std::collections::{BTreeMap, BTreeSet};

use super::{Derivation, DerivationOutput};
use crate::content_address::{output_path_name, ContentAddress};
use crate::error::{Error, Result};
use crate::hash::Hash;
use crate::store_path::{StoreDir, StorePath};

fn push_escaped(out: &mut Vec<u8>, s: &[u8]) {
    out.reserve(s.len() + 2);
    out.push(b'"');
    // Runs without a character to escape are copied whole.
    let mut rest = s;
    while let Some(i) = rest.iter().position(|&c| matches!(c, b'"' | b'\\' | b'\n' | b'\r' | b'\t')) {
        out.extend_from_slice(&rest[..i]);
        out.extend_from_slice(match rest[i] {
            b'"' => &b"\\\""[..],
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            _ => b"\\t",
        });
        rest = &rest[i + 1..];
    }
    out.extend_from_slice(rest);
    out.push(b'"');
}

fn push_unescaped(out: &mut Vec<u8>, s: &str) {
    out.reserve(s.len() + 2);
    out.push(b'"');
    out.extend_from_slice(s.as_bytes());
    out.push(b'"');
}

fn push_list<T>(
    out: &mut Vec<u8>,
    items: impl IntoIterator<Item = T>,
    mut each: impl FnMut(&mut Vec<u8>, T),
) {
    out.push(b'[');
    for (i, item) in items.into_iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        each(out, item);
    }
    out.push(b']');
}

impl Derivation {
    /// Prints the ATerm. With `mask_outputs`, output paths and the environment variables named
    /// after outputs are printed as `""`; with `input_drvs`, those keys (modulo hashes) replace
    /// the input derivation paths. Both are only for `hash_modulo`.
    pub(super) fn print_aterm(
        &self,
        store_dir: &StoreDir,
        mask_outputs: bool,
        input_drvs: Option<&BTreeMap<String, BTreeSet<String>>>,
    ) -> Result<Vec<u8>> {
        let mut out = Vec::with_capacity(1024);
        self.print_head(&mut out, store_dir, mask_outputs)?;
        self.print_inputs(&mut out, store_dir, input_drvs);
        self.print_tail(&mut out, store_dir, mask_outputs);
        Ok(out)
    }

    /// The ATerm up to the input derivations: `Derive([outputs],`.
    pub(super) fn print_head(&self, out: &mut Vec<u8>, store_dir: &StoreDir, mask_outputs: bool) -> Result<()> {
        out.extend_from_slice(b"Derive(");
        let mut outputs = Vec::with_capacity(self.outputs.len());
        for (name, output) in &self.outputs {
            let (path, algo, hash) = match output {
                DerivationOutput::InputAddressed(p) => {
                    (store_dir.print(p), String::new(), String::new())
                }
                DerivationOutput::Fixed(ca) => {
                    let p = store_dir.make_fixed_output_path(
                        ca,
                        &output_path_name(&self.name, name),
                        &BTreeSet::new(),
                        false,
                    )?;
                    (store_dir.print(&p), ca.method_algo(), ca.hash.to_base16())
                }
                DerivationOutput::Floating { method, algo } => (
                    String::new(),
                    format!("{}{algo}", method.prefix()),
                    String::new(),
                ),
                DerivationOutput::Deferred => (String::new(), String::new(), String::new()),
            };
            outputs.push((
                name,
                if mask_outputs { String::new() } else { path },
                algo,
                hash,
            ));
        }
        push_list(out, outputs, |out, (name, path, algo, hash)| {
            out.push(b'(');
            push_unescaped(out, name);
            for field in [path, algo, hash] {
                out.push(b',');
                push_unescaped(out, &field);
            }
            out.push(b')');
        });
        out.push(b',');
        Ok(())
    }

    /// The input derivations' list: their paths, or with `input_drvs` the keys given there.
    pub(super) fn print_inputs(
        &self,
        out: &mut Vec<u8>,
        store_dir: &StoreDir,
        input_drvs: Option<&BTreeMap<String, BTreeSet<String>>>,
    ) {
        let print_input = |out: &mut Vec<u8>, (key, outputs): (&str, &BTreeSet<String>)| {
            out.push(b'(');
            push_unescaped(out, key);
            out.push(b',');
            push_list(out, outputs, |out, o| push_unescaped(out, o));
            out.push(b')');
        };
        match input_drvs {
            Some(replaced) => push_list(out, replaced.iter().map(|(k, v)| (k.as_str(), v)), print_input),
            None => push_list(out, &self.input_drvs, |out, (p, v)| print_input(out, (&store_dir.print(p), v))),
        }
    }

    /// The ATerm after the input derivations: `,[inputSrcs],platform,builder,[args],[env])`.
    pub(super) fn print_tail(&self, out: &mut Vec<u8>, store_dir: &StoreDir, mask_outputs: bool) {
        out.push(b',');
        push_list(out, &self.input_srcs, |out, p| {
            push_unescaped(out, &store_dir.print(p))
        });
        out.push(b',');
        push_escaped(out, &self.platform);
        out.push(b',');
        push_escaped(out, &self.builder);
        out.push(b',');
        push_list(out, &self.args, |out, a| push_escaped(out, a));
        out.push(b',');
        push_list(out, &self.env, |out, (k, v)| {
            out.push(b'(');
            push_escaped(out, k);
            out.push(b',');
            let masked =
                mask_outputs && std::str::from_utf8(k).is_ok_and(|k| self.outputs.contains_key(k));
            push_escaped(out, if masked { b"" } else { v });
            out.push(b')');
        });
        out.push(b')');
    }
}

struct Parser<'a> {
    text: &'a [u8],
    pos: usize,
}

impl Parser<'_> {
    fn error(&self, reason: impl Into<String>) -> Error {
        Error::BadDerivation {
            offset: self.pos,
            reason: reason.into(),
        }
    }

    fn expect(&mut self, token: &[u8]) -> Result<()> {
        if self.text[self.pos..].starts_with(token) {
            self.pos += token.len();
            Ok(())
        } else {
            Err(self.error(format!("expected '{}'", String::from_utf8_lossy(token))))
        }
    }

    fn peek(&self) -> Option<u8> {
        self.text.get(self.pos).copied()
    }

    fn string(&mut self) -> Result<Vec<u8>> {
        self.expect(b"\"")?;
        let mut out = Vec::new();
        loop {
            let Some(c) = self.peek() else {
                return Err(self.error("unterminated string"));
            };
            self.pos += 1;
            match c {
                b'"' => return Ok(out),
                b'\\' => {
                    let Some(e) = self.peek() else {
                        return Err(self.error("unterminated string"));
                    };
                    self.pos += 1;
                    out.push(match e {
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        other => other,
                    });
                }
                _ => out.push(c),
            }
        }
    }

    fn utf8_string(&mut self, what: &str) -> Result<String> {
        let start = self.pos;
        let bytes = self.string()?;
        String::from_utf8(bytes).map_err(|_| Error::BadDerivation {
            offset: start,
            reason: format!("{what} is not UTF-8"),
        })
    }

    fn store_path(&mut self, store_dir: &StoreDir) -> Result<StorePath> {
        let start = self.pos;
        let s = self.utf8_string("a store path")?;
        store_dir.parse(&s).map_err(|e| Error::BadDerivation {
            offset: start,
            reason: e.to_string(),
        })
    }

    /// `[item,item,...]`.
    fn list<T>(&mut self, mut item: impl FnMut(&mut Self) -> Result<T>) -> Result<Vec<T>> {
        self.expect(b"[")?;
        let mut out = Vec::new();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(out);
        }
        loop {
            out.push(item(self)?);
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(out);
                }
                _ => return Err(self.error("expected ',' or ']'")),
            }
        }
    }

    fn output(
        &mut self,
        store_dir: &StoreDir,
        drv_name: &str,
    ) -> Result<(String, DerivationOutput)> {
        self.expect(b"(")?;
        let name = self.utf8_string("an output name")?;
        self.expect(b",")?;
        let path_at = self.pos;
        let path = self.utf8_string("an output path")?;
        self.expect(b",")?;
        let algo_at = self.pos;
        let algo = self.utf8_string("a hash algorithm")?;
        self.expect(b",")?;
        let hash_at = self.pos;
        let hash = self.utf8_string("a hash")?;
        self.expect(b")")?;
        let at = |offset: usize| {
            move |e: Error| Error::BadDerivation {
                offset,
                reason: e.to_string(),
            }
        };
        let output = if !algo.is_empty() {
            let (method, algo) = ContentAddress::parse_method_algo(&algo).map_err(at(algo_at))?;
            if hash.is_empty() {
                DerivationOutput::Floating { method, algo }
            } else {
                let ca = ContentAddress {
                    method,
                    hash: Hash::parse_base16(&hash, algo).map_err(at(hash_at))?,
                };
                let expected = store_dir
                    .make_fixed_output_path(
                        &ca,
                        &output_path_name(drv_name, &name),
                        &BTreeSet::new(),
                        false,
                    )
                    .map_err(at(path_at))?;
                if path != store_dir.print(&expected) {
                    return Err(Error::BadDerivation {
                        offset: path_at,
                        reason: format!(
                            "fixed output '{name}' has path '{path}', but its hash gives '{}'",
                            store_dir.print(&expected)
                        ),
                    });
                }
                DerivationOutput::Fixed(ca)
            }
        } else if path.is_empty() {
            DerivationOutput::Deferred
        } else {
            DerivationOutput::InputAddressed(store_dir.parse(&path).map_err(at(path_at))?)
        };
        Ok((name, output))
    }
}

/// Parses a `.drv` file; see [`Derivation::from_aterm`].
pub(super) fn parse(store_dir: &StoreDir, name: &str, text: &[u8]) -> Result<Derivation> {
    let mut p = Parser { text, pos: 0 };
    p.expect(b"Derive(")?;
    let mut drv = Derivation {
        name: name.to_owned(),
        ..Derivation::default()
    };
    for (name, output) in p.list(|p| p.output(store_dir, name))? {
        drv.outputs.insert(name, output);
    }
    p.expect(b",")?;
    let inputs = p.list(|p| {
        p.expect(b"(")?;
        let path = p.store_path(store_dir)?;
        p.expect(b",")?;
        let outputs = p.list(|p| p.utf8_string("an output name"))?;
        p.expect(b")")?;
        Ok((path, outputs.into_iter().collect::<BTreeSet<_>>()))
    })?;
    drv.input_drvs.extend(inputs);
    p.expect(b",")?;
    drv.input_srcs.extend(p.list(|p| p.store_path(store_dir))?);
    p.expect(b",")?;
    drv.platform = p.string()?;
    p.expect(b",")?;
    drv.builder = p.string()?;
    p.expect(b",")?;
    drv.args = p.list(Parser::string)?;
    p.expect(b",")?;
    let env = p.list(|p| {
        p.expect(b"(")?;
        let k = p.string()?;
        p.expect(b",")?;
        let v = p.string()?;
        p.expect(b")")?;
        Ok((k, v))
    })?;
    drv.env.extend(env);
    p.expect(b")")?;
    if p.pos != text.len() {
        return Err(p.error("trailing bytes after the derivation"));
    }
    Ok(drv)
}
