//! The value model: what a Nix value is at run time. Scalars live in the [`Value`] itself;
//! everything else is an object on the garbage-collected heap ([`crate::gc`]), referred to by a
//! [`Gc`] handle. Values are `Copy`: copying one shares the object, as Nix sharing demands.

use crate::symbol::Symbol;

/// A handle to an object on the heap: its slot's index. Slots are counted in 32 bits (the
/// collector's lists hold `u32`s), but the handle is 64 bits wide so that a [`Value`]'s payload
/// is one eight-byte word for every kind: with a 32-bit handle the compiler kept the payload
/// as two 4-byte halves in the run loop and stored them separately, and the next 8-byte read
/// of an integer straddled both stores and waited for them to reach the cache (fib −6 %,
/// deeprec −9 %).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Gc(pub(crate) u64);

/// A Nix value: 16 bytes, the kind in the first eight and the payload in the second.
///
/// `repr(u64)` places every payload (a flag, a handle, a number) at offset 8. With the default
/// layout a `bool` sat at offset 1 and a handle at offset 4, so the compiler copied a value as
/// two overlapping 8-byte moves at offsets 1 and 8, and the next read of the kind or a handle
/// straddled two stores and waited for both to reach the cache (a failed store forward) at
/// every push, pop and slot read. Aligned, a copy is two aligned moves and each read is inside
/// one store: minipkgs 10 % and deeprec 12 % faster, with 2.7 % and 4.7 % fewer instructions.
/// The kind keeps its invalid values as a niche, so `Option<Value>` is still 16 bytes.
#[derive(Clone, Copy, Debug)]
#[repr(u64)]
pub enum Value {
    /// `null`
    Null,
    /// `true` / `false`
    Bool(bool),
    /// A 64-bit integer.
    Int(i64),
    /// A double.
    Float(f64),
    /// A string with context ([`NixStr`]).
    String(Gc),
    /// An absolute path ([`NixStr`] without context).
    Path(Gc),
    /// A list (`Box<[Value]>`).
    List(Gc),
    /// An attribute set ([`Attrs`]).
    Attrs(Gc),
    /// A lambda with its captured upvalues ([`Closure`]).
    Lambda(Gc),
    /// A builtin function, by index in the builtin table.
    Builtin(u32),
    /// A builtin applied to fewer arguments than it takes ([`PrimApp`]).
    PrimApp(Gc),
    /// A suspended computation ([`Thunk`]).
    Thunk(Gc),
}

impl Value {
    /// The type name that `builtins.typeOf` gives (thunks must be forced first).
    pub fn type_of(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "bool",
            Value::Int(_) => "int",
            Value::Float(_) => "float",
            Value::String(_) => "string",
            Value::Path(_) => "path",
            Value::List(_) => "list",
            Value::Attrs(_) => "set",
            Value::Lambda(_) | Value::Builtin(_) | Value::PrimApp(_) => "lambda",
            Value::Thunk(_) => "thunk",
        }
    }

    /// The type as error messages name it ("an integer", "a set", ...).
    pub fn show_type(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "a Boolean",
            Value::Int(_) => "an integer",
            Value::Float(_) => "a float",
            Value::String(_) => "a string",
            Value::Path(_) => "a path",
            Value::List(_) => "a list",
            Value::Attrs(_) => "a set",
            Value::Lambda(_) => "a function",
            Value::Builtin(_) => "a built-in function",
            Value::PrimApp(_) => "a partially applied built-in function",
            Value::Thunk(_) => "a thunk",
        }
    }

    /// Whether this is a function of any kind (sets with `__functor` aside).
    pub fn is_function(&self) -> bool {
        matches!(self, Value::Lambda(_) | Value::Builtin(_) | Value::PrimApp(_))
    }

    /// Whether this is a scalar, a string or a path: a value compared by what it holds, with
    /// nothing to force or recurse into.
    #[inline(always)]
    pub fn is_leaf(&self) -> bool {
        matches!(
            self,
            Value::Null | Value::Bool(_) | Value::Int(_) | Value::Float(_) | Value::String(_) | Value::Path(_)
        )
    }
}

/// A string: bytes (Nix strings need not be UTF-8) and the store paths it depends on.
#[derive(Clone, Debug, Default)]
pub struct NixStr {
    /// The contents.
    pub bytes: Box<[u8]>,
    /// The string context, sorted and without duplicates (empty for most strings).
    pub context: Box<[Box<str>]>,
}

