// Input: every allocation the process makes.
// Output: how many there were, so a workload can count those of the calls it makes.

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};

use super::subjects::Subject;

/// The system allocator, counting allocations (not deallocations) process-wide.
pub(crate) struct CountingAlloc;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

#[global_allocator]
static GLOBAL: CountingAlloc = CountingAlloc;

// A global allocator cannot be written without `unsafe`; this one only counts and forwards
// every call unchanged to `System`.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: the caller's contract for `alloc` is passed on unchanged.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: the caller's contract for `alloc_zeroed` is passed on unchanged.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: the caller's contract for `realloc` is passed on unchanged.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller's contract for `dealloc` is passed on unchanged.
        unsafe { System.dealloc(ptr, layout) }
    }
}

/// Allocations made by the whole process so far.
pub(crate) fn allocations() -> u64 {
    ALLOCATIONS.load(Ordering::Relaxed)
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
