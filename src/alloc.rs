//! The global allocator: mimalloc, with the evaluation thread's memory made present ahead of
//! need by a helper thread.
//!
//! Evaluation allocates memory faster than anything else `lixc` does, and every fresh page of
//! it costs a page fault (a trap, a page taken and cleared by the kernel) on the evaluation's
//! own time: for a package set that was about a tenth of the evaluation. So the thread that
//! evaluates ([`evaluation_arena`]) allocates from a range of address space of its own,
//! which mimalloc hands out from its start upwards; the allocator notes how far up the range
//! it has handed out blocks, and a helper thread keeps the pages just above that present
//! (`MADV_POPULATE_WRITE`), a little ahead of the evaluation, on the machine's other core.
//! Populating far ahead does not help: clearing many pages at once on another core pushes
//! the evaluation's own data out of the shared cache. A few mebibytes ahead (a 32nd of what
//! is in use, between 2 and 8 MiB) are used soon after they are cleared, and cost that much
//! memory at most; a program that uses less than 16 MiB of the range never wakes the helper.
//!
//! Where the system gives transparent huge pages on request (its `madvise` mode, the usual
//! default), the range asks for them: the evaluation reads its objects all over its memory,
//! and with 2 MiB pages a few hundred entries of the processor's address cache cover a
//! package set's heap, where 4 KiB pages missed it at nearly every object. Measured against
//! 4 KiB pages in the same range (alternating runs): attrsets −30 %, strings −20 %, lists
//! −20 %, laziness −9 %, minipkgs −5 %, derivations −10 %, peak memory +1 to +6 MiB (a
//! small program's pages are whole huge pages). Asking only past the range's first 16 MiB
//! kept small programs as they were but cost minipkgs 2 to 3 %. The rest of mimalloc's
//! memory keeps 4 KiB pages (see `Cargo.toml` on `no_thp`).
//!
//! Without the range (another thread, another command, a process that may run on one
//! processor only, or a system that refuses the reservation) allocation is plain mimalloc.

use std::alloc::{GlobalAlloc, Layout};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::OnceLock;

/// mimalloc, called directly for the alignments every mimalloc block has anyway (as the
/// standard library's `System` does with `malloc`); `mimalloc::MiMalloc` always goes through
/// mimalloc's aligned entry points, which cost about 20 instructions more per allocation.
pub struct Mimalloc;

/// The alignment of every mimalloc block of at least that size (`MI_MAX_ALIGN_SIZE`).
const MI_MAX_ALIGN: usize = 16;

/// Whether `mi_malloc` alone gives `align` for `size` bytes (Rust sizes are multiples of
/// their alignment, and mimalloc's size classes of multiples of 16 are multiples of 16).
#[inline]
fn natural(align: usize, size: usize) -> bool {
    align <= MI_MAX_ALIGN && align <= size
}

// SAFETY: every function forwards to the mimalloc function with the same contract; the
// unaligned ones only when `natural` holds, so the blocks are aligned as the layout asks.
// Noting a block's end reads nothing of the block.
unsafe impl GlobalAlloc for Mimalloc {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        use libmimalloc_sys::{mi_malloc, mi_malloc_aligned};
        let p: *mut u8 = if natural(layout.align(), layout.size()) {
            mi_malloc(layout.size()).cast()
        } else {
            mi_malloc_aligned(layout.size(), layout.align()).cast()
        };
        note(p, layout.size());
        p
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        use libmimalloc_sys::{mi_zalloc, mi_zalloc_aligned};
        let p: *mut u8 = if natural(layout.align(), layout.size()) {
            mi_zalloc(layout.size()).cast()
        } else {
            mi_zalloc_aligned(layout.size(), layout.align()).cast()
        };
        note(p, layout.size());
        p
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, _layout: Layout) {
        libmimalloc_sys::mi_free(ptr.cast());
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        use libmimalloc_sys::{mi_realloc, mi_realloc_aligned};
        let p: *mut u8 = if natural(layout.align(), new_size) {
            mi_realloc(ptr.cast(), new_size).cast()
        } else {
            mi_realloc_aligned(ptr.cast(), new_size, layout.align()).cast()
        };
        note(p, new_size);
        p
    }
}