/// A string's context: store paths (`/nix/store/…`), derivations with all outputs
/// (`=/nix/store/….drv`) and single outputs (`!out!/nix/store/….drv`).
pub type Context = Vec<Box<str>>;

/// An attribute set: entries sorted by symbol index (not by name; see [`crate::Vm::sorted_attrs`]
/// for Nix's order).
#[derive(Clone, Debug, Default)]
pub struct Attrs {
    /// The entries, sorted by `Symbol` and unique.
    pub entries: Vec<(Symbol, Value)>,
    /// Where attributes were defined, sorted by `Symbol` (shared by every set made by the same
    /// expression); sets made by builtins and `//` have none.
    pub positions: Option<AttrPositions>,
}

/// Positions of a set literal's attributes, sorted by `Symbol`.
pub type AttrPositions = std::rc::Rc<Box<[(Symbol, crate::error::Pos)]>>;

impl Attrs {
    /// Where `name` was defined, if known.
    pub fn position(&self, name: Symbol) -> Option<crate::error::Pos> {
        let positions = self.positions.as_ref()?;
        positions.binary_search_by_key(&name, |e| e.0).ok().map(|i| positions[i].1)
    }

    /// The value of `name`, if present.
    pub fn get(&self, name: Symbol) -> Option<Value> {
        self.entries.binary_search_by_key(&name, |e| e.0).ok().map(|i| self.entries[i].1)
    }

    /// The value of `name`, looked for first at index `hint` and, if it is elsewhere, by binary
    /// search, which then leaves its index in `hint`. A selection site mostly sees sets of the
    /// same names, so one comparison usually replaces a search that misses the cache at most
    /// of its steps.
    #[inline]
    pub fn get_hinted(&self, name: Symbol, hint: &std::cell::Cell<u32>) -> Option<Value> {
        if let Some(&(n, v)) = self.entries.get(hint.get() as usize) {
            if n == name {
                return Some(v);
            }
        }
        let i = self.entries.binary_search_by_key(&name, |e| e.0).ok()?;
        hint.set(i as u32);
        Some(self.entries[i].1)
    }

    /// The value of `name` for a selection by a computed name: like [`Attrs::get_hinted`],
    /// but the hint is left at the next index, since such a site mostly walks a set's names in
    /// order (`map (n: s.${n}) (attrNames s)`).
    #[inline]
    pub fn get_hinted_next(&self, name: Symbol, hint: &std::cell::Cell<u32>) -> Option<Value> {
        let h = hint.get() as usize;
        let i = match self.entries.get(h) {
            Some(&(n, _)) if n == name => h,
            _ => self.entries.binary_search_by_key(&name, |e| e.0).ok()?,
        };
        hint.set(i as u32 + 1);
        Some(self.entries[i].1)
    }

    /// Builds from unsorted entries; for duplicate names the first one wins.
    pub fn from_unsorted(mut entries: Vec<(Symbol, Value)>) -> Attrs {
        entries.sort_by_key(|e| e.0);
        entries.dedup_by_key(|e| e.0);
        Attrs { entries, positions: None }
    }
}

/// Where a prototype's code is: an index into the VM's table of prototypes of every loaded file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CodeRef(pub u32);

/// Captured variables: one stays inline (most closures and thunks capture few).
pub type Upvalues = smallvec::SmallVec<[Value; 1]>;

/// The values a thunk captured: up to two in place, more in a block of their own.
///
/// Thunks are the most numerous objects, and more than half of those that capture more than
/// one value capture exactly two. This type holds two values in 32 bytes with no tag of its
/// own, so that a thunk with two captures still fits in a heap slot and needs no allocation:
/// the kind word of the first value tells the forms apart, since no value's kind is one of the
/// two marks a block and the empty form write there. In place, an unused second value is
/// `null` (compiled code never reads past its prototype's captures).
pub struct ThunkUpvalues(Words);

#[derive(Clone, Copy)]
#[repr(C)]
union Words {
    inline: [Value; 2],
    block: Block,
}

/// The other forms of [`ThunkUpvalues`]: `mark` overlays the first value's kind word.
#[derive(Clone, Copy)]
#[repr(C)]
struct Block {
    mark: u64,
    ptr: *mut Value,
    len: usize,
    unused: u64,
}

