//! The interpreter: the value stack, call frames and the run loop.
//!
//! Calls of lambdas and forcing of thunks push frames on an explicit frame stack instead of
//! recursing in Rust, so deep Nix recursion is bounded by [`EvalConfig::max_call_depth`], not by
//! the native stack. Native code (builtins, equality, printing) re-enters the loop through
//! [`Vm::force`] and [`Vm::call`]; those nested runs grow the native stack on demand.

use std::cell::Cell;
use std::rc::Rc;

use lix_compiler::{ArgCheck, ImmediateDefault, Op, ProtoKind, Slot, SpecOp};
use lix_syntax::TextRange;
use rustc_hash::FxHashMap;

use crate::builtins::{self, BuiltinDef};
use crate::error::{ErrorKind, EvalError, EvalResult, Pos, TraceEntry};
use crate::gc::{Heap, Obj};
use crate::io::EvalIO;
use crate::loader::{LoadedFile, Loader};
use crate::symbol::{Symbol, Symbols};
use crate::value::{Attrs, Closure, CodeRef, Gc, NixStr, PrimApp, ThunkState, ThunkUpvalues, Upvalues, Value};

/// Settings of one evaluation.
#[derive(Clone, Debug)]
pub struct EvalConfig {
    /// Deepest nesting of calls and thunk forcing before "stack overflow".
    pub max_call_depth: usize,
    /// `-I` and `NIX_PATH` entries: (prefix, path); an empty prefix matches every lookup.
    pub nix_path: Vec<(String, String)>,
    /// The edition of files that say nothing about theirs.
    pub default_edition: lix_editions::Edition,
    /// `builtins.currentSystem`.
    pub current_system: String,
    /// The literal lints of the reference's command line.
    pub lints: crate::lint::Lints,
    /// Experimental features of the reference that are turned on (`parse-toml-timestamps`).
    pub experimental_features: Vec<String>,
}

impl Default for EvalConfig {
    fn default() -> Self {
        EvalConfig {
            max_call_depth: 100_000,
            nix_path: Vec::new(),
            default_edition: lix_editions::Edition::E2024,
            current_system: "x86_64-linux".into(),
            lints: crate::lint::Lints::default(),
            experimental_features: Vec::new(),
        }
    }
}

/// Counters for `LIXC_SHOW_STATS`.
#[derive(Clone, Debug, Default)]
pub struct VmStats {
    /// Lambda calls.
    pub calls: u64,
    /// Builtin calls.
    pub builtin_calls: u64,
    /// Deepest frame stack.
    pub max_depth: usize,
}

/// A prototype ready to run.
pub(crate) struct RtProto {
    pub code: Box<[Op]>,
    pub spans: Box<[TextRange]>,
    pub slots: u32,
    pub captures: Box<[Slot]>,
    pub kind: ProtoKind,
    pub file: u32,
    /// Index of the file's first prototype in the VM's table.
    pub file_base: u32,
    pub span: TextRange,
    /// For `x: y: body`-shaped lambdas (whose body only makes another lambda): the inner
    /// prototype, so a call can make the inner closure without pushing a frame.
    pub curried: Option<u32>,
    /// For `a: b: a < b` (`Some(false)`) and `a: b: b < a` (`Some(true)`): `sort` compares
    /// with `<` itself instead of calling the lambda.
    pub comparator: Option<bool>,
    /// [`lix_compiler::Proto::keeps_arg`].
    pub keeps_arg: bool,
    /// [`lix_compiler::Proto::contexts`].
    pub contexts: Box<[lix_compiler::ContextRegion]>,
    /// One per op: where the attribute that the op at that index selects by a constant name
    /// was found last time ([`Attrs::get_hinted`]). A site mostly sees sets of one shape.
    pub hints: Box<[Cell<u32>]>,
}

/// A prototype of [`Vm::protos`], by address: frames hold these instead of counted
/// references, which made every call and return adjust a reference count.
///
/// Sound because prototypes are never removed or changed once loaded: the table only grows,
/// each prototype has an `Rc` allocation of its own that growing the table does not move, and
/// `ProtoRef`s are kept only in frames and locals of the VM that owns the table.
#[derive(Clone, Copy)]
pub(crate) struct ProtoRef(std::ptr::NonNull<RtProto>);

impl ProtoRef {
    fn new(p: &Rc<RtProto>) -> ProtoRef {
        ProtoRef(std::ptr::NonNull::from(&**p))
    }
}

impl std::ops::Deref for ProtoRef {
    type Target = RtProto;

    #[inline(always)]
    fn deref(&self) -> &RtProto {
        // SAFETY: see the type's documentation: the prototype outlives every `ProtoRef` to it.
        unsafe { self.0.as_ref() }
    }
}

/// The upvalues of a frame, by address: found once when the frame is pushed instead of
/// through its closure or thunk at every read.
///
/// Sound while the frame is on the stack: the frame roots its closure or thunk, whose slot
/// never moves and is not freed while reachable; the upvalues are in that slot or in an
/// allocation the closure or thunk owns, and nothing replaces them while the frame exists
/// (late captures fill a closure or thunk before anything can call or force it; a thunk's
/// value replaces them only when its frame returns).
#[derive(Clone, Copy)]
struct UpvalueView {
    ptr: *const Value,
    len: usize,
}

impl UpvalueView {
    #[inline(always)]
    fn new(values: &[Value]) -> UpvalueView {
        UpvalueView { ptr: values.as_ptr(), len: values.len() }
    }