/// The address space reserved for the evaluation thread. Only what is used (or populated a
/// little ahead) becomes memory, but the evaluation cannot use more than this: past it,
/// allocation fails and the process ends with the standard library's report of a failed
/// allocation, as it would when the system runs out of memory. (Evaluating all of nixpkgs
/// takes tens of GiB at most.)
const RANGE: usize = 256 << 30;

/// The start of the range; the top of the address space (where no block is) until it is
/// reserved.
static START: AtomicUsize = AtomicUsize::new(usize::MAX - RANGE + 1);

/// The highest end of a block handed out in the range so far.
static HIGH: AtomicUsize = AtomicUsize::new(0);

/// When `HIGH` passes this, the helper is woken (`usize::MAX` while it is awake).
static WAKE_AT: AtomicUsize = AtomicUsize::new(usize::MAX);

/// The helper that populates the range.
static HELPER: OnceLock<std::thread::Thread> = OnceLock::new();

/// The smallest use of the range at which the helper starts: programs that stay below it
/// keep the memory they touch and no more.
const FIRST_WAKE: usize = 16 << 20;

/// Records that a block of `size` bytes at `p` has been handed out.
#[inline(always)]
fn note(p: *mut u8, size: usize) {
    let at = p as usize;
    if at.wrapping_sub(START.load(Relaxed)) < RANGE && at + size > HIGH.load(Relaxed) {
        grow(at + size);
    }
}

/// The evaluation's memory has grown up to `end`: wakes the helper if it has come close to
/// what the helper made present.
#[cold]
fn grow(end: usize) {
    HIGH.store(end, Relaxed);
    if end > WAKE_AT.load(Relaxed) {
        WAKE_AT.store(usize::MAX, Relaxed);
        if let Some(helper) = HELPER.get() {
            helper.unpark();
        }
    }
}

/// Makes the calling thread allocate from a range of its own whose pages a helper thread
/// populates ahead of need (see the module's documentation). Called once, by the thread
/// that evaluates, before it starts; later calls, processes that may run on one processor
/// only, and systems where the range cannot be reserved or handed to mimalloc, change
/// nothing.
pub fn evaluation_arena() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // On one processor the helper would take its time from the evaluation's, and huge
        // pages would be cleared there too: plain mimalloc is faster.
        if std::thread::available_parallelism().map_or(true, |n| n.get() < 2) {
            return;
        }
        if let Some(start) = reserve() {
            START.store(start, Relaxed);
            WAKE_AT.store(start + FIRST_WAKE, Relaxed);
            let helper = std::thread::Builder::new().name("lixc-pages".into()).spawn(move || populate(start));
            if let Ok(helper) = helper {
                let _ = HELPER.set(helper.thread().clone());
            }
        }
    });
}

/// Reserves the range, gives it to mimalloc as an arena for this thread alone, and makes this
/// thread's allocations come from it; returns where it starts.
fn reserve() -> Option<usize> {
    #[cfg(target_os = "linux")]
    // SAFETY: a fresh anonymous private mapping, which nothing else refers to, is handed to
    // mimalloc for good (as committed and zeroed, which it is; mimalloc's purging is off, so
    // it never gives pages back). The heap made in it becomes this thread's default heap; the
    // blocks of the previous one stay valid, and are freed wherever they are.
    unsafe {
        // (Mapped with room to start at a multiple of mimalloc's segment size, so that the
        // range's huge pages line up with its segments.)
        const ALIGN: usize = 32 << 20;
        let mapped = libc::mmap(
            std::ptr::null_mut(),
            RANGE + ALIGN,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
            -1,
            0,
        );
        if mapped == libc::MAP_FAILED {
            return None;
        }
        let head = (mapped as usize).next_multiple_of(ALIGN) - mapped as usize;
        if head > 0 {
            libc::munmap(mapped, head);
        }
        if head < ALIGN {
            libc::munmap(mapped.cast::<u8>().add(head + RANGE).cast(), ALIGN - head);
        }
        let p: *mut libc::c_void = mapped.cast::<u8>().add(head).cast();
        if huge_pages_on_request() {
            // mimalloc turned transparent huge pages off for the whole process when it
            // started (the `no_thp` feature: its own memory stays in 4 KiB pages); they come
            // back for the range alone.
            if libc::prctl(libc::PR_SET_THP_DISABLE, 0, 0, 0, 0) == 0 {
                libc::madvise(p, RANGE, libc::MADV_HUGEPAGE);
            }
        }
        let mut arena: libmimalloc_sys::mi_arena_id_t = 0;
        if !libmimalloc_sys::mi_manage_os_memory_ex(p, RANGE, true, false, true, -1, true, &mut arena) {
            libc::munmap(p, RANGE);
            return None;
        }
        let heap = libmimalloc_sys::mi_heap_new_in_arena(arena);
        if heap.is_null() {
            return None;
        }
        libmimalloc_sys::mi_heap_set_default(heap);
        Some(p as usize)
    }
    #[cfg(not(target_os = "linux"))]
    None
}

