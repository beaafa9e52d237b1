//! The garbage-collected heap: ours, precise and tracing.
//!
//! Objects live in one slot vector; a [`Gc`] handle is a slot index. Allocation pops a free slot
//! or appends one (constant time). Collection is mark and sweep: the VM hands over its roots
//! (the value stack, frames, handles held by native code, loaded files' constants), marking
//! follows every reference with an explicit work list (deep structures cannot overflow the
//! stack), and sweeping frees every unmarked slot. Cycles, which `rec` and `let` make all the
//! time, are collected like anything else.
//!
//! Collection only happens at the VM's safe points, where every live value is reachable from
//! the roots; native code that runs Nix code while holding values roots them first
//! ([`crate::Vm::root`]). In the stress mode (`LIXC_GC_STRESS=1`, a collection at every safe
//! point) every freed slot is poisoned: reading it through a stale handle panics instead of
//! returning another object's data, so a missing root is found there. (Otherwise only objects
//! that owned memory are replaced when freed; the others are left unread, see `owns`.)

use std::time::{Duration, Instant};

use crate::value::{Attrs, Closure, Gc, NixStr, PrimApp, Thunk, ThunkState, ThunkUpvalues, Value};

/// A heap object.
#[derive(Debug)]
pub enum Obj {
    /// A free slot.
    Free,
    /// A string or a path.
    Str(NixStr),
    /// A list.
    List(Box<[Value]>),
    /// An attribute set.
    Attrs(Attrs),
    /// A lambda.
    Closure(Closure),
    /// A thunk.
    Thunk(Thunk),
    /// A partial application of a builtin.
    PrimApp(PrimApp),
}

/// Counters for `LIXC_SHOW_STATS`.
#[derive(Clone, Debug, Default)]
pub struct GcStats {
    /// Objects allocated, in total.
    pub allocations: u64,
    /// Thunks allocated.
    pub thunks: u64,
    /// Collections run.
    pub collections: u64,
    /// Of those, full collections.
    pub full_collections: u64,
    /// Time spent in full collections.
    pub full_pause: Duration,
    /// Time spent collecting.
    pub pause: Duration,
    /// Most objects alive at once, as of the last collection (objects only accumulate between
    /// collections); [`Heap::peak_objects`] includes those allocated since.
    pub peak_objects: u64,
    /// Objects freed, in total.
    pub freed: u64,
}

/// The heap.
pub struct Heap {
    /// Object slots in fixed-size chunks: growing never moves or copies objects. (A chunk's
    /// size is in its type, so indexing within it needs no bounds check.)
    chunks: Vec<Box<[Obj; CHUNK]>>,
    /// Where new chunks come from once the heap has grown past its first ones.
    supply: ChunkSupply,
    /// Slots in use or freed (the next new slot's index).
    len: usize,
    /// One mark bit per slot.
    marks: Vec<u64>,
    /// One bit per slot: the object survived a collection (it is in the old generation).
    old: Vec<u64>,
    /// One bit per slot: the object may own memory outside its slot (a string's bytes, a list's
    /// items, spilled upvalues, ...) and must be dropped when it dies. An object without one
    /// (most evaluated thunks, closures with one upvalue, thunks with up to two) is freed
    /// without reading its slot, which would be a cache miss per dead object.
    owns: Vec<u64>,
    /// Old objects changed since the last collection (they may point to young ones), with a
    /// bit per slot so each is listed once.
    remembered: Vec<u32>,
    remembered_bits: Vec<u64>,
    /// Slots allocated since the last collection (the young generation).
    young: Vec<u32>,
    /// Bytes owned by old objects (as of when they were promoted or last measured).
    old_bytes: usize,
    /// Run a full collection once `old_bytes` exceeds this.
    major_threshold: usize,
    free: Vec<u32>,
    live: usize,
    /// Bytes allocated since the last collection (objects and what they own).
    since: usize,
    /// Bytes of string contents on the heap (strings never change size, so this is exact).
    str_bytes: usize,
    /// Collect when `since` exceeds this.
    threshold: usize,
    /// The nursery size that the survival rate of minor collections asks for ([`young_target`]).
    young_target: usize,
    /// Collect at every safe point.
    pub stress: bool,
    /// Returns seen in the stress mode.
    stress_returns: u32,
    /// Counters.
    pub stats: GcStats,
}

/// Slots per chunk (a power of two).
const CHUNK_BITS: usize = 16;
const CHUNK: usize = 1 << CHUNK_BITS;

/// Fewest bytes allocated between collections.
const MIN_THRESHOLD: usize = 32 << 20;

/// Most bytes allocated between collections.
const MAX_THRESHOLD: usize = 256 << 20;

/// Bytes to allocate before the next collection, given the bytes of the old generation and the
/// nursery size that survival has asked for ([`young_target`]): at least half the old
/// generation (within bounds), so a program whose objects live long (an overlay fixpoint keeps
/// every layer) does not trace the same growing structures in collection after collection that
/// free little, while one with a small live heap keeps a small nursery that stays in the cache.
fn nursery(old_bytes: usize, young_target: usize) -> usize {
    (old_bytes / 2).max(young_target).clamp(MIN_THRESHOLD, MAX_THRESHOLD)
}

