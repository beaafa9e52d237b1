//! NAR, the Nix Archive: the canonical serialisation of a file-system object (regular files with
//! their executable bit, symlinks, directories with entries sorted by name), written from the
//! real file system or from a [`NarNode`] tree, parsed back with full validation, and hashed.
//!
//! Every string is a little-endian `u64` length, the bytes, and zero padding to a multiple of 8.

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, Read, Write};
use std::os::unix::ffi::OsStrExt as _;
use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;

use crate::error::{Error, Result};
use crate::hash::{Hash, HashAlgo, Hasher};

/// The magic string every NAR starts with.
pub const NAR_MAGIC: &[u8] = b"nix-archive-1";

/// Deepest directory nesting written or read; deeper trees are an error, not a stack overflow.
pub const MAX_NAR_DEPTH: usize = 1024;

/// Longest entry name or symlink target accepted when parsing (file contents are unbounded).
pub const MAX_NAR_STRING: u64 = 4096;

/// A file-system object as a NAR holds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NarNode {
    /// A regular file.
    Regular {
        /// Whether the owner-executable bit is set.
        executable: bool,
        /// The file's bytes.
        contents: Vec<u8>,
    },
    /// A symbolic link (the target is stored, not followed).
    Symlink {
        /// The link's target, as bytes.
        target: Vec<u8>,
    },
    /// A directory; entries are sorted by name because the map is.
    Directory(BTreeMap<Vec<u8>, NarNode>),
}

fn write_str(w: &mut impl Write, s: &[u8]) -> io::Result<()> {
    w.write_all(&(s.len() as u64).to_le_bytes())?;
    w.write_all(s)?;
    write_padding(w, s.len() as u64)
}

fn write_padding(w: &mut impl Write, len: u64) -> io::Result<()> {
    let pad = (8 - len % 8) % 8;
    w.write_all(&[0u8; 8][..pad as usize])
}

impl NarNode {
    /// Writes the NAR of this tree (magic included).
    pub fn write_nar(&self, w: &mut impl Write) -> Result<()> {
        write_str(w, NAR_MAGIC)?;
        self.write_object(w, 0)
    }

    /// The NAR of this tree as bytes.
    pub fn to_nar_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        // Writing to a Vec cannot fail, and depth only fails for trees deeper than the parser
        // accepts; such a tree cannot be built from a NAR, so report it as an empty archive.
        if self.write_nar(&mut out).is_err() {
            out.clear();
        }
        out
    }

    /// SHA-256 of the NAR and its size in bytes.
    pub fn nar_hash(&self) -> Result<(Hash, u64)> {
        let mut h = Hasher::new(HashAlgo::Sha256);
        self.write_nar(&mut h)?;
        let size = h.len();
        Ok((h.finish(), size))
    }

    fn write_object(&self, w: &mut impl Write, depth: usize) -> Result<()> {
        if depth > MAX_NAR_DEPTH {
            return Err(Error::BadNar(format!(
                "directories nested deeper than {MAX_NAR_DEPTH}"
            )));
        }
        write_str(w, b"(")?;
        match self {
            NarNode::Regular {
                executable,
                contents,
            } => {
                write_str(w, b"type")?;
                write_str(w, b"regular")?;
                if *executable {
                    write_str(w, b"executable")?;
                    write_str(w, b"")?;
                }
                write_str(w, b"contents")?;
                write_str(w, contents)?;
            }
            NarNode::Symlink { target } => {
                write_str(w, b"type")?;
                write_str(w, b"symlink")?;
                write_str(w, b"target")?;
                write_str(w, target)?;
            }
            NarNode::Directory(entries) => {
                write_str(w, b"type")?;
                write_str(w, b"directory")?;
                for (name, node) in entries {
                    check_entry_name(name)?;
                    write_str(w, b"entry")?;
                    write_str(w, b"(")?;
                    write_str(w, b"name")?;
                    write_str(w, name)?;
                    write_str(w, b"node")?;
                    node.write_object(w, depth + 1)?;
                    write_str(w, b")")?;
                }
            }
        }
        write_str(w, b")")?;
        Ok(())
    }

    /// Reads a file-system object into memory (symlinks are not followed).
    pub fn from_path(path: &Path) -> Result<NarNode> {
        read_node(path, 0)
    }

    /// Parses a NAR from a byte slice; trailing bytes are an error.
    pub fn from_nar_bytes(bytes: &[u8]) -> Result<NarNode> {
        let mut r = bytes;
        let node = parse_nar(&mut r)?;
        if !r.is_empty() {
            return Err(Error::BadNar(format!(
                "{} bytes after the end of the archive",
                r.len()
            )));
        }
        Ok(node)
    }
}