/// The mark of a block of more than two values (owned: `ptr` and `len` of a boxed slice).
const SPILLED: u64 = u64::MAX;
/// The mark of no values (a thunk made late, before its captures).
const NONE: u64 = u64::MAX - 1;

impl ThunkUpvalues {
    /// No values: a thunk whose code captures nothing, or one made before its captures.
    #[inline(always)]
    pub const fn none() -> Self {
        ThunkUpvalues(Words { block: Block { mark: NONE, ptr: std::ptr::null_mut(), len: 0, unused: 0 } })
    }

    /// `n` values, the `i`th read by `read(i)` in order.
    #[inline(always)]
    pub fn from_fn(n: usize, mut read: impl FnMut(usize) -> Value) -> Self {
        match n {
            0 => Self::none(),
            1 => ThunkUpvalues(Words { inline: [read(0), Value::Null] }),
            2 => ThunkUpvalues(Words { inline: [read(0), read(1)] }),
            _ => Self::block((0..n).map(read).collect()),
        }
    }

    #[inline(never)]
    fn block(values: Box<[Value]>) -> Self {
        let len = values.len();
        let ptr = Box::into_raw(values).cast::<Value>();
        ThunkUpvalues(Words { block: Block { mark: SPILLED, ptr, len, unused: 0 } })
    }

    /// The first value's kind word, or a mark.
    #[inline(always)]
    fn mark(&self) -> u64 {
        // SAFETY: both forms start with an initialised `u64`: a value's kind (`Value` is
        // `repr(u64)`, so its kind is its first word) or a mark.
        unsafe { self.0.block.mark }
    }

    /// Whether the values are in a block of their own (memory the thunk owns).
    #[inline(always)]
    pub fn spilled(&self) -> bool {
        self.mark() == SPILLED
    }

    /// Whether there are no values (see [`ThunkUpvalues::none`]).
    #[inline(always)]
    pub fn is_none(&self) -> bool {
        self.mark() == NONE
    }

    /// The values: those in a block, none, or the two in place (the second `null` if unused).
    #[inline(always)]
    pub fn as_slice(&self) -> &[Value] {
        match self.mark() {
            // SAFETY: a block's `ptr` and `len` are those of the boxed slice it owns.
            SPILLED => unsafe { std::slice::from_raw_parts(self.0.block.ptr, self.0.block.len) },
            NONE => &[],
            // SAFETY: any other first word is a value's kind: the form in place.
            _ => unsafe { &self.0.inline },
        }
    }

    /// The values, mutably.
    #[inline]
    pub fn as_mut_slice(&mut self) -> &mut [Value] {
        match self.mark() {
            // SAFETY: as in `as_slice`; `&mut self` makes the access unique.
            SPILLED => unsafe { std::slice::from_raw_parts_mut(self.0.block.ptr, self.0.block.len) },
            NONE => &mut [],
            // SAFETY: as in `as_slice`.
            _ => unsafe { &mut self.0.inline },
        }
    }

    /// Sets the values to `captured`'s. Values already captured are overwritten where they
    /// are, never moved or freed, so that a frame's view of them stays valid.
    pub fn refill(&mut self, captured: ThunkUpvalues) {
        if self.as_slice().len() == captured.as_slice().len() {
            self.as_mut_slice().copy_from_slice(captured.as_slice());
        } else {
            *self = captured;
        }
    }

    /// The values held outside the thunk's slot.
    #[inline(always)]
    pub fn owned_len(&self) -> usize {
        if self.spilled() {
            // SAFETY: a block's fields are initialised.
            unsafe { self.0.block.len }
        } else {
            0
        }
    }
}

impl Drop for ThunkUpvalues {
    fn drop(&mut self) {
        if self.spilled() {
            // SAFETY: a block owns the boxed slice its `ptr` and `len` came from, and is
            // dropped once.
            unsafe {
                let Block { ptr, len, .. } = self.0.block;
                drop(Box::from_raw(std::ptr::slice_from_raw_parts_mut(ptr, len)));
            }
        }
    }
}

impl Clone for ThunkUpvalues {
    fn clone(&self) -> Self {
        if self.spilled() {
            Self::block(self.as_slice().into())
        } else {
            ThunkUpvalues(self.0)
        }
    }
}

impl std::fmt::Debug for ThunkUpvalues {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.as_slice()).finish()
    }
}