    /// Upvalue `n` (`null` past the end, which compiled code never reads).
    #[inline(always)]
    fn get(self, n: u32) -> Value {
        if (n as usize) < self.len {
            // SAFETY: in bounds, and valid while the frame exists (see the type's documentation).
            unsafe { *self.ptr.add(n as usize) }
        } else {
            Value::Null
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum OnReturn {
    Nothing,
    Update(Gc),
    /// A fused call's frame: gives its upvalues back to [`Vm::fused`] down to this mark.
    Release(u32),
    /// Both: a fused call that computes a thunk's value (`mapAttrs`'s `f name value`).
    UpdateRelease(Gc, u32),
}

impl OnReturn {
    /// The thunk that gets the frame's value, if any.
    #[inline(always)]
    fn thunk(self) -> Option<Gc> {
        match self {
            OnReturn::Update(t) | OnReturn::UpdateRelease(t, _) => Some(t),
            OnReturn::Nothing | OnReturn::Release(_) => None,
        }
    }

    /// The mark of [`Vm::fused`] to give the frame's upvalues back to, if any.
    #[inline(always)]
    fn mark(self) -> Option<u32> {
        match self {
            OnReturn::Release(mark) | OnReturn::UpdateRelease(_, mark) => Some(mark),
            OnReturn::Nothing | OnReturn::Update(_) => None,
        }
    }
}

struct Frame {
    proto: ProtoRef,
    ip: u32,
    base: u32,
    /// The closure or thunk whose upvalues the code reads (none for a fused call, whose
    /// upvalues are in [`Vm::fused`]).
    env: Option<Gc>,
    /// Its upvalues.
    up: UpvalueView,
    on_return: OnReturn,
}

/// Symbols the VM itself needs.
pub(crate) struct Syms {
    pub functor: Symbol,
    pub out_path: Symbol,
    pub to_string: Symbol,
    pub type_: Symbol,
    pub file: Symbol,
    pub line: Symbol,
    pub column: Symbol,
    pub name: Symbol,
    pub value: Symbol,
    pub success: Symbol,
    pub right: Symbol,
    pub wrong: Symbol,
}

/// Entries of [`StringMemo::interned`].
const INTERNED: usize = 256;

/// What the VM has learnt about particular string objects, by handle. Valid until the next
/// collection, which may free a string and give its slot to another: `Vm::collect` forgets
/// all of it at once, so a memo of this kind belongs here and nowhere else.
pub(crate) struct StringMemo {
    /// The last string found to be a derivation's `type` ([`Vm::is_derivation`]): sets made
    /// by one expression share their constant's string, so equality and printing of many
    /// derivations read it once.
    pub(crate) derivation_type: Option<Gc>,
    /// Strings interned lately ([`Vm::intern_str`]), by handle (slot + 1, so that 0 is empty)
    /// at slot modulo [`INTERNED`].
    interned: Box<[(u32, Symbol); INTERNED]>,
}

impl StringMemo {
    fn new() -> StringMemo {
        StringMemo { derivation_type: None, interned: Box::new([(0, Symbol(0)); INTERNED]) }
    }

    /// Forgets everything (at a collection).
    fn forget(&mut self) {
        self.derivation_type = None;
        self.interned.fill((0, Symbol(0)));
    }
}

/// The virtual machine: heap, stacks, loaded files and builtins.
pub struct Vm {
    /// The heap.
    pub heap: Heap,
    /// Interned names.
    pub symbols: Symbols,
    pub(crate) stack: Vec<Value>,
    frames: Vec<Frame>,
    /// Values held by native code across calls back into the VM.
    pub(crate) roots: Vec<Value>,
    pub(crate) files: Vec<LoadedFile>,
    pub(crate) loader: Loader,
    pub(crate) protos: Vec<Rc<RtProto>>,
    /// Permanent objects (constants of loaded files, the builtins set).
    pub(crate) permanent: Vec<Gc>,
    pub(crate) globals: FxHashMap<Symbol, Value>,
    /// What files of edition 2026 see in place of (or besides) `globals`: their `builtins` set
    /// (`langVersion` 7), `__langVersion` and `dbg`.
    pub(crate) globals_2026: FxHashMap<Symbol, Value>,
    pub(crate) builtins: &'static [BuiltinDef],
    pub(crate) import_cache: FxHashMap<String, Value>,
    pub(crate) syms: Syms,
    pub(crate) empty_list: Gc,
    pub(crate) empty_attrs: Gc,
    /// Each symbol's name as a string value, made on first use and kept (in `permanent`):
    /// `attrNames`, `mapAttrs` and the like hand out names without copying them.
    symbol_strings: Vec<Option<Gc>>,
    /// What is known of particular strings until the next collection.
    pub(crate) memo: StringMemo,
    /// The attributes of `builtins.functionArgs` of each lambda prototype with a pattern, by
    /// code index, worked out on first use (`callPackage` asks once per package). Only
    /// Booleans: no roots. Each call still makes a set of its own, since printing tells shared
    /// sets apart (`«repeated»`).
    pub(crate) function_args: FxHashMap<u32, Attrs>,
    /// I/O.
    pub io: Box<dyn EvalIO>,
    /// Settings.
    pub config: EvalConfig,
    /// Counters.
    pub stats: VmStats,
    /// Warnings found while loading files (lints) and evaluating, for the front end to print.
    pub warnings: Vec<crate::Warning>,
    /// The edition each directory's `lix.toml` names (or none), as found.
    pub(crate) edition_by_dir: FxHashMap<String, Option<lix_editions::Edition>>,
    /// Call levels that are not frames: the containers a deep force (`deepSeq`, `--strict`)
    /// is inside of, counted against `max_call_depth` as the reference counts them.
    pub(crate) extra_depth: usize,
    /// The positions of the most recently added dynamic attributes.
    dynamic_attr_pos: std::collections::VecDeque<(Gc, Symbol, Pos)>,
    /// The thunk whose re-entry raised the "infinite recursion" error being unwound: its
    /// frame is where the recursion was entered.
    recursion_entry: Option<Gc>,
    /// The upvalues of fused calls' frames ([`Vm::enter_fused`]).
    fused: crate::upvalue_stack::UpvalueStack,
}

/// How many dynamic attribute positions are kept (duplicates are found among recent ones).
const DYNAMIC_POSITIONS_KEPT: usize = 256;

impl Vm {
    /// A VM with the builtins loaded.
    pub fn new(io: Box<dyn EvalIO>, config: EvalConfig) -> Vm {
        let mut symbols = Symbols::default();
        let syms = Syms {
            functor: symbols.intern(b"__functor"),
            out_path: symbols.intern(b"outPath"),
            to_string: symbols.intern(b"__toString"),
            type_: symbols.intern(b"type"),
            file: symbols.intern(b"file"),
            line: symbols.intern(b"line"),
            column: symbols.intern(b"column"),
            name: symbols.intern(b"name"),
            value: symbols.intern(b"value"),
            success: symbols.intern(b"success"),
            right: symbols.intern(b"right"),
            wrong: symbols.intern(b"wrong"),
        };
        let mut heap = Heap::default();
        let empty_list = heap.alloc_list(Box::new([]));
        let empty_attrs = heap.alloc_attrs(Attrs::default());
        let mut vm = Vm {
            heap,
            symbols,
            stack: Vec::with_capacity(1024),
            frames: Vec::with_capacity(256),
            roots: Vec::new(),
            files: Vec::new(),
            loader: Loader::default(),
            protos: Vec::new(),
            permanent: vec![empty_list, empty_attrs],
            globals: FxHashMap::default(),
            globals_2026: FxHashMap::default(),
            builtins: builtins::TABLE,
            import_cache: FxHashMap::default(),
            syms,
            empty_list,
            empty_attrs,
            symbol_strings: Vec::new(),
            memo: StringMemo::new(),
            function_args: FxHashMap::default(),
            io,
            config,
            stats: VmStats::default(),
            warnings: Vec::new(),
            extra_depth: 0,
            dynamic_attr_pos: std::collections::VecDeque::new(),
            recursion_entry: None,
            fused: Default::default(),
            edition_by_dir: FxHashMap::default(),
        };
        builtins::install(&mut vm);
        vm
    }

    // ----- small helpers used everywhere -----

    /// A new string value without context.
    pub fn new_string(&mut self, bytes: impl Into<Box<[u8]>>) -> Value {
        Value::String(self.heap.alloc_str(NixStr { bytes: bytes.into(), context: Box::new([]) }))
    }

    /// The name of `s` as a string value (shared: strings are immutable).
    pub fn symbol_string(&mut self, s: Symbol) -> Value {
        let i = s.0 as usize;
        if let Some(Some(g)) = self.symbol_strings.get(i) {
            return Value::String(*g);
        }
        let bytes: Box<[u8]> = self.symbols.name(s).into();
        let g = self.heap.alloc_str(NixStr { bytes, context: Box::new([]) });
        if self.symbol_strings.len() <= i {
            self.symbol_strings.resize(i + 1, None);
        }
        self.symbol_strings[i] = Some(g);
        self.permanent.push(g);
        Value::String(g)
    }

    /// A new string value with context.
    pub fn new_string_ctx(&mut self, bytes: impl Into<Box<[u8]>>, context: Vec<Box<str>>) -> Value {
        Value::String(self.heap.alloc_str(NixStr { bytes: bytes.into(), context: context.into_boxed_slice() }))
    }

    /// A new path value.
    pub fn new_path(&mut self, path: impl Into<Box<[u8]>>) -> Value {
        Value::Path(self.heap.alloc_str(NixStr { bytes: path.into(), context: Box::new([]) }))
    }

    /// A new list value.
    pub fn new_list(&mut self, items: Vec<Value>) -> Value {
        if items.is_empty() {
            return Value::List(self.empty_list);
        }
        Value::List(self.heap.alloc_list(items.into_boxed_slice()))
    }

    /// A new set value.
    pub fn new_attrs(&mut self, attrs: Attrs) -> Value {
        if attrs.entries.is_empty() {
            return Value::Attrs(self.empty_attrs);
        }
        Value::Attrs(self.heap.alloc_attrs(attrs))
    }

    /// A lazy `f arg`.
    pub fn new_apply(&mut self, f: Value, arg: Value) -> Value {
        Value::Thunk(self.heap.alloc_thunk(ThunkState::Apply { f, arg, forcing: false }))
    }

    /// Interns a name.
    pub fn intern(&mut self, name: &[u8]) -> Symbol {
        self.symbols.intern(name)
    }

    /// The symbol of string `g`'s bytes (interned straight from the heap, without a copy).
    pub fn intern_str(&mut self, g: Gc) -> Symbol {
        // `set.${name}` over `attrNames` interns the same string objects again and again
        // (`attrNames` hands out one string per name): those are found by handle.
        let (i, key) = (g.0 as usize % INTERNED, (g.0 as u32).wrapping_add(1));
        match self.memo.interned[i] {
            (k, sym) if k == key => sym,
            _ => {
                let sym = self.symbols.intern(&self.heap.str(g).bytes);
                self.memo.interned[i] = (key, sym);
                sym
            }
        }
    }

    /// Roots `v` until [`Vm::unroot`] to the returned mark (for native code that calls back
    /// into the VM while holding values).
    pub fn root(&mut self, v: Value) -> usize {
        self.roots.push(v);
        self.roots.len() - 1
    }

    /// Drops the roots from `mark` on.
    pub fn unroot(&mut self, mark: usize) {
        self.roots.truncate(mark);
    }

    /// The entries of a set in Nix's order (by name).
    pub fn sorted_attrs(&self, g: Gc) -> Vec<(Symbol, Value)> {
        let mut entries = self.heap.attrs(g).entries.clone();
        entries.sort_by(|a, b| self.symbols.cmp(a.0, b.0));
        entries
    }

    /// A loaded file's path and text.
    pub fn file_source(&self, file: u32) -> (&str, &str) {
        let f = &self.files[file as usize];
        (&f.path, &f.text)
    }

    /// The 1-based line and column of `pos`.
    /// Lines end at `\n`, `\r\n` or a lone `\r`, as the reference counts them.
    pub fn line_col(&self, pos: Pos) -> (usize, usize) {
        let text = &self.files[pos.file as usize].text;
        let offset = (u32::from(pos.range.start()) as usize).min(text.len());
        let bytes = &text.as_bytes()[..offset];
        let (mut line, mut start, mut i) = (1, 0, 0);
        while i < bytes.len() {
            match bytes[i] {
                b'\n' => (line, start) = (line + 1, i + 1),
                b'\r' => {
                    if text.as_bytes().get(i + 1) == Some(&b'\n') {
                        i += 1;
                    }
                    (line, start) = (line + 1, i + 1);
                }
                _ => {}
            }
            i += 1;
        }
        (line, offset.saturating_sub(start) + 1)
    }

    // ----- collection -----

    /// The position of `operator` in `between` (where an operator token sits between two
    /// operands), or the start of `between`.
    #[inline(never)]
    pub(crate) fn operator_pos(&self, file: u32, between: TextRange, operator: &str) -> Pos {
        let text = &self.files[file as usize].text;
        let (start, end) = (u32::from(between.start()) as usize, u32::from(between.end()) as usize);
        let offset = text.get(start..end).and_then(|t| t.find(operator)).map_or(start, |i| start + i) as u32;
        Pos { file, range: TextRange::new(offset.into(), (offset + operator.len() as u32).into()) }
    }

    /// Runs a full collection now. Roots: the VM stack and frames, values rooted by native
    /// code, globals, the import cache and loaded files' constants.
    pub fn collect_garbage(&mut self) {
        self.collect(true);
    }

    /// Collects at a safe point: young objects only, unless the heap decides a full
    /// collection is due.
    #[inline(never)]
    fn collect_at_safe_point(&mut self) {
        self.collect(false);
    }

    fn collect(&mut self, full: bool) {
        self.memo.forget();
        let mut extra: Vec<Gc> = self.permanent.clone();
        extra.extend(self.frames.iter().filter_map(|f| f.env));
        extra.extend(self.frames.iter().filter_map(|f| f.on_return.thunk()));
        let roots = self
            .stack
            .iter()
            .chain(self.roots.iter())
            .chain(self.globals.values())
            .chain(self.globals_2026.values())
            .chain(self.import_cache.values())
            .copied()
            .chain(self.fused.live())
            .collect::<Vec<_>>();
        self.heap.collect(roots, extra, full);
    }

    // ----- entering and leaving the loop -----

    /// Runs a file's root prototype and returns its value.
    pub(crate) fn run_file(&mut self, file: u32) -> EvalResult<Value> {
        let root = self.files[file as usize].root;
        let thunk = self.heap.alloc_code_thunk(root, ThunkUpvalues::none(), 0);
        self.force(Value::Thunk(thunk))
    }

    /// Runs the root prototype of a file compiled for `scopedImport` with `scope` as its scope.
    pub(crate) fn run_file_scoped(&mut self, file: u32, scope: Value) -> EvalResult<Value> {
        let root = self.files[file as usize].root;
        let proto = ProtoRef::new(&self.protos[root.0 as usize]);
        stacker::maybe_grow(256 * 1024, 8 * 1024 * 1024, || {
            let stop = self.frames.len();
            let base = self.stack.len();
            self.push_frame(proto, None, OnReturn::Nothing)?;
            self.stack[base] = scope;
            self.run(stop)
        })
    }

    /// Forces `v` to weak head normal form.
    #[inline]
    pub fn force(&mut self, v: Value) -> EvalResult<Value> {
        let Value::Thunk(t) = v else { return Ok(self.forced(v)) };
        if let ThunkState::Done(x) = self.heap.thunk(t).state {
            return Ok(x);
        }
        self.force_thunk(t)
    }

    /// Forces thunk `t`, which has not been evaluated yet (or failed): runs its code in a loop
    /// of its own, on a grown native stack if need be.
    #[inline(never)]
    fn force_thunk(&mut self, t: Gc) -> EvalResult<Value> {
        stacker::maybe_grow(256 * 1024, 8 * 1024 * 1024, || {
            let stop = self.frames.len();
            match self.begin_force(t)? {
                Some(x) => Ok(x),
                None => self.run(stop),
            }
        })
    }

    /// Forces `v` and everything inside it (lists and sets, recursively).
    pub fn force_deep(&mut self, v: Value) -> EvalResult<Value> {
        let v = self.force(v)?;
        let mut seen = rustc_hash::FxHashSet::default();
        let mark = self.root(v);
        let r = self.force_deep_inner(v, &mut seen);
        self.unroot(mark);
        r.map(|()| v)
    }

    /// Forces everything inside `v` (already forced), depth first and in order, with an explicit
    /// stack of the containers being walked: an error gets a trace frame for each of them, from
    /// the innermost out (`while evaluating the attribute 'a'` at the attribute's definition,
    /// `while evaluating list element at index 3`).
    fn force_deep_inner(&mut self, v: Value, seen: &mut rustc_hash::FxHashSet<Gc>) -> EvalResult<()> {
        // Values inside a forced list or set stay reachable from `v`, which the caller roots.
        /// A container being walked and the index of its next element.
        struct Open {
            container: Gc,
            list: bool,
            next: usize,
        }
        let mut open: Vec<Open> = Vec::new();
        let mut enter = |v: Value, open: &mut Vec<Open>| match v {
            Value::List(g) if seen.insert(g) => open.push(Open { container: g, list: true, next: 0 }),
            Value::Attrs(g) if seen.insert(g) => open.push(Open { container: g, list: false, next: 0 }),
            _ => {}
        };
        enter(v, &mut open);
        let outer_depth = self.extra_depth;
        while let Some(top) = open.last_mut() {
            let (g, list, i) = (top.container, top.list, top.next);
            top.next += 1;
            let child = if list { self.heap.list(g).get(i).copied() } else { self.heap.attrs(g).entries.get(i).map(|e| e.1) };
            let Some(child) = child else {
                open.pop();
                continue;
            };
            // Each open container counts as a call level for what forcing the element calls,
            // as in the reference's recursive walk: calls made deep inside a structure nested
            // deeper than the call depth allows overflow.
            self.extra_depth = outer_depth + open.len();
            let forced = self.force(child);
            self.extra_depth = outer_depth;
            match forced {
                Ok(c) => enter(c, &mut open),
                Err(mut e) => {
                    for frame in open.iter().rev() {
                        let i = frame.next - 1;
                        e.trace.push(if frame.list {
                            TraceEntry { message: format!("while evaluating list element at index {i}"), pos: None }
                        } else {
                            let attrs = self.heap.attrs(frame.container);
                            let name = attrs.entries[i].0;
                            TraceEntry {
                                message: format!(
                                    "while evaluating the attribute '{}'",
                                    String::from_utf8_lossy(self.symbols.name(name))
                                ),
                                pos: attrs.position(name),
                            }
                        });
                    }
                    return Err(e);
                }
            }
        }
        Ok(())
    }

    /// Calls `f` with `arg` and returns the result in weak head normal form.
    pub fn call(&mut self, f: Value, arg: Value) -> EvalResult<Value> {
        // A curried lambda only makes its inner closure (no Nix code runs, the native stack
        // does not grow): no need to check the stack, which costs more than the call itself.
        if let Value::Lambda(c) = f {
            if self.protos[self.heap.closure(c).code.0 as usize].curried.is_some() {
                let stop = self.frames.len();
                return match self.enter_lambda(c, arg, OnReturn::Nothing)? {
                    Some(v) => Ok(v),
                    None => self.run(stop),
                };
            }
        }
        stacker::maybe_grow(256 * 1024, 8 * 1024 * 1024, || {
            let f = self.force(f)?;
            if let Value::Lambda(c) = f {
                let stop = self.frames.len();
                match self.enter_lambda(c, arg, OnReturn::Nothing)? {
                    Some(v) => Ok(v),
                    None => self.run(stop),
                }
            } else {
                self.call_slow(f, arg)
            }
        })
    }

    /// Starts forcing thunk `t`: `Some(value)` when it is known at once, `None` when a frame
    /// was pushed that will produce it.
    fn begin_force(&mut self, t: Gc) -> EvalResult<Option<Value>> {
        if self.heap.forcing(t) {
            self.recursion_entry = Some(t);
            return Err(EvalError::new(ErrorKind::InfiniteRecursion, "infinite recursion encountered"));
        }
        match self.heap.thunk(t).state {
            ThunkState::Done(v) => Ok(Some(v)),
            ThunkState::Failed(ref e) => Err((**e).clone()),
            ThunkState::Code { code, ref upvalues, .. } => {
                let up = UpvalueView::new(upvalues.as_slice());
                let proto = ProtoRef::new(&self.protos[code.0 as usize]);
                self.heap.set_forcing(t, true);
                self.push_frame_with(proto, Some(t), up, OnReturn::Update(t), None)?;
                Ok(None)
            }
            ThunkState::Apply { f, arg, .. } => self.force_application(t, f, None, arg),
            ThunkState::ApplyNamed { f, name, arg, .. } => self.force_application(t, f, Some(name), arg),
        }
    }

    /// Forces the application thunk `t`: `f arg`, or `f name arg` with `name` given as a
    /// symbol (its string is passed). The last call is made in a frame that updates `t`.
    fn force_application(&mut self, t: Gc, f: Value, name: Option<Symbol>, arg: Value) -> EvalResult<Option<Value>> {
        self.heap.set_forcing(t, true);
        let r = (|| {
            let f = match name {
                Some(name) => {
                    let name = self.symbol_string(name);
                    if let Some((c, inner)) = self.fusable(f) {
                        self.enter_fused(c, inner, name, arg, Some(t))?;
                        return Ok(None);
                    }
                    let partial = self.call(f, name)?;
                    self.force(partial)?
                }
                None => self.force(f)?,
            };
            if let Value::Lambda(c) = f {
                self.enter_lambda(c, arg, OnReturn::Update(t))
            } else {
                self.call_slow(f, arg).map(Some)
            }
        })();
        self.finish_thunk(t, &r);
        r
    }

    fn finish_thunk(&mut self, t: Gc, r: &EvalResult<Option<Value>>) {
        match r {
            Ok(Some(v)) => {
                self.heap.set_done(t, *v);
                self.heap.set_forcing(t, false);
            }
            Ok(None) => {}
            Err(e) => {
                self.heap.thunk_mut(t).state = ThunkState::Failed(Box::new(e.memo()));
                self.heap.set_forcing(t, false);
            }
        }
    }

    #[inline(always)]
    fn push_frame(&mut self, proto: ProtoRef, env: Option<Gc>, on_return: OnReturn) -> EvalResult<()> {
        let up = UpvalueView::new(self.upvalues(env));
        self.push_frame_with(proto, env, up, on_return, None)
    }

    /// Pushes a frame that reads its upvalues through `up`, with `arg` (a lambda's argument)
    /// in its first slot.
    #[inline(always)]
    fn push_frame_with(
        &mut self,
        proto: ProtoRef,
        env: Option<Gc>,
        up: UpvalueView,
        on_return: OnReturn,
        arg: Option<Value>,
    ) -> EvalResult<()> {
        if self.frames.len() + self.extra_depth >= self.config.max_call_depth {
            return Err(too_deep());
        }
        let base = self.stack.len() as u32;
        if let Some(arg) = arg {
            // (A lambda has a slot for its argument.)
            self.stack.push(arg);
        }
        self.stack.resize(base as usize + proto.slots as usize, Value::Null);
        self.frames.push(Frame { proto, ip: 0, base, env, up, on_return });
        if self.frames.len() > self.stats.max_depth {
            self.stats.max_depth = self.frames.len();
        }
        Ok(())
    }

    /// Calls closure `c`: pushes its frame (`None`), or, for a curried lambda, makes the inner
    /// closure at once (`Some`).
    fn enter_lambda(&mut self, c: Gc, arg: Value, on_return: OnReturn) -> EvalResult<Option<Value>> {
        self.stats.calls += 1;
        let closure = self.heap.closure(c);
        closure.forced.set(true);
        let code = closure.code;
        let proto = &self.protos[code.0 as usize];
        if let Some(inner) = proto.curried {
            let upvalues = {
                let outer = &self.heap.closure(c).upvalues;
                collect_upvalues(&self.protos[inner as usize].captures, |s| inner_capture(outer, arg, s))
            };
            let (forced, keeps_arg) = (Cell::new(true), self.protos[inner as usize].keeps_arg);
            let g = self.heap.alloc_closure(Closure { code: CodeRef(inner), upvalues, forced, keeps_arg });
            return Ok(Some(Value::Lambda(g)));
        }
        let proto = ProtoRef::new(proto);
        let up = UpvalueView::new(&closure.upvalues);
        self.push_frame_with(proto, Some(c), up, on_return, Some(arg))?;
        Ok(None)
    }

    /// For `f a b` where `f` is a curried lambda `a: b: body` whose inner lambda is not curried
    /// too: `f` and the inner prototype's index. Such a call can be fused ([`Vm::enter_fused`]).
    #[inline]
    fn fusable(&self, f: Value) -> Option<(Gc, u32)> {
        let Value::Lambda(c) = f else { return None };
        let inner = self.protos[self.heap.closure(c).code.0 as usize].curried?;
        let p = &self.protos[inner as usize];
        (p.curried.is_none() && p.captures.len() <= crate::upvalue_stack::BLOCK).then_some((c, inner))
    }

    /// Calls the curried lambda `c` (from [`Vm::fusable`]) with `a` and its inner lambda with
    /// `b` in one step: the inner lambda's frame gets its upvalues copied to [`Vm::fused`]
    /// instead of a closure made for it. Nothing is allocated on the heap, so nothing needs
    /// rooting meanwhile. The calls are counted as two, as made separately.
    /// With `update`, the frame's value becomes that thunk's (as for [`OnReturn::Update`]).
    #[inline(always)]
    fn enter_fused(&mut self, c: Gc, inner: u32, a: Value, b: Value, update: Option<Gc>) -> EvalResult<()> {
        self.stats.calls += 2;
        let outer = self.heap.closure(c);
        outer.forced.set(true);
        let proto = &self.protos[inner as usize];
        let mark = self.fused.mark();
        let up = {
            let upvalues = self.fused.push(proto.captures.len());
            for (v, &s) in upvalues.iter_mut().zip(proto.captures.iter()) {
                *v = inner_capture(&outer.upvalues, a, s);
            }
            UpvalueView::new(upvalues)
        };
        let proto = ProtoRef::new(proto);
        let on_return = match update {
            Some(t) => OnReturn::UpdateRelease(t, mark),
            None => OnReturn::Release(mark),
        };
        if let Err(e) = self.push_frame_with(proto, None, up, on_return, Some(b)) {
            self.fused.release(mark);
            return Err(e);
        }
        Ok(())
    }

    /// `f a b`, with the two calls fused when `f` allows it ([`Vm::enter_fused`]).
    pub fn call2(&mut self, f: Value, a: Value, b: Value) -> EvalResult<Value> {
        if let Some((c, inner)) = self.fusable(f) {
            return stacker::maybe_grow(256 * 1024, 8 * 1024 * 1024, || {
                let stop = self.frames.len();
                self.enter_fused(c, inner, a, b, None)?;
                self.run(stop)
            });
        }
        let mark = self.root(b);
        let r = self.call(f, a).and_then(|g| {
            self.root(g);
            self.call(g, b)
        });
        self.unroot(mark);
        r
    }

    /// Calls anything that is not a lambda: builtins, partial applications, functors.
    #[inline(never)]
    pub(crate) fn call_slow(&mut self, f: Value, arg: Value) -> EvalResult<Value> {
        match f {
            Value::Lambda(_) => self.call(f, arg),
            Value::Builtin(id) => {
                let def = &self.builtins[id as usize];
                if def.arity == 1 {
                    self.call_builtin(id, &[arg])
                } else {
                    let g = self.heap.alloc(Obj::PrimApp(PrimApp { builtin: id, args: Box::new([arg]) }));
                    Ok(Value::PrimApp(g))
                }
            }
            Value::PrimApp(g) => {
                let p = self.heap.prim_app(g);
                let id = p.builtin;
                // (Builtins take at most three arguments: they stay inline.)
                let mut args = smallvec::SmallVec::<[Value; 4]>::from_slice(&p.args);
                args.push(arg);
                if args.len() == self.builtins[id as usize].arity as usize {
                    self.call_builtin(id, &args)
                } else {
                    let g = self.heap.alloc(Obj::PrimApp(PrimApp { builtin: id, args: args.into_vec().into() }));
                    Ok(Value::PrimApp(g))
                }
            }
            Value::Attrs(g) => match self.heap.attrs(g).get(self.syms.functor) {
                Some(functor) => {
                    let mark = self.root(arg);
                    self.root(f);
                    let r = self.call(functor, f).and_then(|inner| {
                        self.root(inner);
                        self.call(inner, arg)
                    });
                    self.unroot(mark);
                    r
                }
                None => Err(not_callable(self, &f)),
            },
            Value::Thunk(_) => {
                let f = self.force(f)?;
                self.call_slow(f, arg)
            }
            _ => Err(not_callable(self, &f)),
        }
    }

    /// Calls builtin `id` with the arguments on the stack above `at` (they stay there, rooted).
    #[inline(never)]
    fn call_builtin_on_stack(&mut self, id: u32, at: usize) -> EvalResult<Value> {
        let args = smallvec::SmallVec::<[Value; 4]>::from_slice(&self.stack[at + 1..]);
        self.run_builtin(id, &args)
    }

    /// Calls builtin `id` with `args`, which are rooted for the call.
    fn call_builtin(&mut self, id: u32, args: &[Value]) -> EvalResult<Value> {
        let mark = self.roots.len();
        self.roots.extend_from_slice(args);
        let r = self.run_builtin(id, args);
        self.roots.truncate(mark);
        r
    }

    /// Calls builtin `id` with `args`, which the caller keeps rooted.
    fn run_builtin(&mut self, id: u32, args: &[Value]) -> EvalResult<Value> {
        self.stats.builtin_calls += 1;
        let def = &self.builtins[id as usize];
        let r = (def.f)(self, args).and_then(|v| self.force(v));
        r.map_err(|mut e| {
            e.trace.push(TraceEntry { message: format!("while calling the '{}' builtin", def.name), pos: None });
            e
        })
    }

    /// The upvalues of the closure or thunk `env` (none for a frame without one).
    #[inline(always)]
    fn upvalues(&self, env: Option<Gc>) -> &[Value] {
        let Some(env) = env else { return &[] };
        match self.heap.get(env) {
            Obj::Closure(c) => &c.upvalues,
            Obj::Thunk(t) => match &t.state {
                ThunkState::Code { upvalues, .. } => upvalues.as_slice(),
                _ => &[],
            },
            _ => &[],
        }
    }

    fn capture(&self, captures: &[Slot], base: usize, up: UpvalueView) -> Upvalues {
        let locals = &self.stack[base..];
        collect_upvalues(captures, |s| read_slot(locals, up, s))
    }

    /// [`Vm::capture`] for a thunk.
    #[inline(always)]
    fn capture_thunk(&self, captures: &[Slot], base: usize, up: UpvalueView) -> ThunkUpvalues {
        let locals = &self.stack[base..];
        ThunkUpvalues::from_fn(captures.len(), |i| read_slot(locals, up, captures[i]))
    }

    /// Unwinds the frames above `stop` after `err`, recording them in its trace.
    #[inline(never)]
    fn unwind(&mut self, mut err: EvalError, stop: usize) -> EvalError {
        let mut innermost = true;
        let mut innermost_lambda = true;
        while self.frames.len() > stop {
            let Some(frame) = self.frames.pop() else { break };
            let at = (frame.ip as usize).saturating_sub(1);
            let pos = frame.proto.spans.get(at).map(|&range| Pos { file: frame.proto.file, range });
            // The operand frames around the failing op, innermost first.
            let mut regions: Vec<&lix_compiler::ContextRegion> =
                frame.proto.contexts.iter().filter(|r| (r.start as usize..r.end as usize).contains(&at)).collect();
            regions.sort_by_key(|r| (std::cmp::Reverse(r.start), r.end));
            // An operator that the reference evaluates as a builtin call fails without a
            // position of its own, at its "while calling" frame.
            let builtin_op = innermost && regions.first().is_some_and(|r| r.builtin && r.end as usize == at + 1);
            if let Some(pos) = pos {
                // An error from a builtin is shown at the builtin's call (its "while calling"
                // frame, the last one it added); any other error at the op that failed.
                let data = &mut *err;
                let no_trace = data.trace.is_empty();
                match data.trace.last_mut() {
                    Some(last) if innermost && last.pos.is_none() => last.pos = Some(pos),
                    _ if data.pos.is_none() && no_trace && !builtin_op => data.pos = Some(pos),
                    _ => {}
                }
            }
            // The frame of the thunk whose re-entry was the infinite recursion: the error is
            // shown where that thunk's code went on to recurse, as the reference shows it.
            let entry = frame.on_return.thunk().is_some_and(|t| Some(t) == self.recursion_entry);
            if entry {
                err.pos = pos;
            }
            for r in regions {
                let pos = Pos { file: frame.proto.file, range: r.span };
                err.trace.push(TraceEntry { message: r.message.to_string(), pos: Some(pos) });
            }
            if entry {
                self.recursion_entry = None;
                err.trace.push(TraceEntry { message: "entering the infinite recursion".to_string(), pos: None });
            }
            innermost = false;
            if let Some(mark) = frame.on_return.mark() {
                self.fused.release(mark);
            }
            if let Some(t) = frame.on_return.thunk() {
                self.heap.set_forcing(t, false);
                if let Obj::Thunk(th) = self.heap.get_mut(t) {
                    th.state = ThunkState::Failed(Box::new(err.memo()));
                }
            }
            if let ProtoKind::Lambda { name, .. } = &frame.proto.kind {
                // An argument that does not fit the pattern fails the call before the function
                // runs: no "while calling" frame then, only the call site.
                let matching_argument =
                    innermost_lambda && matches!(frame.proto.code.get(at), Some(Op::Pattern(_) | Op::PatField { .. }));
                innermost_lambda = false;
                if !matching_argument {
                    let message = match name {
                        Some(n) => format!("while calling '{n}'"),
                        None => "while calling anonymous lambda".to_string(),
                    };
                    err.trace.push(TraceEntry { message, pos: Some(Pos { file: frame.proto.file, range: frame.proto.span }) });
                }
                // The call's own position, in the frame that made it.
                if self.frames.len() > stop {
                    if let Some(caller) = self.frames.last() {
                        let at = (caller.ip as usize).saturating_sub(1);
                        if let Some(&range) = caller.proto.spans.get(at) {
                            err.trace.push(TraceEntry {
                                message: "from call site".to_string(),
                                pos: Some(Pos { file: caller.proto.file, range }),
                            });
                        }
                    }
                }
            }
            self.stack.truncate(frame.base as usize);
        }
        err
    }

    /// Runs frames until the frame stack is back to `stop` frames; returns the value the last
    /// frame returned.
    fn run(&mut self, stop: usize) -> EvalResult<Value> {
        macro_rules! fail {
            ($ip:expr, $e:expr) => {{
                let fi = self.frames.len() - 1;
                self.frames[fi].ip = $ip as u32;
                let e = $e;
                return Err(self.unwind(e, stop));
            }};
        }
        macro_rules! tri {
            ($ip:expr, $e:expr) => {
                match $e {
                    Ok(v) => v,
                    Err(e) => fail!($ip, e),
                }
            };
        }
        'frames: loop {
            let fi = self.frames.len() - 1;
            // Pushes `v` in weak head normal form: a thunk not yet evaluated is forced in a
            // frame of its own (the op after this one runs when it returns).
            macro_rules! push_forced {
                ($ip:ident, $v:expr) => {
                    match $v {
                        Value::Thunk(t) => match tri!($ip, self.begin_force(t)) {
                            Some(x) => self.stack.push(x),
                            None => {
                                self.frames[fi].ip = $ip as u32;
                                continue 'frames;
                            }
                        },
                        v => {
                            let v = self.forced(v);
                            self.stack.push(v)
                        }
                    }
                };
            }
            // A safe point before a call: collects if the heap asks for it, the frame's `ip`
            // saved at the call (the op just fetched).
            macro_rules! safe_point {
                ($ip:ident) => {
                    if self.heap.wants_collection() {
                        self.frames[fi].ip = ($ip - 1) as u32;
                        self.collect_at_safe_point();
                    }
                };
            }
            // Calls `f` with `arg` (neither on the stack any more; the frame's `ip` saved): a
            // lambda's frame runs next, anything else is called at once.
            macro_rules! apply {
                ($ip:ident, $f:expr, $arg:expr) => {{
                    let (f, arg) = ($f, $arg);
                    if let Value::Lambda(c) = f {
                        match tri!($ip, self.enter_lambda(c, arg, OnReturn::Nothing)) {
                            Some(v) => {
                                self.stack.push(v);
                                continue;
                            }
                            None => continue 'frames,
                        }
                    }
                    let v = tri!($ip, self.call_slow(f, arg));
                    self.stack.push(v);
                }};
            }
            let proto = self.frames[fi].proto;
            let base = self.frames[fi].base as usize;
            let up = self.frames[fi].up;
            let mut ip = self.frames[fi].ip as usize;
            let code: &[Op] = &proto.code;
            loop {
                let op = code[ip];
                ip += 1;
                match op {
                    Op::Int(i) => self.stack.push(Value::Int(i)),
                    Op::Float(f) => self.stack.push(Value::Float(f)),
                    Op::Null => self.stack.push(Value::Null),
                    Op::Bool(b) => self.stack.push(Value::Bool(b)),
                    Op::Str(n) => {
                        let g = self.files[proto.file as usize].strings[n as usize];
                        self.stack.push(Value::String(g));
                    }
                    Op::Path(n) => {
                        let g = self.files[proto.file as usize].paths[n as usize];
                        self.stack.push(Value::Path(g));
                    }
                    Op::Load(Slot::Local(n)) => self.stack.push(self.stack[base + n as usize]),
                    Op::Load(Slot::Upvalue(n)) => self.stack.push(up.get(n)),
                    Op::Store(n) => {
                        let v = self.pop();
                        self.stack[base + n as usize] = v;
                    }
                    Op::Global(n) => {
                        let v = tri!(ip, self.global_of(proto.file, n));
                        self.stack.push(v);
                    }
                    Op::SelectGlobal { global, name } => {
                        let mut set = tri!(ip, self.global_of(proto.file, global));
                        if let Value::Thunk(_) = set {
                            self.frames[fi].ip = ip as u32;
                            set = tri!(ip, self.force(set));
                        }
                        let sym = self.files[proto.file as usize].names[name as usize];
                        let v = tri!(ip, self.select(set, sym, &proto.hints[ip - 1]));
                        push_forced!(ip, v);
                    }
                    Op::WithLookupLazy { lookup, proto: p } => match self.with_peek(proto.file, lookup, base, up) {
                        Some(v) => self.stack.push(v),
                        None => {
                            let t = self.code_thunk(CodeRef(proto.file_base + p), base, up);
                            self.stack.push(t);
                        }
                    },
                    Op::WithLookup(n) => {
                        let v = tri!(ip, self.with_lookup(proto.file, n, base, up));
                        push_forced!(ip, v);
                    }
                    Op::LoadForce(slot) | Op::LoadFn(slot) => {
                        let v = match slot {
                            Slot::Local(n) => self.stack[base + n as usize],
                            Slot::Upvalue(n) => up.get(n),
                        };
                        match v {
                            Value::Thunk(t) => {
                                if let ThunkState::Done(x) = self.heap.thunk(t).state {
                                    if let Slot::Local(n) = slot {
                                        self.stack[base + n as usize] = x;
                                    }
                                    self.stack.push(x);
                                } else {
                                    match tri!(ip, self.begin_force(t)) {
                                        Some(x) => self.stack.push(x),
                                        None => {
                                            self.frames[fi].ip = ip as u32;
                                            continue 'frames;
                                        }
                                    }
                                }
                            }
                            v => {
                                let v = if matches!(op, Op::LoadFn(_)) { v } else { self.forced(v) };
                                self.stack.push(v)
                            }
                        }
                    }
                    Op::Speculate { op, proto: p, arg } => {
                        let b = self.pop();
                        let a = self.pop();
                        let (a2, b2) = (self.peek(a), self.peek(b));
                        let shortcut = if self.callee_keeps(arg) { None } else { speculate(self, op, a2, b2) };
                        match shortcut {
                            Some(v) => self.stack.push(v),
                            None => {
                                let t = self.code_thunk(CodeRef(proto.file_base + p), base, up);
                                self.stack.push(t);
                            }
                        }
                    }
                    Op::SpeculateSelect { name, proto: p, arg } => {
                        let set = self.pop();
                        let sym = self.files[proto.file as usize].names[name as usize];
                        let found = match self.peek(set) {
                            Value::Attrs(g) => self.heap.attrs(g).get_hinted(sym, &proto.hints[ip - 1]),
                            _ => None,
                        };
                        match found {
                            Some(v) if !self.callee_keeps(arg) => self.stack.push(v),
                            _ => {
                                let t = self.code_thunk(CodeRef(proto.file_base + p), base, up);
                                self.stack.push(t);
                            }
                        }
                    }
                    Op::Force => {
                        if let Some(&v @ (Value::Thunk(_) | Value::Lambda(_))) = self.stack.last() {
                            self.stack.pop();
                            push_forced!(ip, v);
                        }
                    }
                    Op::Thunk(p) => {
                        // (`code_thunk`'s body, written out: inlining `code_thunk` at every
                        // caller cost fib 3.4 % more instructions.)
                        let code = CodeRef(proto.file_base + p);
                        let captures = &self.protos[code.0 as usize].captures;
                        let upvalues = self.capture_thunk(captures, base, up);
                        let g = self.heap.alloc_code_thunk(code, upvalues, captures.len());
                        self.stack.push(Value::Thunk(g));
                    }
                    Op::Closure(p) => {
                        let code = CodeRef(proto.file_base + p);
                        let upvalues = self.capture(&self.protos[code.0 as usize].captures, base, up);
                        let (forced, keeps_arg) = (Cell::new(false), self.protos[code.0 as usize].keeps_arg);
                        let g = self.heap.alloc_closure(Closure { code, upvalues, forced, keeps_arg });
                        self.stack.push(Value::Lambda(g));
                    }
                    Op::ThunkLate(p) => {
                        let code = CodeRef(proto.file_base + p);
                        let g = self.heap.alloc_code_thunk(code, ThunkUpvalues::none(), 0);
                        self.stack.push(Value::Thunk(g));
                    }
                    Op::ClosureLate(p) => {
                        let code = CodeRef(proto.file_base + p);
                        let (upvalues, forced) = (Upvalues::new(), Cell::new(false));
                        let keeps_arg = self.protos[code.0 as usize].keeps_arg;
                        let g = self.heap.alloc_closure(Closure { code, upvalues, forced, keeps_arg });
                        self.stack.push(Value::Lambda(g));
                    }
                    Op::Capture(n) | Op::CaptureDefault(n) => {
                        let v = self.stack[base + n as usize];
                        self.capture_late(v, base, up, false);
                    }
                    Op::Call => {
                        // (Spelled out rather than with `apply!`: the run loop compiled that way
                        // takes 2.4 % more instructions on fib.)
                        safe_point!(ip);
                        let arg = self.pop();
                        let f = self.pop();
                        if let Value::Lambda(c) = f {
                            self.frames[fi].ip = ip as u32;
                            match tri!(ip, self.enter_lambda(c, arg, OnReturn::Nothing)) {
                                Some(v) => {
                                    self.stack.push(v);
                                    continue;
                                }
                                None => continue 'frames,
                            }
                        }
                        self.frames[fi].ip = ip as u32;
                        let v = tri!(ip, self.call_slow(f, arg));
                        self.stack.push(v);
                    }
                    Op::Call2 => {
                        safe_point!(ip);
                        let at = self.stack.len() - 3;
                        let f = self.stack[at];
                        if let Value::Builtin(id) = f {
                            if self.builtins[id as usize].arity == 2 {
                                // Past the `CallBelow`.
                                ip += 1;
                                self.frames[fi].ip = ip as u32;
                                let v = tri!(ip, self.call_builtin_on_stack(id, at));
                                self.stack.truncate(at);
                                self.stack.push(v);
                                continue;
                            }
                        }
                        if let Some((c, inner)) = self.fusable(f) {
                            ip += 1;
                            self.frames[fi].ip = ip as u32;
                            let (a, b) = (self.stack[at + 1], self.stack[at + 2]);
                            self.stack.truncate(at);
                            tri!(ip, self.enter_fused(c, inner, a, b, None));
                            continue 'frames;
                        }
                        // `b f a`, then a call of `f` with `a` (as `Call` does); the `CallBelow`
                        // calls the result with `b`.
                        self.stack[at..].rotate_right(1);
                        let arg = self.pop();
                        let f = self.pop();
                        self.frames[fi].ip = ip as u32;
                        apply!(ip, f, arg);
                    }
                    Op::CallBelow => {
                        safe_point!(ip);
                        let f = self.pop();
                        let arg = self.pop();
                        self.frames[fi].ip = ip as u32;
                        apply!(ip, f, arg);
                    }
                    Op::CallN(n) => {
                        safe_point!(ip);
                        self.frames[fi].ip = ip as u32;
                        let n = n as usize;
                        let at = self.stack.len() - n - 1;
                        let f = self.stack[at];
                        if let Value::Builtin(id) = f {
                            if self.builtins[id as usize].arity as usize == n {
                                let v = tri!(ip, self.call_builtin_on_stack(id, at));
                                self.stack.truncate(at);
                                self.stack.push(v);
                                continue;
                            }
                        }
                        // Anything else: all but the last argument through nested calls (a
                        // partial application returns at once), the last one as a frame.
                        let mut f = f;
                        for i in 0..n - 1 {
                            let a = self.stack[at + 1 + i];
                            f = tri!(ip, self.call(f, a));
                            self.stack[at] = f;
                        }
                        let arg = self.stack[at + n];
                        self.stack.truncate(at);
                        apply!(ip, f, arg);
                    }
                    Op::Add | Op::Sub | Op::Mul | Op::Div => {
                        if let Some((x, y)) = self.top_ints() {
                            let r = match op {
                                Op::Add => x.checked_add(y),
                                Op::Sub => x.checked_sub(y),
                                Op::Mul => x.checked_mul(y),
                                _ => None,
                            };
                            if let Some(r) = r {
                                self.replace_top_two(Value::Int(r));
                                continue;
                            }
                        }
                        let b = self.pop();
                        let a = self.pop();
                        self.frames[fi].ip = ip as u32;
                        let v = tri!(ip, self.arith(op, a, b));
                        self.stack.push(v);
                    }
                    Op::Less => {
                        if let Some((x, y)) = self.top_ints() {
                            self.replace_top_two(Value::Bool(x < y));
                            continue;
                        }
                        let b = self.pop();
                        let a = self.pop();
                        self.frames[fi].ip = ip as u32;
                        let v = tri!(ip, self.less_than(a, b));
                        self.stack.push(Value::Bool(v));
                    }
                    Op::Eq | Op::NotEq => {
                        let want = matches!(op, Op::Eq);
                        if let Some((x, y)) = self.top_ints() {
                            self.replace_top_two(Value::Bool((x == y) == want));
                            continue;
                        }
                        let b = self.pop();
                        let a = self.pop();
                        if let Some(Value::Bool(eq)) = speculate(self, SpecOp::Eq, a, b) {
                            self.stack.push(Value::Bool(eq == want));
                            continue;
                        }
                        self.frames[fi].ip = ip as u32;
                        self.stack.push(a);
                        self.stack.push(b);
                        let eq = tri!(ip, self.equal(a, b));
                        self.stack.truncate(self.stack.len() - 2);
                        self.stack.push(Value::Bool(eq == want));
                    }
                    Op::Concat(n) => {
                        let v = if n == 0 {
                            let b = self.pop();
                            let a = self.pop();
                            tri!(ip, self.concat_lists(a, b))
                        } else {
                            tri!(ip, self.append(n as usize))
                        };
                        self.stack.push(v);
                    }
                    Op::Update => {
                        let b = self.pop();
                        let a = self.pop();
                        let v = tri!(ip, self.update(a, b));
                        self.stack.push(v);
                    }
                    Op::Not => match self.pop() {
                        Value::Bool(b) => self.stack.push(Value::Bool(!b)),
                        v => fail!(ip, self.expected(&v, "a Boolean")),
                    },
                    Op::AssertBool => match self.stack.last() {
                        Some(Value::Bool(_)) => {}
                        Some(&v) => fail!(ip, self.expected(&v, "a Boolean")),
                        None => {}
                    },
                    Op::Jump(t) => ip = t as usize,
                    Op::JumpIfFalse(t) => match self.pop() {
                        Value::Bool(false) => ip = t as usize,
                        Value::Bool(true) => {}
                        v => fail!(ip, self.expected(&v, "a Boolean")),
                    },
                    Op::JumpIfTrue(t) => match self.pop() {
                        Value::Bool(true) => ip = t as usize,
                        Value::Bool(false) => {}
                        v => fail!(ip, self.expected(&v, "a Boolean")),
                    },
                    Op::Assert(n) => match self.pop() {
                        Value::Bool(true) => {}
                        Value::Bool(false) => fail!(ip, self.compiled_error(ErrorKind::Assert, proto.file, n)),
                        v => fail!(ip, self.expected(&v, "a Boolean")),
                    },
                    Op::AssertEq(n) => {
                        let b = self.pop();
                        let a = self.pop();
                        self.frames[fi].ip = ip as u32;
                        self.stack.push(a);
                        self.stack.push(b);
                        let eq = tri!(ip, self.equal(a, b));
                        if !eq {
                            let assert_pos = Pos { file: proto.file, range: proto.spans[ip - 1] };
                            fail!(ip, self.assertion_of_equality_failed(a, b, n, assert_pos))
                        }
                        self.stack.truncate(self.stack.len() - 2);
                    }
                    Op::List(n) => {
                        let at = self.stack.len() - n as usize;
                        // Boxed straight from the stack; `[ ]` is the shared empty list.
                        let v = if n == 0 {
                            Value::List(self.empty_list)
                        } else {
                            Value::List(self.heap.alloc_list(Box::from(&self.stack[at..])))
                        };
                        self.stack.truncate(at);
                        self.stack.push(v);
                    }
                    Op::Attrs(n) => {
                        let v = self.build_attrs(proto.file, n);
                        self.stack.push(v);
                    }
                    Op::DynAttr => {
                        let value = self.pop();
                        let name = self.pop();
                        self.frames[fi].ip = ip as u32;
                        let pos = Pos { file: proto.file, range: proto.spans[ip - 1] };
                        tri!(ip, self.add_dynamic(name, value, pos));
                    }
                    Op::Select(n) => {
                        let set = self.pop();
                        let sym = self.files[proto.file as usize].names[n as usize];
                        let v = tri!(ip, self.select(set, sym, &proto.hints[ip - 1]));
                        push_forced!(ip, v);
                    }
                    Op::SelectDyn => {
                        let name = self.pop();
                        let set = self.pop();
                        let sym = tri!(ip, self.attr_name(name));
                        let v = match self.try_select_next(set, sym, &proto.hints[ip - 1]) {
                            Some(v) => v,
                            // Not there: `select` makes the error.
                            None => tri!(ip, self.select(set, sym, &proto.hints[ip - 1])),
                        };
                        push_forced!(ip, v);
                    }
                    Op::SelectOr { name, target } => {
                        let set = self.pop();
                        let sym = self.files[proto.file as usize].names[name as usize];
                        match self.try_select(set, sym, &proto.hints[ip - 1]) {
                            Some(v) => push_forced!(ip, v),
                            None => ip = target as usize,
                        }
                    }
                    Op::SelectDynOr { target } => {
                        let name = self.pop();
                        let set = self.pop();
                        let sym = tri!(ip, self.attr_name(name));
                        match self.try_select_next(set, sym, &proto.hints[ip - 1]) {
                            Some(v) => push_forced!(ip, v),
                            None => ip = target as usize,
                        }
                    }
                    Op::HasAttr(n) => {
                        let set = self.pop();
                        let sym = self.files[proto.file as usize].names[n as usize];
                        let has = self.try_select(set, sym, &proto.hints[ip - 1]).is_some();
                        self.stack.push(Value::Bool(has));
                    }
                    Op::HasAttrDyn => {
                        let name = self.pop();
                        let set = self.pop();
                        let sym = tri!(ip, self.attr_name(name));
                        let has = self.try_select_next(set, sym, &proto.hints[ip - 1]).is_some();
                        self.stack.push(Value::Bool(has));
                    }
                    Op::Interpolate { parts, path, spans } => {
                        self.frames[fi].ip = ip as u32;
                        let v = tri!(ip, self.interpolate(parts as usize, path, (proto.file, spans)));
                        self.stack.push(v);
                    }
                    Op::CurPos => {
                        let pos = Pos { file: proto.file, range: proto.spans[ip - 1] };
                        let v = self.position_value(pos);
                        self.stack.push(v);
                    }
                    Op::Pattern(n) => {
                        self.frames[fi].ip = ip as u32;
                        tri!(ip, self.check_pattern(&proto, n, base));
                    }
                    Op::PatField { pattern, field, slot } => {
                        tri!(ip, self.bind_field(&proto, pattern, field, slot, base, up, &proto.hints[ip - 1]));
                    }
                    Op::Overrides(n) => {
                        self.frames[fi].ip = ip as u32;
                        tri!(ip, self.apply_overrides(proto.file, n, base, up));
                    }
                    Op::AddOverrides(n) => {
                        let set = self.pop();
                        let v = tri!(ip, self.add_overrides(proto.file, n, base, set));
                        self.stack.push(v);
                    }
                    Op::Pop => {
                        self.pop();
                    }
                    Op::Return => {
                        // A safe point too (the value is still on the stack): code that
                        // allocates without calling, such as a comparator or a thunk that
                        // native code runs again and again, must not grow the heap unchecked.
                        if self.heap.wants_collection_at_return() {
                            self.frames[fi].ip = (ip - 1) as u32;
                            self.collect_at_safe_point();
                        }
                        let v = self.pop();
                        let Some(frame) = self.frames.pop() else { unreachable!("a frame is running") };
                        self.stack.truncate(frame.base as usize);
                        if let Some(mark) = frame.on_return.mark() {
                            self.fused.release(mark);
                        }
                        if let Some(t) = frame.on_return.thunk() {
                            self.heap.set_done(t, v);
                            self.heap.set_forcing(t, false);
                        }
                        if self.frames.len() == stop {
                            return Ok(v);
                        }
                        self.stack.push(v);
                        continue 'frames;
                    }
                    Op::Error(n) => fail!(ip, self.compiled_error(ErrorKind::Other, proto.file, n)),
                }
            }
        }
    }

    /// The global named by name `n` of `file` (not forced), remembered per file.
    #[inline(always)]
    fn global_of(&mut self, file: u32, n: u32) -> EvalResult<Value> {
        if let Some(v) = self.files[file as usize].global_cache[n as usize] {
            return Ok(v);
        }
        let sym = self.files[file as usize].names[n as usize];
        match self.global(file, sym) {
            Some(v) => {
                self.files[file as usize].global_cache[n as usize] = Some(v);
                Ok(v)
            }
            None => Err(self.unimplemented_global(sym)),
        }
    }

    // ----- the run loop's errors, out of line so that its frame stays small (deep recursion
    // nests one run loop per level on the native stack) -----

    #[cold]
    #[inline(never)]
    fn unimplemented_global(&self, sym: Symbol) -> EvalError {
        EvalError::new(ErrorKind::Other, format!("builtin '{}' is not implemented yet", self.symbols.text(sym)))
    }

    /// `assert a == b` failed: `n` is the assertion's index in its file, `at` its position.
    #[cold]
    #[inline(never)]
    fn assertion_of_equality_failed(&mut self, a: Value, b: Value, n: u32, at: Pos) -> EvalError {
        let info = self.files[at.file as usize].compiled.assert_eqs[n as usize].clone();
        let eq_pos = self.operator_pos(at.file, info.between, "==");
        self.assert_equal_error(a, b, Some(eq_pos), Some(at), &info.condition)
    }

    /// The error of `Op::Assert(n)` (`kind` `Assert`: a failed assertion's message) or of
    /// `Op::Error(n)` (any other kind: an error the compiler found).
    #[cold]
    #[inline(never)]
    fn compiled_error(&self, kind: ErrorKind, file: u32, n: u32) -> EvalError {
        let compiled = &self.files[file as usize].compiled;
        let msg = match kind {
            ErrorKind::Assert => &compiled.assert_messages[n as usize],
            _ => &compiled.errors[n as usize],
        };
        EvalError::new(kind, msg.to_string())
    }

    /// `v`, or the value of `v` if it is an evaluated thunk.
    #[inline]
    pub(crate) fn peek(&self, v: Value) -> Value {
        match v {
            Value::Thunk(t) => match self.heap.thunk(t).state {
                ThunkState::Done(x) => x,
                _ => v,
            },
            v => v,
        }
    }

    /// A thunk of `code`, its upvalues captured from the frame at `base` now: the fallback of
    /// the ops that compute a value at once when they can.
    fn code_thunk(&mut self, code: CodeRef, base: usize, up: UpvalueView) -> Value {
        let captures = &self.protos[code.0 as usize].captures;
        let upvalues = self.capture_thunk(captures, base, up);
        Value::Thunk(self.heap.alloc_code_thunk(code, upvalues, captures.len()))
    }

    /// Whether the function on top of the stack, about to be called with a speculated
    /// argument, may keep that argument unforced (see [`lix_compiler::Proto::keeps_arg`]).
    /// Builtins never keep an argument unforced; sets with `__functor` may.
    #[inline(always)]
    fn callee_keeps_arg(&self) -> bool {
        match self.stack.last() {
            Some(Value::Lambda(c)) => self.heap.closure(*c).keeps_arg,
            Some(Value::Builtin(_) | Value::PrimApp(_)) => false,
            _ => true,
        }
    }

    /// Whether the function that `check` names may keep the argument being computed unforced
    /// (so that it must not be speculated).
    #[inline(always)]
    fn callee_keeps(&self, check: ArgCheck) -> bool {
        match check {
            ArgCheck::None => false,
            ArgCheck::Callee => self.callee_keeps_arg(),
            ArgCheck::CurriedCallee => self.curried_callee_keeps_arg(),
        }
    }

    /// [`ArgCheck::CurriedCallee`]: whether the inner lambda of the function two below the
    /// top of the stack may keep its argument.
    #[inline(never)]
    fn curried_callee_keeps_arg(&self) -> bool {
        let f = self.stack.len().checked_sub(2).map(|i| self.stack[i]);
        match f {
            Some(Value::Lambda(c)) => match self.protos[self.heap.closure(c).code.0 as usize].curried {
                Some(inner) => self.protos[inner as usize].keeps_arg,
                None => true,
            },
            Some(Value::Builtin(_) | Value::PrimApp(_)) => false,
            _ => true,
        }
    }

    /// `v`, marked as forced if it is a lambda ([`Closure::forced`]).
    #[inline]
    fn forced(&self, v: Value) -> Value {
        if let Value::Lambda(c) = v {
            self.heap.closure(c).forced.set(true);
        }
        v
    }

    /// The two values on top of the stack, when both are integers (the operands of most
    /// arithmetic and comparisons, which then need no pops and push).
    #[inline(always)]
    fn top_ints(&self) -> Option<(i64, i64)> {
        match *self.stack.as_slice() {
            [.., Value::Int(x), Value::Int(y)] => Some((x, y)),
            _ => None,
        }
    }

    /// Replaces the two values on top of the stack with `v`.
    #[inline(always)]
    fn replace_top_two(&mut self, v: Value) {
        self.stack.pop();
        if let Some(top) = self.stack.last_mut() {
            *top = v;
        }
    }

    #[inline]
    fn pop(&mut self) -> Value {
        self.stack.pop().unwrap_or(Value::Null)
    }

    #[inline(never)]
    fn capture_late(&mut self, v: Value, base: usize, up: UpvalueView, again: bool) {
        let code = match v {
            Value::Thunk(t) => match &self.heap.thunk(t).state {
                ThunkState::Code { code, upvalues, .. } if again || upvalues.is_none() => *code,
                _ => return,
            },
            Value::Lambda(c) => {
                let c = self.heap.closure(c);
                if !again && !c.upvalues.is_empty() {
                    return;
                }
                c.code
            }
            _ => return,
        };
        let proto = self.protos[code.0 as usize].clone();
        if proto.captures.is_empty() {
            return;
        }
        match v {
            Value::Thunk(t) => {
                let captured = self.capture_thunk(&proto.captures, base, up);
                if let ThunkState::Code { upvalues, .. } = &mut self.heap.thunk_mut(t).state {
                    upvalues.refill(captured);
                }
            }
            Value::Lambda(c) => {
                let captured = self.capture(&proto.captures, base, up);
                if let Obj::Closure(c) = self.heap.get_mut(c) {
                    refill(&mut c.upvalues, captured);
                }
            }
            _ => {}
        }
    }

    /// The global `sym` as the file `file` sees it (2026 files see `globals_2026` first).
    #[inline]
    fn global(&self, file: u32, sym: Symbol) -> Option<Value> {
        let overlay = match self.files[file as usize].edition {
            lix_editions::Edition::E2024 => None,
            lix_editions::Edition::E2026 => self.globals_2026.get(&sym),
        };
        overlay.or_else(|| self.globals.get(&sym)).copied()
    }

    #[inline(never)]
    /// The value `with_lookups[n]` finds without forcing anything: `None` when a `with` scope
    /// that must be searched is not yet an evaluated set, or none has the name.
    fn with_peek(&self, file: u32, n: u32, base: usize, up: UpvalueView) -> Option<Value> {
        let f = &self.files[file as usize];
        let lookup = &f.compiled.with_lookups[n as usize];
        let sym = f.names[lookup.name as usize];
        for &s in &lookup.scopes {
            let scope = match s {
                Slot::Local(n) => self.stack[base + n as usize],
                Slot::Upvalue(n) => up.get(n),
            };
            let Value::Attrs(g) = self.peek(scope) else { return None };
            if let Some(v) = self.heap.attrs(g).get(sym) {
                return Some(v);
            }
        }
        None
    }

    #[inline(never)]
    fn with_lookup(&mut self, file: u32, n: u32, base: usize, up: UpvalueView) -> EvalResult<Value> {
        let f = &self.files[file as usize];
        let lookup = &f.compiled.with_lookups[n as usize];
        let sym = f.names[lookup.name as usize];
        let read = |vm: &Self, s: Slot| match s {
            Slot::Local(n) => vm.stack[base + n as usize],
            Slot::Upvalue(n) => up.get(n),
        };
        let scoped = lookup.scoped.map(|s| read(self, s));
        let scopes: Vec<Value> = lookup.scopes.iter().map(|&s| read(self, s)).collect();
        if let Some(scope) = scoped {
            if let Value::Attrs(g) = self.force(scope)? {
                if let Some(v) = self.heap.attrs(g).get(sym) {
                    return Ok(v);
                }
            }
            if let Some(v) = self.global(file, sym) {
                return Ok(v);
            }
        }
        for scope in scopes {
            let ns = self.force(scope)?;
            let Value::Attrs(g) = ns else { return Err(self.expected(&ns, "a set")) };
            if let Some(v) = self.heap.attrs(g).get(sym) {
                return Ok(v);
            }
        }
        Err(EvalError::new(ErrorKind::Type, format!("undefined variable '{}'", self.symbols.text(sym))))
    }

    #[inline(never)]
    /// Applies `__overrides` (`overrides[n]` of `file`) to the scope of the frame at `base`
    /// (its upvalues `up`): the values they name replace the scope's own, and the scope's late
    /// closures and thunks capture the new ones.
    fn apply_overrides(&mut self, file: u32, n: u32, base: usize, up: UpvalueView) -> EvalResult<()> {
        let info = self.files[file as usize].compiled.overrides[n as usize].clone();
        let ov = self.force(self.stack[base + info.source as usize])?;
        let Value::Attrs(g) = ov else { return Err(self.expected(&ov, "a set")) };
        let mut replaced = Vec::new();
        for &(name, slot) in &info.targets {
            let sym = self.files[file as usize].names[name as usize];
            if let Some(v) = self.heap.attrs(g).get(sym) {
                self.stack[base + slot as usize] = v;
                replaced.push(slot);
            }
        }
        for &slot in info.late.iter().filter(|s| !replaced.contains(s)) {
            let v = self.stack[base + slot as usize];
            self.capture_late(v, base, up, true);
        }
        Ok(())
    }

    #[inline(never)]
    fn add_overrides(&mut self, file: u32, n: u32, base: usize, set: Value) -> EvalResult<Value> {
        let source = self.files[file as usize].compiled.overrides[n as usize].source;
        let ov = self.force(self.stack[base + source as usize])?;
        let (Value::Attrs(a), Value::Attrs(b)) = (set, ov) else { return Ok(set) };
        let mut entries = self.heap.attrs(a).entries.clone();
        for &(sym, v) in &self.heap.attrs(b).entries {
            match entries.binary_search_by_key(&sym, |e| e.0) {
                Ok(i) => entries[i].1 = v,
                Err(i) => entries.insert(i, (sym, v)),
            }
        }
        Ok(Value::Attrs(self.heap.alloc_attrs(Attrs { entries, positions: None })))
    }

    #[inline(never)]
    fn build_attrs(&mut self, file: u32, n: u32) -> Value {
        let (names, order) = &self.files[file as usize].shapes[n as usize];
        let at = self.stack.len() - names.len();
        let entries = entries_from(names, order, &self.stack[at..]);
        self.stack.truncate(at);
        let positions = Some(self.files[file as usize].shape_positions[n as usize].clone());
        // Even an empty set gets its own object: dynamic attributes may still be added.
        Value::Attrs(self.heap.alloc_attrs(Attrs { entries, positions }))
    }

    #[inline(never)]
    fn add_dynamic(&mut self, name: Value, value: Value, pos: Pos) -> EvalResult<()> {
        let name = self.force(name)?;
        if let Value::Null = name {
            return Ok(());
        }
        let sym = self.attr_name(name)?;
        let Some(&Value::Attrs(g)) = self.stack.last() else { return Ok(()) };
        let Obj::Attrs(attrs) = self.heap.get_mut(g) else { return Ok(()) };
        match attrs.entries.binary_search_by_key(&sym, |e| e.0) {
            Ok(_) => {
                let first = self.dynamic_attr_pos.iter().rev().find(|(s, n, _)| *s == g && *n == sym).map(|e| e.2);
                let at = first.map(|p| format!(" at {}", self.show_pos(p))).unwrap_or_default();
                Err(EvalError::type_error(format!("dynamic attribute '{}' already defined{at}", self.symbols.text(sym))))
            }
            Err(i) => {
                attrs.entries.insert(i, (sym, value));
                // Where recent dynamic attributes were defined, for the duplicate error.
                if self.dynamic_attr_pos.len() == DYNAMIC_POSITIONS_KEPT {
                    self.dynamic_attr_pos.pop_front();
                }
                self.dynamic_attr_pos.push_back((g, sym, pos));
                Ok(())
            }
        }
    }

    /// The symbol for an attribute name value (a string).
    #[inline(never)]
    pub(crate) fn attr_name(&mut self, name: Value) -> EvalResult<Symbol> {
        match name {
            // Interned straight from the heap (no copy of the name: `self.${name}` is common).
            Value::String(g) => Ok(self.intern_str(g)),
            v => Err(self.expected(&v, "a string")),
        }
    }

    #[inline(never)]
    fn select(&mut self, set: Value, sym: Symbol, hint: &Cell<u32>) -> EvalResult<Value> {
        match set {
            Value::Attrs(g) => match self.heap.attrs(g).get_hinted(sym, hint) {
                Some(v) => Ok(v),
                None => {
                    // As the reference shows it: the selection is a frame (the unwinding puts
                    // the position there), the message stands alone with its suggestions.
                    let mut e = self.missing_attr(sym, Some(g));
                    e.trace.push(TraceEntry {
                        message: format!("while evaluating the attribute '{}'", self.symbols.text(sym)),
                        pos: None,
                    });
                    Err(e)
                }
            },
            v => Err(self.expected(&v, "a set")),
        }
    }

    /// [`Vm::try_select`] by a computed name ([`Attrs::get_hinted_next`]).
    fn try_select_next(&self, set: Value, sym: Symbol, hint: &Cell<u32>) -> Option<Value> {
        match set {
            Value::Attrs(g) => self.heap.attrs(g).get_hinted_next(sym, hint),
            _ => None,
        }
    }

    fn try_select(&self, set: Value, sym: Symbol, hint: &Cell<u32>) -> Option<Value> {
        match set {
            Value::Attrs(g) => self.heap.attrs(g).get_hinted(sym, hint),
            _ => None,
        }
    }

    #[inline(never)]
    /// `{ file, line, column }` of `pos`, as `__curPos` and `unsafeGetAttrPos` give it.
    pub fn position_value(&mut self, pos: Pos) -> Value {
        let (line, col) = self.line_col(pos);
        let path = self.files[pos.file as usize].path.clone();
        let file = self.new_string(path.into_bytes());
        let entries = vec![
            (self.syms.file, file),
            (self.syms.line, Value::Int(line as i64)),
            (self.syms.column, Value::Int(col as i64)),
        ];
        self.new_attrs(Attrs::from_unsorted(entries))
    }

    fn lambda_name(proto: &RtProto) -> String {
        match &proto.kind {
            ProtoKind::Lambda { name: Some(n), .. } => format!("function '{n}'"),
            _ => "function 'anonymous lambda'".to_string(),
        }
    }

    #[inline(never)]
    fn check_pattern(&mut self, proto: &RtProto, n: u32, base: usize) -> EvalResult<()> {
        let arg = self.force(self.stack[base])?;
        self.stack[base] = arg;
        let Value::Attrs(g) = arg else { return Err(self.expected(&arg, "a set")) };
        let f = &self.files[proto.file as usize];
        let pattern = &f.compiled.patterns[n as usize];
        if pattern.ellipsis {
            return Ok(());
        }
        let attrs = self.heap.attrs(g);
        if attrs.entries.len() <= pattern.fields.len() {
            // Quick check: every attribute must be a field.
        }
        for (sym, _) in &attrs.entries {
            let known = pattern.fields.iter().any(|(name, _)| f.names[*name as usize] == *sym);
            if !known {
                let fields = pattern.fields.iter().map(|(name, _)| self.symbols.name(f.names[*name as usize]));
                let suggestion = self.did_you_mean(self.symbols.name(*sym), fields);
                return Err(EvalError::type_error(format!(
                    "{} called with unexpected argument '{}'{suggestion}",
                    Self::lambda_name(proto),
                    self.symbols.text(*sym)
                )));
            }
        }
        Ok(())
    }

    #[inline(never)]
    fn bind_field(
        &mut self,
        proto: &RtProto,
        pattern: u32,
        field: u32,
        slot: u32,
        base: usize,
        up: UpvalueView,
        hint: &Cell<u32>,
    ) -> EvalResult<()> {
        let Value::Attrs(g) = self.stack[base] else { return Ok(()) };
        let f = &self.files[proto.file as usize];
        let pattern = &f.compiled.patterns[pattern as usize];
        let (name, default) = pattern.fields[field as usize];
        let sym = f.names[name as usize];
        let v = match self.heap.attrs(g).get_hinted(sym, hint) {
            Some(v) => v,
            None => match default {
                Some(p) => match pattern.immediate[field as usize] {
                    // Bound as the reference binds it: the value itself, which prints as one.
                    Some(ImmediateDefault::Int(i)) => Value::Int(i),
                    Some(ImmediateDefault::Float(x)) => Value::Float(x),
                    Some(ImmediateDefault::Bool(b)) => Value::Bool(b),
                    Some(ImmediateDefault::Null) => Value::Null,
                    Some(ImmediateDefault::Str(n)) => Value::String(f.strings[n as usize]),
                    Some(ImmediateDefault::Path(n)) => Value::Path(f.paths[n as usize]),
                    Some(ImmediateDefault::Upvalue(k)) => up.get(k),
                    None => {
                        let code = CodeRef(proto.file_base + p);
                        Value::Thunk(self.heap.alloc_code_thunk(code, ThunkUpvalues::none(), 0))
                    }
                },
                None => {
                    return Err(EvalError::type_error(format!(
                        "{} called without required argument '{}'",
                        Self::lambda_name(proto),
                        self.symbols.text(sym)
                    )))
                }
            },
        };
        self.stack[base + slot as usize] = v;
        Ok(())
    }
}

/// What the inner lambda of a curried lambda captures at `slot`, when the outer one is called
/// with `arg` and has the upvalues `outer`: the outer lambda's frame holds only its argument.
#[inline(always)]
fn inner_capture(outer: &[Value], arg: Value, slot: Slot) -> Value {
    match slot {
        Slot::Local(_) => arg,
        Slot::Upvalue(n) => outer.get(n as usize).copied().unwrap_or(Value::Null),
    }
}

/// A set's entries: `names[i]` with the value `values[order[i]]`, in that order (the names
/// sorted). Each entry is written field by field: built whole and then copied (or sorted), the
/// copy's 16-byte load straddled the name's and the value's stores just made and waited for
/// them to reach the cache (a failed store forward).
fn entries_from(names: &[Symbol], order: &[u32], values: &[Value]) -> Vec<(Symbol, Value)> {
    debug_assert!(names.len() == values.len() && order.len() == values.len(), "a name for every value");
    let n = names.len().min(order.len());
    let mut entries: Vec<(Symbol, Value)> = Vec::with_capacity(n);
    let dst = entries.as_mut_ptr();
    for (i, (&name, &o)) in names.iter().zip(order).enumerate() {
        // (`order` is a permutation of the values' indices, made by the loader.)
        let v = values[o as usize];
        // SAFETY: `i < n <= capacity`; both fields are written before `set_len` exposes them.
        unsafe {
            let e = dst.add(i);
            std::ptr::addr_of_mut!((*e).0).write(name);
            std::ptr::addr_of_mut!((*e).1).write(v);
        }
    }
    // SAFETY: the first `n` entries were written above.
    unsafe { entries.set_len(n) };
    entries
}

/// Sets captured upvalues. Ones already captured are overwritten where they are, never moved
/// or freed, so that an [`UpvalueView`] of them stays valid whatever frame holds one.
fn refill(upvalues: &mut Upvalues, captured: Upvalues) {
    if upvalues.len() == captured.len() {
        upvalues.copy_from_slice(&captured);
    } else {
        *upvalues = captured;
    }
}

/// The value a capture of `slot` reads in a frame with `locals` and upvalues `up`.
#[inline(always)]
fn read_slot(locals: &[Value], up: UpvalueView, slot: Slot) -> Value {
    match slot {
        Slot::Local(n) => locals.get(n as usize).copied().unwrap_or(Value::Null),
        Slot::Upvalue(n) => up.get(n),
    }
}

/// The values of `captures`, read by `read`. Most closures and thunks capture none or one
/// value: those skip `SmallVec`'s general (growing) `extend`.
#[inline]
fn collect_upvalues(captures: &[Slot], mut read: impl FnMut(Slot) -> Value) -> Upvalues {
    match *captures {
        [] => Upvalues::new(),
        [s] => Upvalues::from_buf([read(s)]),
        _ => Upvalues::from_vec(captures.iter().map(|&s| read(s)).collect()),
    }
}

/// The error of a call past the maximum depth.
#[cold]
#[inline(never)]
fn too_deep() -> EvalError {
    EvalError::new(ErrorKind::StackOverflow, "stack overflow; max-call-depth exceeded")
}

/// `a OP b` when it can be computed without forcing anything and without failing.
#[inline(always)]
fn speculate(vm: &Vm, op: SpecOp, a: Value, b: Value) -> Option<Value> {
    // Integers, by far the most common operands, without the general match.
    if let (Value::Int(x), Value::Int(y)) = (a, b) {
        return match op {
            SpecOp::Add => x.checked_add(y).map(Value::Int),
            SpecOp::Sub => x.checked_sub(y).map(Value::Int),
            SpecOp::Mul => x.checked_mul(y).map(Value::Int),
            SpecOp::Less => Some(Value::Bool(x < y)),
            SpecOp::Eq => Some(Value::Bool(x == y)),
            SpecOp::NotEq => Some(Value::Bool(x != y)),
        };
    }
    speculate_other(vm, op, a, b)
}

/// [`speculate`] for operands that are not both integers.
#[inline(never)]
fn speculate_other(vm: &Vm, op: SpecOp, a: Value, b: Value) -> Option<Value> {
    use Value::{Bool, Float};
    match (op, a, b) {
        (SpecOp::Add, Float(x), Float(y)) => Some(Float(x + y)),
        (SpecOp::Sub, Float(x), Float(y)) => Some(Float(x - y)),
        (SpecOp::Mul, Float(x), Float(y)) => Some(Float(x * y)),
        (SpecOp::Eq | SpecOp::NotEq, _, _) => vm.shallow_equal(a, b).map(|eq| Bool(eq == (op == SpecOp::Eq))),
        _ => None,
    }
}

fn not_callable(vm: &Vm, v: &Value) -> EvalError {
    EvalError::type_error(format!(
        "attempt to call something which is not a function but {}: {}",
        v.show_type(),
        vm.show(*v)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_entries_take_their_values_by_order() {
        let ints = |e: &[(Symbol, Value)]| -> Vec<(u32, i64)> {
            e.iter().map(|(s, v)| (s.0, if let Value::Int(i) = v { *i } else { -1 })).collect()
        };
        // `{ b = 10; a = 20; c = 30; }` with a < b < c: the values come in source order.
        let names = [Symbol(1), Symbol(2), Symbol(3)];
        let entries = entries_from(&names, &[1, 0, 2], &[Value::Int(10), Value::Int(20), Value::Int(30)]);
        assert_eq!(ints(&entries), [(1, 20), (2, 10), (3, 30)]);
        assert!(entries_from(&[], &[], &[]).is_empty());
    }

    #[test]
    fn frames_stay_small() {
        // One per call level: deep recursion keeps tens of thousands of them. (56 since
        // `OnReturn::UpdateRelease`, 64, one cache line, since handles are 64 bits wide; making
        // `env` a plain handle with a reserved value for none brought it from 56 to 48 bytes,
        // but cost 0.4 % more instructions on fib and deeprec.)
        assert!(std::mem::size_of::<Frame>() <= 64, "Frame is {} bytes", std::mem::size_of::<Frame>());
    }
}