/// Entry names must be usable as one path component: not empty, not `.` or `..`, no `/` or NUL.
pub(crate) fn check_entry_name(name: &[u8]) -> Result<()> {
    if name.is_empty() || name == b"." || name == b".." || name.contains(&b'/') || name.contains(&0)
    {
        return Err(Error::BadNar(format!(
            "invalid directory entry name '{}' (names must be one non-empty path component)",
            String::from_utf8_lossy(name)
        )));
    }
    Ok(())
}

fn unarchivable(path: &Path, reason: impl Into<String>) -> Error {
    Error::Unarchivable {
        path: path.to_owned(),
        reason: reason.into(),
    }
}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> Error + '_ {
    move |source| Error::Io {
        path: path.to_owned(),
        source,
    }
}

fn read_node(path: &Path, depth: usize) -> Result<NarNode> {
    if depth > MAX_NAR_DEPTH {
        return Err(unarchivable(
            path,
            format!("directories nested deeper than {MAX_NAR_DEPTH}"),
        ));
    }
    let meta = fs::symlink_metadata(path).map_err(io_err(path))?;
    let ft = meta.file_type();
    if ft.is_file() {
        let contents = fs::read(path).map_err(io_err(path))?;
        Ok(NarNode::Regular {
            executable: meta.permissions().mode() & 0o100 != 0,
            contents,
        })
    } else if ft.is_symlink() {
        let target = fs::read_link(path).map_err(io_err(path))?;
        Ok(NarNode::Symlink {
            target: target.as_os_str().as_bytes().to_vec(),
        })
    } else if ft.is_dir() {
        let mut entries = BTreeMap::new();
        for entry in fs::read_dir(path).map_err(io_err(path))? {
            let entry = entry.map_err(io_err(path))?;
            let name = entry.file_name().as_bytes().to_vec();
            entries.insert(name, read_node(&entry.path(), depth + 1)?);
        }
        Ok(NarNode::Directory(entries))
    } else {
        Err(unarchivable(
            path,
            "not a regular file, symlink or directory",
        ))
    }
}

/// Streams the NAR of the file-system object at `path` to `w`, reading files in pieces, so large
/// trees need not fit in memory. Symlinks are archived, not followed.
pub fn dump_path(path: &Path, w: &mut impl Write) -> Result<()> {
    write_str(w, NAR_MAGIC)?;
    dump_object(path, w, 0)
}

/// SHA-256 of the NAR of `path` and the NAR's size, as `nix-hash --type sha256 PATH` and the
/// store's `narHash` compute it.
pub fn nar_hash_path(path: &Path) -> Result<(Hash, u64)> {
    let mut h = Hasher::new(HashAlgo::Sha256);
    dump_path(path, &mut h)?;
    let size = h.len();
    Ok((h.finish(), size))
}

fn dump_object(path: &Path, w: &mut impl Write, depth: usize) -> Result<()> {
    if depth > MAX_NAR_DEPTH {
        return Err(unarchivable(
            path,
            format!("directories nested deeper than {MAX_NAR_DEPTH}"),
        ));
    }
    let meta = fs::symlink_metadata(path).map_err(io_err(path))?;
    let ft = meta.file_type();
    write_str(w, b"(")?;
    write_str(w, b"type")?;
    if ft.is_file() {
        write_str(w, b"regular")?;
        if meta.permissions().mode() & 0o100 != 0 {
            write_str(w, b"executable")?;
            write_str(w, b"")?;
        }
        write_str(w, b"contents")?;
        let mut file = fs::File::open(path).map_err(io_err(path))?;
        let len = file.metadata().map_err(io_err(path))?.len();
        w.write_all(&len.to_le_bytes())?;
        // Copy exactly `len` bytes; a file that changes size while we read it would make the
        // archive lie about its length.
        let copied = io::copy(&mut (&mut file).take(len), w).map_err(io_err(path))?;
        let mut probe = [0u8; 1];
        if copied != len || file.read(&mut probe).map_err(io_err(path))? != 0 {
            return Err(unarchivable(
                path,
                "the file changed size while it was being archived",
            ));
        }
        write_padding(w, len)?;
    } else if ft.is_symlink() {
        write_str(w, b"symlink")?;
        write_str(w, b"target")?;
        let target = fs::read_link(path).map_err(io_err(path))?;
        write_str(w, target.as_os_str().as_bytes())?;
    } else if ft.is_dir() {
        write_str(w, b"directory")?;
        let mut names = Vec::new();
        for entry in fs::read_dir(path).map_err(io_err(path))? {
            names.push(entry.map_err(io_err(path))?.file_name());
        }
        names.sort_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
        for name in names {
            write_str(w, b"entry")?;
            write_str(w, b"(")?;
            write_str(w, b"name")?;
            write_str(w, name.as_bytes())?;
            write_str(w, b"node")?;
            dump_object(&path.join(&name), w, depth + 1)?;
            write_str(w, b")")?;
        }
    } else {
        return Err(unarchivable(
            path,
            "not a regular file, symlink or directory",
        ));
    }
    write_str(w, b")")?;
    Ok(())
}