/// The nursery size asked for after a minor collection in which `promoted` of `young` objects
/// survived, from the size `current` asked for before. Objects that survive a minor collection
/// are traced now and again in every full collection, and take their changes through the write
/// barrier; when many do (a quarter or more of the nursery, and enough to take milliseconds to
/// trace), the nursery was too small for them to die young, so it doubles, and when most do
/// (half or more: a program building a large structure it keeps, such as a package set), it
/// grows four times. Otherwise it halves back: a small nursery is reused while it is still in
/// the cache, without touching new memory, and its cost, sweeping, is the same for every size
/// when nearly everything dies.
fn young_target(current: usize, promoted: usize, young: usize) -> usize {
    if promoted < MANY_SURVIVORS || promoted * 4 < young {
        (current / 2).max(MIN_THRESHOLD)
    } else if promoted * 2 >= young {
        (current * 4).min(MAX_THRESHOLD)
    } else {
        (current * 2).min(MAX_THRESHOLD)
    }
}

/// Survivors of a minor collection that make it worth a larger nursery (about 5 ms of tracing).
const MANY_SURVIVORS: usize = 1 << 16;

/// The size of an object's slot.
const OBJ: usize = std::mem::size_of::<Obj>();
/// The size of a value.
const VALUE: usize = std::mem::size_of::<Value>();
/// The size of a set's entry.
const ENTRY: usize = std::mem::size_of::<(crate::symbol::Symbol, Value)>();

/// The bytes a string owns.
#[inline(always)]
fn str_size(s: &NixStr) -> usize {
    s.bytes.len() + s.context.iter().map(|c| c.len() + 16).sum::<usize>()
}

/// Whether dropping `obj` may free memory outside its slot, or must update the heap's counts.
#[inline(always)]
fn owns_memory(obj: &Obj) -> bool {
    match obj {
        Obj::Free => false,
        Obj::Str(_) => true,
        Obj::List(items) => !items.is_empty(),
        Obj::Attrs(a) => a.entries.capacity() > 0 || a.positions.is_some(),
        Obj::Closure(c) => c.upvalues.spilled(),
        Obj::PrimApp(p) => !p.args.is_empty(),
        Obj::Thunk(t) => thunk_owns_memory(&t.state),
    }
}

/// [`owns_memory`] for a thunk in state `state`.
#[inline(always)]
fn thunk_owns_memory(state: &ThunkState) -> bool {
    match state {
        ThunkState::Code { upvalues, .. } => upvalues.spilled(),
        ThunkState::Failed(_) => true,
        ThunkState::Apply { .. } | ThunkState::ApplyNamed { .. } | ThunkState::Done(_) => false,
    }
}

/// The bytes an object occupies, counting what it owns (a thunk's captured values only when
/// they are in a block of their own: this measures the live heap at a full collection, while
/// allocation counts every captured value, see [`Heap::alloc_code_thunk`]).
#[inline(always)]
fn obj_size(obj: &Obj) -> usize {
    OBJ + match obj {
        Obj::Free => 0,
        Obj::Str(s) => str_size(s),
        Obj::List(items) => items.len() * VALUE,
        Obj::Attrs(a) => a.entries.capacity() * ENTRY,
        Obj::Closure(c) => c.upvalues.len() * VALUE,
        Obj::PrimApp(p) => p.args.len() * VALUE,
        Obj::Thunk(t) => match &t.state {
            ThunkState::Code { upvalues, .. } => upvalues.owned_len() * VALUE,
            _ => 0,
        },
    }
}

impl Default for Heap {
    fn default() -> Self {
        Heap {
            chunks: Vec::new(),
            supply: ChunkSupply::default(),
            len: 0,
            marks: Vec::new(),
            old: Vec::new(),
            owns: Vec::new(),
            remembered: Vec::new(),
            remembered_bits: Vec::new(),
            young: Vec::new(),
            old_bytes: 0,
            major_threshold: MIN_THRESHOLD,
            free: Vec::new(),
            live: 0,
            since: 0,
            str_bytes: 0,
            threshold: MIN_THRESHOLD,
            young_target: MIN_THRESHOLD,
            stress: false,
            stress_returns: 0,
            stats: GcStats::default(),
        }
    }
}

/// A chunk of free slots. Its pages are made present in one request to the kernel before they
/// are written: on the VMs we measure on, taking a page fault for each of a new chunk's 640
/// pages one at a time costs several times more.
fn new_chunk() -> FreshChunk {
    let layout = std::alloc::Layout::new::<[Obj; CHUNK]>();
    // SAFETY: the layout has a non-zero size; every slot is written before the memory is
    // owned by the `Box`, whose layout is the one allocated with.
    unsafe {
        let p = std::alloc::alloc(layout).cast::<Obj>();
        if p.is_null() {
            std::alloc::handle_alloc_error(layout);
        }
        prefault(p.cast(), layout.size());
        for i in 0..CHUNK {
            p.add(i).write(Obj::Free);
        }
        FreshChunk(Box::from_raw(p.cast::<[Obj; CHUNK]>()))
    }
}

/// A chunk whose every slot is [`Obj::Free`].
struct FreshChunk(Box<[Obj; CHUNK]>);

// SAFETY: a free slot holds no data (no handle, pointer or shared payload), so a chunk of them
// may be made on one thread and used on another.
unsafe impl Send for FreshChunk {}

