//! A caller on the fast path allocates nothing: reading the cached token and cloning its
//! prebuilt `Authorization` header copy no bytes.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::time::Duration;

use freshtoken::TokenCache;
use freshtoken_tests::GatedSource;

/// Counts the allocations made by the current thread.
struct CountingAllocator;

thread_local! {
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

#[allow(unsafe_code)] // a global allocator cannot be written without it
// SAFETY: every call is forwarded unchanged to the system allocator.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.with(|n| n.set(n.get() + 1));
        // SAFETY: same contract as ours.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as ours.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

fn allocations() -> u64 {
    ALLOCATIONS.with(Cell::get)
}

#[tokio::test(flavor = "current_thread")]
async fn reading_a_fresh_token_and_its_header_allocates_nothing() {
    let cache = TokenCache::new(GatedSource::open(Duration::from_secs(3600)));
    // The first call fetches, and warms the thread's lock-free bookkeeping.
    let first = cache.token().await.unwrap();
    drop(first.authorization().clone());

    let before = allocations();
    for _ in 0..10_000 {
        let token = cache.token().await.unwrap();
        let header = token.authorization().clone();
        assert!(header.is_sensitive());
        assert!(cache.fresh_token().is_some());
    }
    assert_eq!(allocations() - before, 0);
}