/// Parses one NAR from `r`, checking the magic, the structure, zero padding, entry names, and that
/// directory entries are strictly sorted (so duplicates are rejected).
pub fn parse_nar(r: &mut impl Read) -> Result<NarNode> {
    let mut p = Parser { r };
    p.expect(NAR_MAGIC, "the magic 'nix-archive-1'")?;
    p.object(0)
}

struct Parser<'a, R> {
    r: &'a mut R,
}

impl<R: Read> Parser<'_, R> {
    fn u64(&mut self) -> Result<u64> {
        let mut b = [0u8; 8];
        self.r.read_exact(&mut b).map_err(eof)?;
        Ok(u64::from_le_bytes(b))
    }

    fn padding(&mut self, len: u64) -> Result<()> {
        let pad = ((8 - len % 8) % 8) as usize;
        let mut b = [0u8; 8];
        self.r.read_exact(&mut b[..pad]).map_err(eof)?;
        if b[..pad].iter().any(|&x| x != 0) {
            return Err(Error::BadNar("non-zero padding".into()));
        }
        Ok(())
    }

    /// A string of at most `max` bytes (contents use `u64::MAX`).
    fn string(&mut self, max: u64) -> Result<Vec<u8>> {
        let len = self.u64()?;
        if len > max {
            return Err(Error::BadNar(format!(
                "string of {len} bytes where at most {max} are allowed"
            )));
        }
        let mut buf = Vec::new();
        // `take` + `read_to_end` grows the buffer as bytes arrive, so a lying length costs no
        // more memory than the input actually has.
        let got = (&mut *self.r).take(len).read_to_end(&mut buf)?;
        if got as u64 != len {
            return Err(Error::BadNar("unexpected end of archive".into()));
        }
        self.padding(len)?;
        Ok(buf)
    }

    fn expect(&mut self, token: &[u8], what: &str) -> Result<()> {
        let s = self.string(64)?;
        if s != token {
            return Err(Error::BadNar(format!(
                "expected {what}, found '{}'",
                String::from_utf8_lossy(&s)
            )));
        }
        Ok(())
    }

    fn object(&mut self, depth: usize) -> Result<NarNode> {
        if depth > MAX_NAR_DEPTH {
            return Err(Error::BadNar(format!(
                "directories nested deeper than {MAX_NAR_DEPTH}"
            )));
        }
        self.expect(b"(", "'('")?;
        self.expect(b"type", "'type'")?;
        let ty = self.string(64)?;
        let node = match ty.as_slice() {
            b"regular" => {
                let mut tag = self.string(64)?;
                let mut executable = false;
                if tag == b"executable" {
                    executable = true;
                    if !self.string(64)?.is_empty() {
                        return Err(Error::BadNar("expected '' after 'executable'".into()));
                    }
                    tag = self.string(64)?;
                }
                if tag != b"contents" {
                    return Err(Error::BadNar(
                        "expected 'contents' in a regular file".into(),
                    ));
                }
                let contents = self.string(u64::MAX)?;
                self.expect(b")", "')' after file contents")?;
                NarNode::Regular {
                    executable,
                    contents,
                }
            }
            b"symlink" => {
                self.expect(b"target", "'target'")?;
                let target = self.string(MAX_NAR_STRING)?;
                self.expect(b")", "')' after a symlink target")?;
                NarNode::Symlink { target }
            }
            b"directory" => {
                let mut entries: BTreeMap<Vec<u8>, NarNode> = BTreeMap::new();
                loop {
                    let tag = self.string(64)?;
                    match tag.as_slice() {
                        b")" => break,
                        b"entry" => {}
                        _ => {
                            return Err(Error::BadNar(format!(
                                "expected 'entry' or ')' in a directory, found '{}'",
                                String::from_utf8_lossy(&tag)
                            )))
                        }
                    }
                    self.expect(b"(", "'(' opening an entry")?;
                    self.expect(b"name", "'name'")?;
                    let name = self.string(MAX_NAR_STRING)?;
                    check_entry_name(&name)?;
                    if let Some((last, _)) = entries.last_key_value() {
                        if *last >= name {
                            return Err(Error::BadNar(format!(
                                "directory entry '{}' is duplicated or out of order",
                                String::from_utf8_lossy(&name)
                            )));
                        }
                    }
                    self.expect(b"node", "'node'")?;
                    let node = self.object(depth + 1)?;
                    self.expect(b")", "')' closing an entry")?;
                    entries.insert(name, node);
                }
                return Ok(NarNode::Directory(entries));
            }
            other => {
                return Err(Error::BadNar(format!(
                    "unknown file type '{}' (expected regular, symlink or directory)",
                    String::from_utf8_lossy(other)
                )))
            }
        };
        Ok(node)
    }
}