/// Chunks made ahead of need on a helper thread. Making a chunk (populating its 2.5 MiB of
/// pages and marking every slot free) is work that the evaluation would otherwise wait for
/// (populating alone was 6 % of a package set's evaluation); the helper does it on another
/// core while the evaluation fills the previous chunk. It starts with the heap's
/// second chunk (a small program never starts it), keeps at most one chunk ready, and ends
/// when the heap is dropped. When no chunk is ready the evaluation makes its own.
#[derive(Default)]
struct ChunkSupply {
    /// Asks the helper for one more chunk; `None` until the helper is started (or when it
    /// could not be).
    ask: Option<std::sync::mpsc::Sender<()>>,
    /// The helper's chunks.
    ready: Option<std::sync::mpsc::Receiver<FreshChunk>>,
    /// A chunk has been asked for and not yet taken.
    asked: bool,
}

impl ChunkSupply {
    /// The next chunk for a heap that has `have` chunks.
    #[cold]
    #[inline(never)]
    fn next(&mut self, have: usize) -> Box<[Obj; CHUNK]> {
        if have >= 1 && self.ask.is_none() {
            self.start();
        }
        let chunk = match self.ready.as_ref().map(|r| r.try_recv()) {
            Some(Ok(chunk)) => {
                self.asked = false;
                chunk
            }
            _ => new_chunk(),
        };
        if !self.asked {
            // (A helper that has ended is not asked again: the chunks are made here.)
            self.asked = self.ask.as_ref().is_some_and(|ask| ask.send(()).is_ok());
        }
        chunk.0
    }

    fn start(&mut self) {
        let (ask, asked) = std::sync::mpsc::channel::<()>();
        let (give, ready) = std::sync::mpsc::sync_channel::<FreshChunk>(1);
        let helper = std::thread::Builder::new().name("lixc-heap".into()).spawn(move || {
            for () in asked {
                if give.send(new_chunk()).is_err() {
                    break;
                }
            }
        });
        if helper.is_ok() {
            self.ask = Some(ask);
            self.ready = Some(ready);
        }
    }
}