/// A lambda: its code and captured variables.
#[derive(Clone, Debug)]
pub struct Closure {
    /// The code.
    pub code: CodeRef,
    /// Whether the lambda has been forced. The reference makes a thunk for a lambda written
    /// where a lazy value goes (an attribute, a list element, a binding, an argument), so such
    /// a lambda prints as a thunk (`<CODE>`, `«thunk»`) until something forces it; lixc makes
    /// the closure at once and keeps this flag instead. Set by every force and call.
    pub forced: std::cell::Cell<bool>,
    /// The prototype's `keeps_arg` (`lix_compiler::Proto::keeps_arg`), kept here for the
    /// speculation check before a call.
    pub keeps_arg: bool,
    /// Captured values, in the prototype's capture order. Empty until captured for closures
    /// created late in a recursive scope.
    pub upvalues: Upvalues,
}

/// A suspended computation and, once forced, its value.
///
/// A thunk not yet evaluated knows whether it is being forced (forcing it again is infinite
/// recursion): the flag sits in the padding after the state's tag, so it costs no space, and
/// reading or setting it touches the slot that forcing reads anyway.
#[derive(Clone, Debug)]
pub struct Thunk {
    /// What the thunk is.
    pub state: ThunkState,
}

/// The states of a thunk.
#[derive(Clone, Debug)]
pub enum ThunkState {
    /// Code to run with captured upvalues.
    Code {
        /// The code.
        code: CodeRef,
        /// Captured values (none until captured, for late thunks).
        upvalues: ThunkUpvalues,
        /// Being forced (see [`Thunk`]).
        forcing: bool,
    },
    /// `f arg`, made by builtins such as `map`.
    Apply {
        /// The function.
        f: Value,
        /// The argument.
        arg: Value,
        /// Being forced.
        forcing: bool,
    },
    /// `f name arg`, with `name` a symbol's string: `mapAttrs` (one thunk per attribute
    /// instead of two).
    ApplyNamed {
        /// The function.
        f: Value,
        /// The first argument, as a symbol.
        name: Symbol,
        /// The second argument.
        arg: Value,
        /// Being forced.
        forcing: bool,
    },
    /// Forced: the value in weak head normal form.
    Done(Value),
    /// Forcing failed: forcing again fails the same way, without evaluating anything.
    Failed(Box<crate::error::EvalError>),
}

impl ThunkState {
    /// The "being forced" flag of a thunk not yet evaluated (see [`Thunk`]); `None` once it
    /// has a value or an error.
    #[inline(always)]
    pub fn forcing_mut(&mut self) -> Option<&mut bool> {
        match self {
            ThunkState::Code { forcing, .. } | ThunkState::Apply { forcing, .. } | ThunkState::ApplyNamed { forcing, .. } => {
                Some(forcing)
            }
            ThunkState::Done(_) | ThunkState::Failed(_) => None,
        }
    }

    /// Whether the thunk is being forced.
    #[inline(always)]
    pub fn forcing(&self) -> bool {
        matches!(
            self,
            ThunkState::Code { forcing: true, .. }
                | ThunkState::Apply { forcing: true, .. }
                | ThunkState::ApplyNamed { forcing: true, .. }
        )
    }
}

/// A builtin waiting for more arguments.
#[derive(Clone, Debug)]
pub struct PrimApp {
    /// The builtin's index.
    pub builtin: u32,
    /// The arguments so far.
    pub args: Box<[Value]>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    fn int(v: Option<Value>) -> Option<i64> {
        match v {
            Some(Value::Int(i)) => Some(i),
            _ => None,
        }
    }

