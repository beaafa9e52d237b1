//! Interned attribute names: a [`Symbol`] is an index into the VM's symbol table, so comparing
//! and hashing names is comparing integers.

use rustc_hash::FxHashMap;

/// An interned name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Symbol(pub u32);

/// The table of interned names.
#[derive(Default)]
pub struct Symbols {
    names: Vec<Box<[u8]>>,
    /// Each name's first eight bytes, big-endian and zero-padded: names whose keys differ
    /// are ordered as their keys are, so sorting by name rarely reads the names.
    keys: Vec<u64>,
    index: FxHashMap<Box<[u8]>, Symbol>,
}

impl Symbols {
    /// The symbol for `name`, interning it if new.
    pub fn intern(&mut self, name: &[u8]) -> Symbol {
        if let Some(&s) = self.index.get(name) {
            return s;
        }
        let s = Symbol(self.names.len() as u32);
        self.names.push(name.into());
        let mut key = [0u8; 8];
        let n = name.len().min(8);
        key[..n].copy_from_slice(&name[..n]);
        self.keys.push(u64::from_be_bytes(key));
        self.index.insert(name.into(), s);
        s
    }

    /// The symbol for `name` if it was ever interned (a name never interned is in no set).
    pub fn lookup(&self, name: &[u8]) -> Option<Symbol> {
        self.index.get(name).copied()
    }

    /// The name of `s`.
    pub fn name(&self, s: Symbol) -> &[u8] {
        &self.names[s.0 as usize]
    }

    /// Orders two symbols by name (bytewise), as Nix orders attribute names.
    #[inline]
    pub fn cmp(&self, a: Symbol, b: Symbol) -> std::cmp::Ordering {
        let (ka, kb) = (self.keys[a.0 as usize], self.keys[b.0 as usize]);
        if ka != kb {
            // The first differing byte is within the first eight; a name that ends there
            // pads with zero, below any byte but zero, which compares as equal padding.
            return ka.cmp(&kb);
        }
        self.name(a).cmp(self.name(b))
    }

    /// The name of `s` as text (invalid UTF-8 replaced).
    pub fn text(&self, s: Symbol) -> String {
        String::from_utf8_lossy(self.name(s)).into_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symbols_order_as_their_names() {
        let names: [&[u8]; 12] =
            [b"", b"a", b"a\0", b"a\0\0", b"ab", b"abcdefgh", b"abcdefghi", b"abcdefgh\0", b"abcdefgg", b"b", b"\xff", b"A"];
        let mut t = Symbols::default();
        let syms: Vec<Symbol> = names.iter().map(|n| t.intern(n)).collect();
        for (i, &a) in syms.iter().enumerate() {
            for (j, &b) in syms.iter().enumerate() {
                assert_eq!(t.cmp(a, b), names[i].cmp(names[j]), "{:?} vs {:?}", names[i], names[j]);
            }
        }
    }
}