/// Whether the system gives transparent huge pages to the memory that asks for them, and only
/// to that (`madvise` mode). In `always` mode the range stays in 4 KiB pages like the rest of
/// the process's memory: asking would change nothing there but lifting mimalloc's switch,
/// which would give huge pages to all of its memory.
#[cfg(target_os = "linux")]
fn huge_pages_on_request() -> bool {
    std::fs::read_to_string("/sys/kernel/mm/transparent_hugepage/enabled").is_ok_and(|mode| mode.contains("[madvise]"))
}

/// The helper: whenever woken, makes the pages from the evaluation's highest block up to a
/// 32nd of its use above it (at least 2 MiB, at most 8 MiB) present, and asks to be woken
/// again when the evaluation is halfway through them.
fn populate(start: usize) {
    const MIB: usize = 1 << 20;
    /// Populated ranges end at a huge page's boundary, so that the pages are whole.
    const HUGE: usize = 2 * MIB;
    let mut done = start;
    std::thread::park();
    loop {
        let high = HIGH.load(Relaxed);
        let ahead = (high.saturating_sub(start) / 32).clamp(HUGE, 8 * MIB);
        let from = done.max(high.next_multiple_of(4096));
        let to = (high + ahead).next_multiple_of(HUGE).min(start + RANGE);
        if to > from {
            #[cfg(target_os = "linux")]
            // SAFETY: the pages lie in the range, which stays mapped for the life of the
            // process; populating changes no contents (fresh pages, or pages that keep what
            // they hold).
            unsafe {
                libc::madvise(from as *mut libc::c_void, to - from, libc::MADV_POPULATE_WRITE);
            }
            done = to;
        }
        let mark = done - ahead / 2;
        WAKE_AT.store(mark, Relaxed);
        // (Unless the evaluation has passed the mark meanwhile: then at once. An unpark that
        // comes between the two loads makes the next park return at once, which is harmless.)
        if HIGH.load(Relaxed) <= mark {
            std::thread::park();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whether the page at `at` is in memory.
    fn resident(at: usize) -> bool {
        let page = at / 4096 * 4096;
        let mut present = 0u8;
        // SAFETY: `page` lies in the mapped range; `mincore` writes one byte for one page.
        let r = unsafe { libc::mincore(page as *mut libc::c_void, 4096, &mut present) };
        r == 0 && present & 1 == 1
    }

    // (The test binary's global allocator is `Mimalloc`, as `main.rs` declares it.)
    #[test]
    fn the_evaluating_thread_allocates_in_its_range_and_the_helper_populates_ahead_of_it() {
        std::thread::spawn(|| {
            evaluation_arena();
            let start = START.load(Relaxed);
            assert_ne!(start, usize::MAX - RANGE + 1, "the range was not reserved");
            // 40 MiB in blocks of 64 KiB: past the use at which the helper starts.
            let blocks: Vec<Box<[u8]>> = (0..640).map(|i| vec![i as u8; 64 << 10].into_boxed_slice()).collect();
            assert!(blocks.iter().all(|b| (b.as_ptr() as usize).wrapping_sub(start) < RANGE));
            let high = HIGH.load(Relaxed);
            assert!(high >= start + 40 * (64 << 10) && high < start + RANGE);
            // The helper keeps at least 2 MiB above the highest block present, up to a huge
            // page's boundary: a page past the boundary that follows the block (which a huge
            // page of the block itself would not reach) has to be made present by it.
            let ahead = high.next_multiple_of(2 << 20) + 4096;
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
            while !resident(ahead) {
                assert!(std::time::Instant::now() < deadline, "the page {ahead:#x} above {high:#x} was never made present");
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
            assert_eq!(blocks[639][0], (639 % 256) as u8);
            // Blocks of the range are freed by other threads too.
            std::thread::spawn(move || drop(blocks)).join().unwrap();
        })
        .join()
        .unwrap();
    }
}