    #[test]
    fn thunk_upvalues_hold_two_in_place_and_more_in_a_block() {
        assert_eq!(std::mem::size_of::<ThunkUpvalues>(), 32);
        assert_eq!(std::mem::size_of::<ThunkState>(), 40);
        let ints = |u: &ThunkUpvalues| u.as_slice().iter().map(|v| int(Some(*v))).collect::<Vec<_>>();
        let none = ThunkUpvalues::from_fn(0, |_| unreachable!());
        assert!(none.is_none() && !none.spilled() && none.as_slice().is_empty());
        // Every kind of value may come first: none is taken for a mark.
        let kinds = [
            Value::Null,
            Value::Bool(true),
            Value::Int(-1),
            Value::Float(0.5),
            Value::String(Gc(u64::MAX)),
            Value::Builtin(u32::MAX),
            Value::Thunk(Gc(3)),
        ];
        for v in kinds {
            let one = ThunkUpvalues::from_fn(1, |_| v);
            assert!(!one.is_none() && !one.spilled() && one.owned_len() == 0);
            assert_eq!(format!("{:?}", one.as_slice()), format!("{:?}", [v, Value::Null]));
        }
        let mut two = ThunkUpvalues::from_fn(2, |i| Value::Int(i as i64 + 1));
        assert_eq!((ints(&two), two.owned_len()), (vec![Some(1), Some(2)], 0));
        two.as_mut_slice()[1] = Value::Int(5);
        assert_eq!(ints(&two.clone()), vec![Some(1), Some(5)]);
        let mut five = ThunkUpvalues::from_fn(5, |i| Value::Int(i as i64));
        assert!(five.spilled() && five.owned_len() == 5);
        five.as_mut_slice()[4] = Value::Int(9);
        let copy = five.clone();
        drop(five);
        assert_eq!(ints(&copy), vec![Some(0), Some(1), Some(2), Some(3), Some(9)]);
        // A late capture fills a thunk made with none; capturing again overwrites the values
        // where they are (a running frame may be reading them), in place or in a block.
        for n in [1, 2, 4] {
            let mut late = ThunkUpvalues::none();
            late.refill(ThunkUpvalues::from_fn(n, |i| Value::Int(i as i64)));
            assert_eq!(ints(&late)[..n], (0..n as i64).map(Some).collect::<Vec<_>>()[..]);
            let at = late.as_slice().as_ptr();
            late.refill(ThunkUpvalues::from_fn(n, |i| Value::Int(10 + i as i64)));
            assert_eq!((int(Some(late.as_slice()[0])), late.as_slice().as_ptr()), (Some(10), at));
        }
    }

    #[test]
    fn values_are_two_aligned_words() {
        assert_eq!(std::mem::size_of::<Value>(), 16);
        assert_eq!(std::mem::size_of::<Option<Value>>(), 16);
        // The payload of every kind starts at the second word (only its own bytes are read:
        // the rest of the word is padding).
        fn at8<T: Copy>(v: &Value) -> T {
            unsafe { ((v as *const Value as *const u8).add(8) as *const T).read_unaligned() }
        }
        assert!(at8::<bool>(&Value::Bool(true)));
        assert_eq!(at8::<u64>(&Value::String(Gc(7))), 7);
        assert_eq!(at8::<u64>(&Value::Thunk(Gc(8))), 8);
        assert_eq!(at8::<u32>(&Value::Builtin(9)), 9);
        assert_eq!(at8::<i64>(&Value::Int(-2)), -2);
    }

    #[test]
    fn hinted_lookup_finds_every_name_whatever_the_hint_says() {
        let entries = (0..40u32).map(|i| (Symbol(i * 2), Value::Int(i as i64))).collect();
        let attrs = Attrs::from_unsorted(entries);
        let hint = Cell::new(0);
        for i in 0..40u32 {
            // A wrong hint is corrected, a right one is kept.
            assert_eq!(int(attrs.get_hinted(Symbol(i * 2), &hint)), Some(i as i64));
            assert_eq!(hint.get(), i);
            assert_eq!(int(attrs.get_hinted(Symbol(i * 2), &hint)), Some(i as i64));
        }
        // An absent name leaves the hint alone; a hint past the end is harmless.
        assert!(attrs.get_hinted(Symbol(5), &hint).is_none());
        assert_eq!(hint.get(), 39);
        hint.set(1000);
        assert_eq!(int(attrs.get_hinted(Symbol(4), &hint)), Some(2));
        // Walking the names in order, each is where the hint says.
        let hint = Cell::new(0);
        for i in 0..40u32 {
            assert_eq!(int(attrs.get_hinted_next(Symbol(i * 2), &hint)), Some(i as i64));
            assert_eq!(hint.get(), i + 1);
        }
        assert_eq!(int(attrs.get_hinted_next(Symbol(2), &hint)), Some(1));
        assert!(attrs.get_hinted_next(Symbol(3), &hint).is_none());
        let empty = Attrs::from_unsorted(Vec::new());
        assert!(empty.get_hinted(Symbol(4), &hint).is_none());
    }
}