/// Asks the kernel to make the whole pages within `len` bytes at `p` present and writable now
/// (a hint: kernels without `MADV_POPULATE_WRITE` refuse it, and the pages fault in later).
fn prefault(p: *mut u8, len: usize) {
    #[cfg(target_os = "linux")]
    {
        const PAGE: usize = 4096;
        let start = (p as usize).next_multiple_of(PAGE);
        let end = (p as usize + len) / PAGE * PAGE;
        if end > start {
            // SAFETY: the range lies within one allocation of ours; populating changes no
            // contents (the pages are fresh, or keep what they hold).
            unsafe { libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_POPULATE_WRITE) };
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = (p, len);
}

impl Heap {
    /// Allocates `obj`. (Always inlined: where the kind of object is known, what it owns is
    /// worked out without matching on it.)
    #[inline(always)]
    pub fn alloc(&mut self, obj: Obj) -> Gc {
        if let Obj::Str(s) = &obj {
            self.str_bytes += str_size(s);
        }
        let (size, owns) = (obj_size(&obj), owns_memory(&obj));
        self.alloc_sized(obj, size, owns)
    }

    /// Allocates `obj`, which occupies `size` bytes in all ([`obj_size`]) and may own memory
    /// outside its slot if `owns` ([`owns_memory`]).
    ///
    /// Inlined with the `alloc_*` functions into their callers, so that the object is written
    /// into its slot from where the caller has it, and the bookkeeping (`claim`) is one call.
    /// With all of it in one function called with the object, the object was built on the
    /// stack and copied into the slot with 16-byte loads that straddled the 8-byte stores that
    /// had just built it, and waited for them to reach the cache (a failed store forward).
    #[inline(always)]
    fn alloc_sized(&mut self, obj: Obj, size: usize, owns: bool) -> Gc {
        let (g, slot) = self.claim(size, owns);
        // SAFETY: `claim` gives a slot that holds `Obj::Free` or a dead object that owns
        // nothing (see `owns`): overwriting it without dropping it loses nothing (and saves a
        // call of `Obj`'s drop glue per allocation).
        unsafe { slot.write(obj) };
        g
    }

    /// The bookkeeping of an allocation of `size` bytes that may own memory if `owns`: takes
    /// a free slot (or a new one), records it as young and counts it. The caller writes the
    /// object into the slot before anything else reads the heap.
    #[inline(never)]
    fn claim(&mut self, size: usize, owns: bool) -> (Gc, *mut Obj) {
        self.since += size;
        self.live += 1;
        self.stats.allocations += 1;
        let i = if let Some(i) = self.free.pop() {
            let i = i as usize;
            // (A free slot is never old: sweeps free young objects, and a full collection
            // leaves only survivors old.)
            debug_assert!(self.old[i / 64] & (1 << (i % 64)) == 0, "free slot {i} is old");
            i
        } else {
            let i = self.len;
            if i >> CHUNK_BITS == self.chunks.len() {
                let chunk = self.supply.next(self.chunks.len());
                self.chunks.push(chunk);
                let words = self.chunks.len() * CHUNK / 64;
                self.marks.resize(words, 0);
                self.old.resize(words, 0);
                self.owns.resize(words, 0);
                self.remembered_bits.resize(words, 0);
            }
            self.len += 1;
            i
        };
        let (word, bit) = (i / 64, 1u64 << (i % 64));
        if owns {
            self.owns[word] |= bit;
        } else {
            self.owns[word] &= !bit;
        }
        self.young.push(i as u32);
        (Gc(i as u64), self.slot_mut(i))
    }

    #[inline]
    fn slot(&self, i: usize) -> &Obj {
        &self.chunks[i >> CHUNK_BITS][i & (CHUNK - 1)]
    }

    #[inline]
    fn slot_mut(&mut self, i: usize) -> &mut Obj {
        &mut self.chunks[i >> CHUNK_BITS][i & (CHUNK - 1)]
    }

    /// Allocates a string.
    #[inline(always)]
    pub fn alloc_str(&mut self, s: NixStr) -> Gc {
        let bytes = str_size(&s);
        self.str_bytes += bytes;
        self.alloc_sized(Obj::Str(s), OBJ + bytes, true)
    }

    /// Allocates a list.
    #[inline(always)]
    pub fn alloc_list(&mut self, items: Box<[Value]>) -> Gc {
        let (size, owns) = (OBJ + items.len() * VALUE, !items.is_empty());
        self.alloc_sized(Obj::List(items), size, owns)
    }

    /// Allocates an attribute set.
    #[inline(always)]
    pub fn alloc_attrs(&mut self, attrs: Attrs) -> Gc {
        let cap = attrs.entries.capacity();
        let (size, owns) = (OBJ + cap * ENTRY, cap > 0 || attrs.positions.is_some());
        self.alloc_sized(Obj::Attrs(attrs), size, owns)
    }

    /// Allocates a thunk in a state other than code to run (a thunk of code is made by
    /// [`Heap::alloc_code_thunk`], which counts its captured values).
    #[inline(always)]
    pub fn alloc_thunk(&mut self, state: ThunkState) -> Gc {
        debug_assert!(!matches!(state, ThunkState::Code { .. }), "a code thunk through alloc_thunk");
        self.stats.thunks += 1;
        let owns = thunk_owns_memory(&state);
        self.alloc_sized(Obj::Thunk(Thunk { state }), OBJ, owns)
    }

    /// Allocates a thunk of `code` with the `captures` values `upvalues` (none yet for a thunk
    /// made before its captures). Each captured value
    /// counts as 16 bytes towards the next collection, held in the slot or not, as it did when
    /// only one was held there: the collection schedule of a program does not depend on
    /// where its thunks keep their values.
    #[inline(always)]
    pub fn alloc_code_thunk(&mut self, code: crate::value::CodeRef, upvalues: ThunkUpvalues, captures: usize) -> Gc {
        self.stats.thunks += 1;
        let owns = upvalues.spilled();
        self.alloc_sized(Obj::Thunk(Thunk { state: ThunkState::Code { code, upvalues, forcing: false } }), OBJ + captures * VALUE, owns)
    }

    /// Allocates a closure.
    #[inline(always)]
    pub fn alloc_closure(&mut self, closure: Closure) -> Gc {
        let (size, owns) = (OBJ + closure.upvalues.len() * VALUE, closure.upvalues.spilled());
        self.alloc_sized(Obj::Closure(closure), size, owns)
    }

    /// Whether a safe point should collect now.
    #[inline]
    pub fn wants_collection(&self) -> bool {
        self.stress || self.since > self.threshold
    }

    /// Whether a return (a lesser safe point: there are many more of them than calls) should
    /// collect now. The stress mode collects at one return in 1024, so that loops that build
    /// large structures without calls (which are collected at every call) stay fast enough
    /// while every kind of safe point is still exercised.
    #[inline]
    pub fn wants_collection_at_return(&mut self) -> bool {
        if self.since > self.threshold {
            return true;
        }
        if self.stress {
            self.stress_returns = self.stress_returns.wrapping_add(1);
            return self.stress_returns & 1023 == 0;
        }
        false
    }

    /// Most objects alive at once so far.
    pub fn peak_objects(&self) -> u64 {
        self.stats.peak_objects.max(self.live as u64)
    }

    /// Objects alive after the last collection plus those allocated since.
    pub fn live_objects(&self) -> usize {
        self.live
    }

    /// The object behind `g`.
    #[inline]
    pub fn get(&self, g: Gc) -> &Obj {
        self.slot(g.0 as usize)
    }

    /// The object behind `g`, mutably. This is the write barrier: an old object changed here is
    /// remembered, since it may now point to young objects.
    #[inline(always)]
    pub fn get_mut(&mut self, g: Gc) -> &mut Obj {
        let i = g.0 as usize;
        let (word, bit) = (i / 64, 1u64 << (i % 64));
        self.remember(i);
        // What the caller changes may come to own memory.
        self.owns[word] |= bit;
        self.slot_mut(i)
    }

    /// The write barrier: old object `i` is about to change, so it may point to young ones.
    #[inline(always)]
    fn remember(&mut self, i: usize) {
        let (word, bit) = (i / 64, 1u64 << (i % 64));
        if self.old[word] & bit != 0 && self.remembered_bits[word] & bit == 0 {
            self.remembered_bits[word] |= bit;
            self.remembered.push(i as u32);
        }
    }

    /// Sets thunk `g` to its value (which owns nothing outside the slot; what the thunk owned
    /// before is dropped here).
    #[inline(always)]
    pub fn set_done(&mut self, g: Gc, v: Value) {
        let i = g.0 as usize;
        self.remember(i);
        match self.slot_mut(i) {
            Obj::Thunk(t) => t.state = ThunkState::Done(v),
            other => dangling(g, "thunk", other),
        }
        self.owns[i / 64] &= !(1u64 << (i % 64));
    }

    /// The string behind `g`.
    #[inline]
    pub fn str(&self, g: Gc) -> &NixStr {
        match self.get(g) {
            Obj::Str(s) => s,
            other => dangling(g, "string", other),
        }
    }

    /// The list behind `g`.
    #[inline]
    pub fn list(&self, g: Gc) -> &[Value] {
        match self.get(g) {
            Obj::List(l) => l,
            other => dangling(g, "list", other),
        }
    }

    /// The set behind `g`.
    #[inline]
    pub fn attrs(&self, g: Gc) -> &Attrs {
        match self.get(g) {
            Obj::Attrs(a) => a,
            other => dangling(g, "set", other),
        }
    }

    /// The closure behind `g`.
    #[inline]
    pub fn closure(&self, g: Gc) -> &Closure {
        match self.get(g) {
            Obj::Closure(c) => c,
            other => dangling(g, "closure", other),
        }
    }

    /// The thunk behind `g`.
    #[inline]
    pub fn thunk(&self, g: Gc) -> &Thunk {
        match self.get(g) {
            Obj::Thunk(t) => t,
            other => dangling(g, "thunk", other),
        }
    }

    /// The thunk behind `g`, mutably.
    #[inline(always)]
    pub fn thunk_mut(&mut self, g: Gc) -> &mut Thunk {
        match self.get_mut(g) {
            Obj::Thunk(t) => t,
            other => dangling(g, "thunk", other),
        }
    }

    /// Whether thunk `g` is being forced.
    #[inline]
    pub fn forcing(&self, g: Gc) -> bool {
        self.thunk(g).state.forcing()
    }

    /// Marks thunk `g` as being forced, or not.
    #[inline]
    pub fn set_forcing(&mut self, g: Gc, on: bool) {
        // (No write barrier: the flag refers to nothing.)
        match self.slot_mut(g.0 as usize) {
            Obj::Thunk(t) => {
                if let Some(forcing) = t.state.forcing_mut() {
                    *forcing = on;
                }
            }
            other => dangling(g, "thunk", other),
        }
    }

    /// The partial application behind `g`.
    #[inline]
    pub fn prim_app(&self, g: Gc) -> &PrimApp {
        match self.get(g) {
            Obj::PrimApp(p) => p,
            other => dangling(g, "partial application", other),
        }
    }

    /// Collects garbage: a minor collection (only objects allocated since the last one are
    /// traced and freed; old objects are assumed alive and those changed since are traced as
    /// roots) or, when the old generation has grown enough, a full one.
    pub fn collect(&mut self, roots: impl IntoIterator<Item = Value>, extra: impl IntoIterator<Item = Gc>, full: bool) {
        let start = Instant::now();
        self.stats.peak_objects = self.peak_objects();
        let major =
            full || self.old_bytes >= self.major_threshold || (self.stress && self.stats.collections % 4 == 3);
        if major {
            self.collect_major(roots, extra);
            self.stats.full_collections += 1;
            self.stats.full_pause += start.elapsed();
        } else {
            self.collect_minor(roots, extra);
        }
        self.since = 0;
        self.stats.collections += 1;
        self.stats.pause += start.elapsed();
    }

    /// Traces the work list; returns the objects traced and the bytes they own. In a minor
    /// collection old objects are not entered (except those put on the list on purpose).
    ///
    /// Reading an object's slot is usually a cache miss, so objects pass through a small
    /// queue between leaving the work list and being traced: each slot is prefetched when it
    /// enters the queue and read `PIPELINE` objects later, when it has arrived.
    fn trace(&mut self, work: &mut Vec<u32>, minor: bool) -> (usize, usize) {
        const PIPELINE: usize = 16;
        let mut queue = [0u32; PIPELINE];
        let (mut head, mut queued) = (0usize, 0usize);
        let mut traced = 0usize;
        let mut traced_bytes = 0usize;
        loop {
            while queued < PIPELINE {
                let Some(i) = work.pop() else { break };
                prefetch(self.slot(i as usize));
                queue[(head + queued) % PIPELINE] = i;
                queued += 1;
            }
            if queued == 0 {
                break;
            }
            let i = queue[head];
            head = (head + 1) % PIPELINE;
            queued -= 1;
            let marks = &mut self.marks;
            let old = if minor { Some(self.old.as_slice()) } else { None };
            let obj = &self.chunks[i as usize >> CHUNK_BITS][i as usize & (CHUNK - 1)];
            traced += 1;
            if !minor {
                traced_bytes += obj_size(obj);
            }
            let mut mark_value = |v: Value| {
                mark_value(marks, old, work, v);
            };
            match obj {
                Obj::Free | Obj::Str(_) => {}
                // Evaluated thunks are not short-circuited here: native code may hold a thunk
                // it read from a container, trusting the container to keep it alive.
                Obj::List(items) => items.iter().for_each(|v| mark_value(*v)),
                Obj::Attrs(a) => a.entries.iter().for_each(|(_, v)| mark_value(*v)),
                Obj::Closure(c) => c.upvalues.iter().for_each(|v| mark_value(*v)),
                Obj::PrimApp(p) => p.args.iter().for_each(|v| mark_value(*v)),
                Obj::Thunk(t) => match &t.state {
                    ThunkState::Code { upvalues, .. } => upvalues.as_slice().iter().for_each(|v| mark_value(*v)),
                    ThunkState::Apply { f, arg, .. } | ThunkState::ApplyNamed { f, arg, .. } => {
                        mark_value(*f);
                        mark_value(*arg);
                    }
                    ThunkState::Done(v) => mark_value(*v),
                    ThunkState::Failed(_) => {}
                },
            }
        }
        (traced, traced_bytes)
    }

    /// Frees slot `i` of a dead object: dropped if it may own memory, else only made free
    /// (its slot is left as it is, unread; in the stress mode every freed slot is poisoned, so
    /// that a stale handle fails at once).
    #[inline(always)]
    fn free_dead(&mut self, i: usize) {
        if self.stress || self.owns[i / 64] & (1 << (i % 64)) != 0 {
            self.free_slot(i);
        } else {
            self.free.push(i as u32);
        }
    }

    /// Frees slot `i`, dropping its object.
    fn free_slot(&mut self, i: usize) {
        let old = std::mem::replace(self.slot_mut(i), Obj::Free);
        if let Obj::Str(s) = &old {
            self.str_bytes -= str_size(s);
        }
        self.free.push(i as u32);
    }

    fn forget_remembered(&mut self) {
        for &r in &self.remembered {
            let r = r as usize;
            self.remembered_bits[r / 64] &= !(1 << (r % 64));
        }
        self.remembered.clear();
    }

    fn collect_minor(&mut self, roots: impl IntoIterator<Item = Value>, extra: impl IntoIterator<Item = Gc>) {
        let mut work: Vec<u32> = Vec::new();
        for v in roots {
            mark_value(&mut self.marks, Some(&self.old), &mut work, v);
        }
        for g in extra {
            mark(&mut self.marks, Some(&self.old), &mut work, g.0 as u32, true);
        }
        // Changed old objects are traced like roots.
        work.extend_from_slice(&self.remembered);
        self.trace(&mut work, true);
        let young = std::mem::take(&mut self.young);
        let mut freed = 0;
        for &i in &young {
            let i = i as usize;
            let (word, bit) = (i / 64, 1u64 << (i % 64));
            if self.marks[word] & bit != 0 {
                self.marks[word] &= !bit;
                self.old[word] |= bit;
            } else {
                self.free_dead(i);
                freed += 1;
            }
        }
        // The promoted objects' bytes, estimated from the share of young objects that survived
        // (measuring each would read its slot again, a cache miss per survivor).
        let promoted = young.len() - freed;
        self.old_bytes += (self.since as u128 * promoted as u128 / young.len().max(1) as u128) as usize;
        self.young = young;
        self.young.clear();
        self.forget_remembered();
        self.live -= freed;
        self.stats.freed += freed as u64;
        self.young_target = young_target(self.young_target, promoted, promoted + freed);
        self.threshold = nursery(self.old_bytes, self.young_target);
    }

    fn collect_major(&mut self, roots: impl IntoIterator<Item = Value>, extra: impl IntoIterator<Item = Gc>) {
        let mut work: Vec<u32> = Vec::new();
        for v in roots {
            mark_value(&mut self.marks, None, &mut work, v);
        }
        for g in extra {
            mark(&mut self.marks, None, &mut work, g.0 as u32, true);
        }
        // Live bytes: traced objects are measured as they are traced; strings are counted
        // exactly by `str_bytes`; each leaf adds its slot.
        let (traced, traced_bytes) = self.trace(&mut work, false);
        // Every object is old or young: the dead are the unmarked old ones (found a word of
        // the bitmaps at a time, without reading free slots) and the unmarked young ones.
        let mut freed = 0;
        for word in 0..self.marks.len() {
            let mut dead = self.old[word] & !self.marks[word];
            while dead != 0 {
                let i = word * 64 + dead.trailing_zeros() as usize;
                dead &= dead - 1;
                self.free_dead(i);
                freed += 1;
            }
        }
        let young = std::mem::take(&mut self.young);
        for &i in &young {
            let i = i as usize;
            if self.marks[i / 64] & (1 << (i % 64)) == 0 {
                self.free_dead(i);
                freed += 1;
            }
        }
        self.young = young;
        // Every survivor is old now.
        std::mem::swap(&mut self.old, &mut self.marks);
        self.marks.iter_mut().for_each(|w| *w = 0);
        self.young.clear();
        self.forget_remembered();
        let live_objects = self.live - freed;
        let leaves = live_objects.saturating_sub(traced);
        let live_bytes = traced_bytes + leaves * std::mem::size_of::<Obj>() + self.str_bytes;
        self.live = live_objects;
        self.stats.freed += freed as u64;
        self.old_bytes = live_bytes;
        self.major_threshold = MIN_THRESHOLD.max(live_bytes * 2);
        self.threshold = nursery(live_bytes, self.young_target);
    }
}

/// Marks slot `i`; queues it for tracing when it is new and may hold references.
#[inline(always)]
fn mark(marks: &mut [u64], old: Option<&[u64]>, work: &mut Vec<u32>, i: u32, has_children: bool) {
    let (word, bit) = (i as usize / 64, 1u64 << (i % 64));
    if old.is_some_and(|old| old[word] & bit != 0) {
        return;
    }
    if marks[word] & bit == 0 {
        marks[word] |= bit;
        if has_children {
            work.push(i);
        }
    }
}

/// Marks the object `v` refers to (see [`mark`]).
#[inline(always)]
fn mark_value(marks: &mut [u64], old: Option<&[u64]>, work: &mut Vec<u32>, v: Value) {
    match v {
        Value::String(g) | Value::Path(g) => mark(marks, old, work, g.0 as u32, false),
        Value::List(g) | Value::Attrs(g) | Value::Lambda(g) | Value::PrimApp(g) | Value::Thunk(g) => {
            mark(marks, old, work, g.0 as u32, true)
        }
        Value::Null | Value::Bool(_) | Value::Int(_) | Value::Float(_) | Value::Builtin(_) => {}
    }
}

/// Asks the processor to start loading `obj` into the cache.
#[inline(always)]
fn prefetch(obj: &Obj) {
    prefetch_address((obj as *const Obj).cast());
}

#[inline(always)]
fn prefetch_address(p: *const i8) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch is a hint; it reads nothing and cannot fault, whatever the address.
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(p);
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

#[cold]
#[inline(never)]
fn dangling(g: Gc, expected: &str, found: &Obj) -> ! {
    let what = match found {
        Obj::Free => "a freed slot (a value was not rooted across a collection)",
        Obj::Str(_) => "a string",
        Obj::List(_) => "a list",
        Obj::Attrs(_) => "a set",
        Obj::Closure(_) => "a closure",
        Obj::Thunk(_) => "a thunk",
        Obj::PrimApp(_) => "a partial application",
    };
    panic!("internal error: heap object #{} should be a {expected} but is {what}", g.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::symbol::Symbol;

    #[test]
    fn cycles_are_collected() {
        let mut heap = Heap::default();
        for _ in 0..1000 {
            // t -> set -> t: a cycle, unreachable after the iteration.
            let t = heap.alloc_thunk(ThunkState::Done(Value::Null));
            let set = heap.alloc_attrs(Attrs { entries: vec![(Symbol(0), Value::Thunk(t))], positions: None });
            heap.thunk_mut(t).state = ThunkState::Done(Value::Attrs(set));
        }
        assert_eq!(heap.live_objects(), 2000);
        heap.collect(std::iter::empty(), std::iter::empty(), true);
        assert_eq!(heap.live_objects(), 0);
    }

    #[test]
    fn minor_collections_keep_young_objects_that_changed_old_ones_point_to() {
        let mut heap = Heap::default();
        let t = heap.alloc_thunk(ThunkState::Done(Value::Null));
        heap.collect([Value::Thunk(t)], [], true);
        // `t` is old; give it a young value through the write barrier.
        let young = heap.alloc_list(vec![Value::Int(7)].into());
        let garbage = heap.alloc_list(vec![Value::Int(8)].into());
        heap.thunk_mut(t).state = ThunkState::Done(Value::List(young));
        heap.collect([Value::Thunk(t)], [], false);
        assert!(matches!(heap.get(young), Obj::List(_)), "reachable only through an old object");
        assert!(matches!(heap.get(garbage), Obj::Free), "young garbage goes in a minor collection");
        // Old garbage waits for a full collection.
        heap.thunk_mut(t).state = ThunkState::Done(Value::Null);
        heap.collect([Value::Thunk(t)], [], false);
        assert!(matches!(heap.get(young), Obj::List(_)));
        heap.collect([Value::Thunk(t)], [], true);
        assert!(matches!(heap.get(young), Obj::Free));
    }

    #[test]
    fn the_helper_starts_with_the_second_chunk_and_makes_chunks_of_free_slots() {
        let mut supply = ChunkSupply::default();
        let first = supply.next(0);
        assert!(supply.ask.is_none(), "a heap of one chunk has no helper");
        assert!(first.iter().all(|o| matches!(o, Obj::Free)));
        let _second = supply.next(1);
        assert!(supply.asked, "the helper is asked for the third chunk at once");
        let third = supply.ready.as_ref().map(|r| r.recv());
        assert!(matches!(third, Some(Ok(c)) if c.0.iter().all(|o| matches!(o, Obj::Free))));
    }

    #[test]
    fn a_growing_heap_keeps_every_object_whoever_made_its_chunk() {
        let mut heap = Heap::default();
        let lists: Vec<Gc> = (0..4 * CHUNK as i64).map(|n| heap.alloc_list(vec![Value::Int(n)].into())).collect();
        assert_eq!(heap.chunks.len(), 4);
        assert!(heap.supply.ask.is_some(), "the helper starts with the second chunk");
        for (n, g) in lists.iter().enumerate() {
            assert!(matches!(heap.get(*g), Obj::List(items) if matches!(items[..], [Value::Int(v)] if v == n as i64)));
        }
        // A fifth chunk: all of it but its first slot is free, whoever made it.
        heap.alloc_list(Vec::new().into());
        assert_eq!(heap.chunks.len(), 5);
        assert!((4 * CHUNK + 1..5 * CHUNK).all(|i| matches!(heap.slot(i), Obj::Free)));
    }

    fn owns(heap: &Heap, g: Gc) -> bool {
        heap.owns[g.0 as usize / 64] & (1 << (g.0 % 64)) != 0
    }

    #[test]
    fn objects_that_may_own_memory_are_known_and_dropped() {
        let mut heap = Heap::default();
        let done = heap.alloc_thunk(ThunkState::Done(Value::Int(1)));
        assert!(!owns(&heap, done), "an evaluated thunk owns nothing");
        let two = ThunkUpvalues::from_fn(2, |_| Value::Null);
        let code = heap.alloc_code_thunk(crate::value::CodeRef(0), two, 2);
        assert!(!owns(&heap, code), "two upvalues are held in the thunk's slot");
        let spilled = ThunkUpvalues::from_fn(3, |_| Value::Null);
        let code = heap.alloc_code_thunk(crate::value::CodeRef(0), spilled, 3);
        assert!(owns(&heap, code), "spilled upvalues are owned memory");
        // A change through `get_mut` may add memory; setting the value drops it again.
        heap.thunk_mut(done).state = ThunkState::Failed(Box::new(crate::error::EvalError::new(
            crate::error::ErrorKind::Other,
            "failed",
        )));
        assert!(owns(&heap, done));
        heap.set_done(code, Value::Null);
        assert!(!owns(&heap, code));
        // Dead strings are always dropped: the count of string bytes goes back to zero.
        let s = heap.alloc_str(NixStr { bytes: b"abc".as_slice().into(), context: Box::new([]) });
        assert!(owns(&heap, s));
        assert_eq!(heap.str_bytes, 3);
        heap.collect(std::iter::empty(), std::iter::empty(), false);
        assert_eq!((heap.str_bytes, heap.live_objects()), (0, 0));
        // Freed slots are reused.
        let again = heap.alloc_thunk(ThunkState::Done(Value::Null));
        assert!(again.0 < 4);
    }

    #[test]
    fn the_nursery_grows_while_many_survive_and_shrinks_back() {
        let many = MANY_SURVIVORS;
        // A third of a large nursery survived: it doubles; half or more: it grows four times;
        // up to the maximum.
        assert_eq!(young_target(MIN_THRESHOLD, many, 3 * many), 2 * MIN_THRESHOLD);
        assert_eq!(young_target(MIN_THRESHOLD, many, 2 * many), 4 * MIN_THRESHOLD);
        assert_eq!(young_target(MIN_THRESHOLD, 2 * many, 2 * many), 4 * MIN_THRESHOLD);
        assert_eq!(young_target(MAX_THRESHOLD / 2, many, 3 * many), MAX_THRESHOLD);
        assert_eq!(young_target(MAX_THRESHOLD, many, 2 * many), MAX_THRESHOLD);
        // A high share of few survivors, or a low share of many: it halves, down to the minimum.
        assert_eq!(young_target(4 * MIN_THRESHOLD, 10, 20), 2 * MIN_THRESHOLD);
        assert_eq!(young_target(4 * MIN_THRESHOLD, many, 10 * many), 2 * MIN_THRESHOLD);
        assert_eq!(young_target(MIN_THRESHOLD, 0, many), MIN_THRESHOLD);
        // The old generation's half still sets the least size.
        assert_eq!(nursery(200 << 20, MIN_THRESHOLD), 100 << 20);
        assert_eq!(nursery(0, 128 << 20), 128 << 20);
    }

    #[test]
    fn a_collection_where_many_survive_grows_the_next_nursery() {
        let mut heap = Heap::default();
        let keep = |heap: &mut Heap, n: usize| -> Vec<Value> {
            (0..n).map(|_| Value::Thunk(heap.alloc_thunk(ThunkState::Done(Value::Null)))).collect()
        };
        // A third survives: the nursery doubles.
        let items = keep(&mut heap, MANY_SURVIVORS);
        keep(&mut heap, 2 * MANY_SURVIVORS);
        let kept = heap.alloc_list(items.into());
        heap.collect([Value::List(kept)], [], false);
        assert_eq!(heap.threshold, 2 * MIN_THRESHOLD);
        // All of it survives: four times that.
        let items = keep(&mut heap, MANY_SURVIVORS);
        let kept2 = heap.alloc_list(items.into());
        heap.collect([Value::List(kept), Value::List(kept2)], [], false);
        assert_eq!(heap.threshold, 8 * MIN_THRESHOLD);
        // Then everything dies young: it halves back.
        keep(&mut heap, MANY_SURVIVORS);
        heap.collect([Value::List(kept), Value::List(kept2)], [], false);
        assert_eq!(heap.threshold, 4 * MIN_THRESHOLD);
    }

    #[test]
    fn objects_stay_small() {
        // Every value that is not a scalar is one of these; their size is the heap's size.
        assert!(std::mem::size_of::<Obj>() <= 40, "Obj is {} bytes", std::mem::size_of::<Obj>());
    }

    #[test]
    fn roots_survive_and_slots_are_reused() {
        let mut heap = Heap::default();
        let kept = heap.alloc_list(vec![Value::Int(1)].into());
        let s = heap.alloc_str(NixStr { bytes: b"x".as_slice().into(), context: Box::new([]) });
        let holder = heap.alloc_list(vec![Value::String(s)].into());
        let _garbage = heap.alloc_list(Vec::new().into());
        heap.collect([Value::List(kept)], [holder], true);
        assert_eq!(heap.live_objects(), 3);
        assert_eq!(&*heap.str(s).bytes, b"x");
        let reused = heap.alloc_list(Vec::new().into());
        assert_eq!(reused, Gc(3));
    }
}
