//! Section 9, memory: what idle `TokenCaches` partitions weigh, each holding a typical token,
//! with `MemoryStores` and with `FileStores`, by the counting allocator's bytes still allocated.

use std::path::{Path, PathBuf};

use freshtoken::store::{FileStores, MemoryStores, PartitionStores};
use freshtoken::{AuthError, Token, TokenCaches, TokenSource};
use serde_json::{Value, json};
use tokio::runtime::Runtime;

use super::partitions::user_id;
use super::workloads::alloc;
use super::workloads::subjects::LIFETIME;

/// Partitions built for the memory figures.
pub(crate) const MEMORY_PARTITIONS: usize = 100_000;
/// The budget the guide documents for `MEMORY_PARTITIONS` idle partitions with the default
/// stores, their tokens included.
pub(crate) const MEMORY_BUDGET_MIB: f64 = 512.0;

/// A source that logs a user in with a token of typical size: an 800-byte JWT-like access
/// token, a refresh token, an expiry. Holds nothing, as a source sharing its HTTP client
/// through an `Arc` holds next to nothing per user.
#[derive(Clone, Copy)]
struct TypicalLogin;

/// A token of the size the memory figures are for.
fn typical_token() -> Token {
    let mut access = String::from("eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.");
    while access.len() < 800 {
        access.push_str("eyJzdWIiOiJ1c2VyIiwic2NvcGUiOiJyZWFkIHdyaXRlIn0");
    }
    access.truncate(800);
    Token::builder(access)
        .refresh_token("rt-8f14e45fceea167a5a36dedd4bea2543-0d61f8370cad1d412f80b84d143e1257")
        .expires_in(LIFETIME)
        .build()
        .expect("a typical token is valid")
}

impl TokenSource for TypicalLogin {
    async fn fetch(&self, _previous: Option<&Token>) -> Result<Token, AuthError> {
        Ok(typical_token())
    }
}

/// What `MEMORY_PARTITIONS` idle partitions weigh with one kind of store.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Weight {
    /// Bytes allocated per partition holding its token (counting allocator: requested sizes).
    pub(crate) bytes_per_partition: f64,
    /// Blocks allocated per partition: each costs the allocator a header and rounding more.
    pub(crate) blocks_per_partition: f64,
    /// Bytes still allocated per partition after every one was evicted (what the stores keep).
    pub(crate) bytes_per_evicted: f64,
}

impl Weight {
    #[allow(clippy::cast_precision_loss)] // 100,000 is exact in an f64
    pub(crate) fn total_mib(&self) -> f64 {
        self.bytes_per_partition * MEMORY_PARTITIONS as f64 / (1024.0 * 1024.0)
    }

    pub(crate) fn json(&self) -> Value {
        json!({
            "bytes_per_partition": self.bytes_per_partition,
            "blocks_per_partition": self.blocks_per_partition,
            "bytes_per_evicted_partition": self.bytes_per_evicted,
            "total_mib": self.total_mib(),
        })
    }
}

/// Bytes and blocks allocated from `before` to now, each per `count`.
fn live_since(before: (u64, u64), count: usize) -> (f64, f64) {
    let now = alloc::live();
    // Two's complement: a difference that shrank reads as negative.
    #[allow(clippy::cast_possible_wrap, clippy::cast_precision_loss)]
    let per = |now: u64, before: u64| now.wrapping_sub(before) as i64 as f64 / count as f64;
    (per(now.0, before.0), per(now.1, before.1))
}

/// Builds `MEMORY_PARTITIONS` partitions with `stores`, each logged in once, then weighs them.
fn weigh(rt: &Runtime, stores: impl PartitionStores) -> Weight {
    let before = alloc::live();
    let caches = TokenCaches::builder(|_user: &String| TypicalLogin)
        .max_partitions(MEMORY_PARTITIONS)
        .stores(stores)
        .build();
    let filled = rt.block_on(async {
        // A few users at a time: the file stores' writes run on the blocking pool.
        let workers: Vec<_> = (0..16)
            .map(|worker| {
                let caches = caches.clone();
                tokio::spawn(async move {
                    for n in (worker..MEMORY_PARTITIONS).step_by(16) {
                        caches.token(&user_id(n)).await.expect("the login answers");
                    }
                })
            })
            .collect();
        for worker in workers {
            worker.await.expect("a login task does not panic");
        }
        caches.len()
    });
    assert_eq!(filled, MEMORY_PARTITIONS, "every partition stays resident");
    let (bytes_per_partition, blocks_per_partition) = live_since(before, MEMORY_PARTITIONS);
    let evicted = caches.evict_idle();
    assert_eq!(evicted, MEMORY_PARTITIONS, "every partition was idle");
    let (bytes_per_evicted, _) = live_since(before, MEMORY_PARTITIONS);
    drop(caches);
    Weight {
        bytes_per_partition,
        blocks_per_partition,
        bytes_per_evicted,
    }
}

/// A directory for the file stores, removed when dropped (also when the run fails). On
/// tmpfs where there is one: the figures are about memory, and 100,000 synced writes to a
/// disk take minutes.
struct ScratchDir(PathBuf);

impl ScratchDir {
    fn new() -> Self {
        let shm = Path::new("/dev/shm");
        let base = if shm.is_dir() {
            shm.to_path_buf()
        } else {
            std::env::temp_dir()
        };
        let dir = base.join(format!("freshtoken-bench-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a scratch directory for the file stores");
        Self(dir)
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The weights with both kinds of store, and of one token alone for comparison.
pub(crate) struct Memory {
    pub(crate) memory_stores: Weight,
    pub(crate) file_stores: Weight,
    pub(crate) token_bytes: f64,
}

pub(crate) fn memory(rt: &Runtime) -> Memory {
    let before = alloc::live();
    let tokens: Vec<Token> = (0..1_000).map(|_| typical_token()).collect();
    let (token_bytes, _) = live_since(before, tokens.len());
    drop(tokens);
    let memory_stores = weigh(rt, MemoryStores::default());
    let dir = ScratchDir::new();
    let file_stores = weigh(rt, FileStores::new(&dir.0));
    Memory {
        memory_stores,
        file_stores,
        token_bytes,
    }
}