fn eof(e: io::Error) -> Error {
    if e.kind() == io::ErrorKind::UnexpectedEof {
        Error::BadNar("unexpected end of archive".into())
    } else {
        Error::Stream(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree() -> NarNode {
        let mut sub = BTreeMap::new();
        sub.insert(
            b"x".to_vec(),
            NarNode::Regular {
                executable: true,
                contents: b"#!/bin/sh\n".to_vec(),
            },
        );
        let mut top = BTreeMap::new();
        top.insert(b"b".to_vec(), NarNode::Directory(sub));
        top.insert(
            b"a".to_vec(),
            NarNode::Symlink {
                target: b"b/x".to_vec(),
            },
        );
        top.insert(
            b"c".to_vec(),
            NarNode::Regular {
                executable: false,
                contents: vec![1, 2, 3],
            },
        );
        NarNode::Directory(top)
    }

    #[test]
    fn round_trip() {
        let t = tree();
        let bytes = t.to_nar_bytes();
        assert_eq!(bytes.len() % 8, 0);
        assert_eq!(NarNode::from_nar_bytes(&bytes).expect("parses"), t);
    }

    #[test]
    fn rejects_malformed() {
        let good = tree().to_nar_bytes();
        // Truncation anywhere is an error, never a panic.
        for cut in 0..good.len() {
            assert!(
                NarNode::from_nar_bytes(&good[..cut]).is_err(),
                "cut at {cut}"
            );
        }
        let mut trailing = good.clone();
        trailing.extend_from_slice(&[0; 8]);
        assert!(NarNode::from_nar_bytes(&trailing).is_err());

        for name in [&b".."[..], b".", b"a/b", b"", b"a\0"] {
            let mut m = BTreeMap::new();
            m.insert(
                name.to_vec(),
                NarNode::Symlink {
                    target: b"t".to_vec(),
                },
            );
            let mut bytes = Vec::new();
            write_str(&mut bytes, NAR_MAGIC).expect("vec");
            // Write by hand: `write_nar` refuses these names too.
            for tok in [
                &b"("[..],
                b"type",
                b"directory",
                b"entry",
                b"(",
                b"name",
                name,
                b"node",
                b"(",
                b"type",
                b"symlink",
                b"target",
                b"t",
                b")",
                b")",
                b")",
            ] {
                write_str(&mut bytes, tok).expect("vec");
            }
            assert!(NarNode::from_nar_bytes(&bytes).is_err());
            assert!(NarNode::Directory(m).write_nar(&mut Vec::new()).is_err());
        }
    }

    #[test]
    fn rejects_duplicate_entries() {
        let mut bytes = Vec::new();
        write_str(&mut bytes, NAR_MAGIC).expect("vec");
        let entry: &[&[u8]] = &[
            b"entry", b"(", b"name", b"a", b"node", b"(", b"type", b"symlink", b"target", b"t",
            b")", b")",
        ];
        for tok in [&b"("[..], b"type", b"directory"]
            .iter()
            .chain(entry)
            .chain(entry)
            .chain([&b")"[..]].iter())
        {
            write_str(&mut bytes, tok).expect("vec");
        }
        let err = NarNode::from_nar_bytes(&bytes).expect_err("duplicate");
        assert!(err.to_string().contains("duplicated"), "{err}");
    }
}
