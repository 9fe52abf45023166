// Input: every allocation the process makes.
// Output: how many there were, so a workload can count those of the calls it makes, and how
// many bytes are allocated and not yet freed, so it can weigh what a structure keeps.

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};

use super::subjects::Subject;

/// The system allocator, counting allocations (not deallocations) process-wide.
pub(crate) struct CountingAlloc;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

/// Bytes asked for and not yet given back (the sizes callers request: the allocator's own
/// rounding and headers are not in it).
static LIVE_BYTES: AtomicU64 = AtomicU64::new(0);

/// Blocks allocated and not yet freed: each costs the allocator a header and rounding.
static LIVE_BLOCKS: AtomicU64 = AtomicU64::new(0);

#[global_allocator]
static GLOBAL: CountingAlloc = CountingAlloc;

// A global allocator cannot be written without `unsafe`; this one only counts and forwards
// every call unchanged to `System`.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        LIVE_BYTES.fetch_add(layout.size() as u64, Ordering::Relaxed);
        LIVE_BLOCKS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: the caller's contract for `alloc` is passed on unchanged.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        LIVE_BYTES.fetch_add(layout.size() as u64, Ordering::Relaxed);
        LIVE_BLOCKS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: the caller's contract for `alloc_zeroed` is passed on unchanged.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // Wrapping: the sum over all threads is exact even when a shrink is counted first.
        LIVE_BYTES.fetch_add(
            (new_size as u64).wrapping_sub(layout.size() as u64),
            Ordering::Relaxed,
        );
        // SAFETY: the caller's contract for `realloc` is passed on unchanged.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE_BYTES.fetch_sub(layout.size() as u64, Ordering::Relaxed);
        LIVE_BLOCKS.fetch_sub(1, Ordering::Relaxed);
        // SAFETY: the caller's contract for `dealloc` is passed on unchanged.
        unsafe { System.dealloc(ptr, layout) }
    }
}

/// Allocations made by the whole process so far.
pub(crate) fn allocations() -> u64 {
    ALLOCATIONS.load(Ordering::Relaxed)
}

/// Bytes and blocks allocated by the whole process and not yet freed. (Each wraps around
/// below zero: take differences with `wrapping_sub`.)
#[allow(dead_code)] // the criterion benchmark counts allocations only; `bench_report` weighs
pub(crate) fn live() -> (u64, u64) {
    (
        LIVE_BYTES.load(Ordering::Relaxed),
        LIVE_BLOCKS.load(Ordering::Relaxed),
    )
}

/// Allocations per read of `subject`, over `calls` reads in one task on the current runtime
/// (after one read to warm up thread-local state). Counts every thread's allocations, so a
/// refresh or a task the read started would show.
pub(crate) async fn per_call<T: Subject>(subject: T, calls: u64) -> f64 {
    let counted = tokio::spawn(async move {
        black_box(subject.read().await);
        let before = allocations();
        for _ in 0..calls {
            black_box(subject.read().await);
        }
        allocations() - before
    })
    .await
    .expect("the counting task does not panic");
    #[allow(clippy::cast_precision_loss)] // counts far below 2^52
    let per_call = counted as f64 / calls as f64;
    per_call
}
