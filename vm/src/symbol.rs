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

    /// The name of `s` as text (invalid UTF-8 replaced).
    pub fn text(&self, s: Symbol) -> String {
        String::from_utf8_lossy(self.name(s)).into_owned()
    }
}
