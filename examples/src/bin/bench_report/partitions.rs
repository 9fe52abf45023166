//! Section 9: `TokenCaches`, a `TokenCache` per user. What a hit on a user's partition costs
//! beside a plain `TokenCache` read (1 thread, and 4 threads each on a user of its own), what
//! the partition's handle costs, and (`partition_memory.rs`) what an idle partition weighs.

use std::future::{Future, ready};
use std::hint::black_box;
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use freshtoken::{AuthError, Token, TokenCache, TokenCaches};
use serde_json::{Value, json};
use tokio::runtime::Runtime;

use super::partition_memory::{MEMORY_BUDGET_MIB, MEMORY_PARTITIONS, Memory, Weight, memory};
use super::workloads::subjects::{Cache, Issuer, Subject, fresh_cache};
use super::{Target, interleaved, median, ns_per_call};

/// Sample pairs of a partition hit beside a plain read, and reads per sample (some ms).
const PAIRS: usize = 100;
const CALLS: u64 = 200_000;
/// Threads of the contended comparison, each on a user (or a plain cache) of its own.
const THREADS: usize = 4;
/// Users resident beside the ones read, so the hit looks its user up in a table of some size.
const RESIDENT_USERS: usize = 1_000;
/// The target: a hit on a partition at most this many times a plain `TokenCache` read.
const HIT_TARGET: f64 = 1.5;

/// A user id as services have them: a UUID's 36 characters, different for each `n`.
pub(crate) fn user_id(n: usize) -> String {
    // A multiplicative hash spreads neighbouring numbers over every digit.
    let mixed = (n as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    format!(
        "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
        mixed >> 32,
        (mixed >> 16) & 0xffff,
        mixed & 0xfff,
        (mixed >> 20) & 0xfff,
        n
    )
}

/// `caches.token(&user).await` on a partition holding a fresh token.
#[derive(Clone)]
struct PartitionHit {
    caches: TokenCaches<String, Issuer>,
    user: String,
}

impl Subject for PartitionHit {
    type Output = Result<Arc<Token>, AuthError>;

    fn read(&self) -> impl Future<Output = Self::Output> + Send {
        self.caches.token(&self.user)
    }
}

/// `caches.cache(&user)`: the partition's handle, dropped after the read.
#[derive(Clone)]
struct PartitionHandle(PartitionHit);

impl Subject for PartitionHandle {
    type Output = TokenCache<Issuer>;

    fn read(&self) -> impl Future<Output = Self::Output> + Send {
        ready(self.0.caches.cache(&self.0.user))
    }
}

/// A clone of a plain `TokenCache`: what a handle costs without a lookup.
#[derive(Clone)]
struct HandleClone(TokenCache<Issuer>);

impl Subject for HandleClone {
    type Output = TokenCache<Issuer>;

    fn read(&self) -> impl Future<Output = Self::Output> + Send {
        ready(self.0.clone())
    }
}

/// Caches with `RESIDENT_USERS` users holding fresh tokens, and the subjects of `THREADS`
/// of them.
fn resident_caches(rt: &Runtime) -> Vec<PartitionHit> {
    let caches = TokenCaches::builder(|_user: &String| Issuer::default()).build();
    rt.block_on(async {
        for n in 0..RESIDENT_USERS {
            caches.token(&user_id(n)).await.expect("the issuer answers");
        }
    });
    (0..THREADS)
        .map(|n| PartitionHit {
            caches: caches.clone(),
            user: user_id(n * 97),
        })
        .collect()
}

/// Two subjects measured in turns: medians and the spread of the pairs' ratios.
#[derive(Debug, Clone, Copy)]
struct Pair {
    a_ns: f64,
    b_ns: f64,
    /// Quartiles of the ratio a / b of the two samples of each pair.
    p25: f64,
    p50: f64,
    p75: f64,
}

impl Pair {
    fn of(a: &[Duration], b: &[Duration], reads: u64) -> Self {
        let ns = |samples: &[Duration]| {
            median(
                samples
                    .iter()
                    .map(|time| ns_per_call(*time, reads))
                    .collect(),
            )
        };
        let mut ratios: Vec<f64> = a
            .iter()
            .zip(b)
            .map(|(a, b)| a.as_secs_f64() / b.as_secs_f64())
            .collect();
        ratios.sort_by(f64::total_cmp);
        let quartile = |q: usize| ratios[(ratios.len() - 1) * q / 4];
        Self {
            a_ns: ns(a),
            b_ns: ns(b),
            p25: quartile(1),
            p50: median(ratios.clone()),
            p75: quartile(3),
        }
    }

    fn json(&self) -> Value {
        json!({
            "partition_ns": self.a_ns,
            "plain_ns": self.b_ns,
            "pair_ratio_p25": self.p25,
            "pair_ratio_p50": self.p50,
            "pair_ratio_p75": self.p75,
        })
    }
}

/// Wall time of `calls` reads in each of `subjects.len()` threads at once (each thread its
/// own subject and current-thread runtime), from the moment all are ready to the last's end.
fn threads_sample<T: Subject>(subjects: &[T], calls: u64) -> Duration {
    let ready = Barrier::new(subjects.len() + 1);
    std::thread::scope(|scope| {
        let threads: Vec<_> = subjects
            .iter()
            .map(|subject| {
                let ready = &ready;
                scope.spawn(move || {
                    let rt = tokio::runtime::Builder::new_current_thread()
                        .build()
                        .expect("a current-thread runtime");
                    ready.wait();
                    rt.block_on(async {
                        for _ in 0..calls {
                            black_box(subject.read().await);
                        }
                    });
                })
            })
            .collect();
        ready.wait();
        let started = Instant::now();
        for thread in threads {
            thread.join().expect("a reading thread does not panic");
        }
        started.elapsed()
    })
}

/// As `super::interleaved`, with `THREADS` threads per sample.
fn interleaved_threads<A: Subject, B: Subject>(
    a: &[A],
    b: &[B],
    pairs: usize,
    calls: u64,
) -> (Vec<Duration>, Vec<Duration>) {
    let (mut a_samples, mut b_samples) = (Vec::new(), Vec::new());
    for pair in 0..pairs {
        if pair % 2 == 0 {
            a_samples.push(threads_sample(a, calls));
            b_samples.push(threads_sample(b, calls));
        } else {
            b_samples.push(threads_sample(b, calls));
            a_samples.push(threads_sample(a, calls));
        }
    }
    (a_samples, b_samples)
}

/// The hit and the handle beside their plain counterparts, after a warm-up each.
struct Timings {
    hit: Pair,
    /// Per read of wall time over all threads' reads.
    hit_threads: Pair,
    handle: Pair,
}

fn timings(rt: &Runtime) -> Timings {
    let hits = resident_caches(rt);
    let plains: Vec<Cache> = (0..THREADS).map(|_| Cache(fresh_cache())).collect();
    let (hit, plain) = (&hits[0], &plains[0]);
    interleaved(rt, hit, plain, PAIRS / 10, CALLS);
    let (a, b) = interleaved(rt, hit, plain, PAIRS, CALLS);
    let hit_pair = Pair::of(&a, &b, CALLS);

    let calls = CALLS / 2;
    interleaved_threads(&hits, &plains, PAIRS / 10, calls);
    let (a, b) = interleaved_threads(&hits, &plains, PAIRS, calls);
    let hit_threads = Pair::of(&a, &b, calls * THREADS as u64);

    let handle = PartitionHandle(hit.clone());
    let clone = HandleClone(plain.0.clone());
    interleaved(rt, &handle, &clone, PAIRS / 10, CALLS);
    let (a, b) = interleaved(rt, &handle, &clone, PAIRS, CALLS);
    Timings {
        hit: hit_pair,
        hit_threads,
        handle: Pair::of(&a, &b, CALLS),
    }
}

/// Section 9's figures.
pub(crate) struct PartitionFigures {
    t: Timings,
    m: Memory,
}

/// Measures section 9.
pub(crate) fn partitions(rt: &Runtime) -> PartitionFigures {
    let t = timings(rt);
    let m = memory(rt);
    PartitionFigures { t, m }
}

impl PartitionFigures {
    pub(crate) fn table(&self) -> String {
        let (t, m) = (&self.t, &self.m);
        let pair = |name: &str, p: &Pair| {
            format!(
                "| {name} | {:.1} ns/call | {:.1} ns/call | {:.3}x ({:.3}x–{:.3}x) |\n",
                p.a_ns, p.b_ns, p.p50, p.p25, p.p75
            )
        };
        let weight = |name: &str, w: &Weight| {
            format!(
                "| {name} | {:.0} B | {:.1} | {:.0} B | {:.1} MiB |\n",
                w.bytes_per_partition,
                w.blocks_per_partition,
                w.bytes_per_evicted,
                w.total_mib()
            )
        };
        format!(
            "\n9. `TokenCaches`: a partition per user (a 36-character user id, {RESIDENT_USERS} users \
             resident), samples in turns\n\
             | measurement | partition | plain `TokenCache` | per pair: median (quartiles) |\n\
             |---|---:|---:|---:|\n\
             {}{}{}\
             \n{PAIRS} pairs of {CALLS} reads each ({THREADS} threads: {} reads each, ns of wall \
             time per read).\n\
             \n| {MEMORY_PARTITIONS} idle partitions, each with a token of an 800-byte access token, \
             a refresh token, an expiry | allocated per partition | blocks per partition | kept \
             per evicted partition | allocated in all |\n\
             |---|---:|---:|---:|---:|\n\
             {}{}\
             \nOne such token alone: {:.0} B allocated.\n",
            pair(
                "1 thread: `caches.token(&user).await` / `cache.token().await`",
                &t.hit
            ),
            pair(
                &format!("{THREADS} threads, a user each: the same / a cache each"),
                &t.hit_threads
            ),
            pair(
                "1 thread: `caches.cache(&user)` / `cache.clone()`",
                &t.handle
            ),
            CALLS / 2,
            weight(
                "`MemoryStores` (the default; the store's copy counted)",
                &m.memory_stores
            ),
            weight("`FileStores` (files on tmpfs, not counted)", &m.file_stores),
            m.token_bytes,
        )
    }

    pub(crate) fn targets(&self) -> Vec<Target> {
        let (t, m) = (&self.t, &self.m);
        let total = m.memory_stores.total_mib();
        vec![
            Target {
                name: "partition hit <= 1.5x a plain `TokenCache::token()`, 1 thread (per-pair median)",
                measured: format!("{:.3}x", t.hit.p50),
                met: t.hit.p50 <= HIT_TARGET,
            },
            Target {
                name: "partition hit <= 1.5x a plain `TokenCache::token()`, 4 threads on distinct users (per-pair median)",
                measured: format!("{:.3}x", t.hit_threads.p50),
                met: t.hit_threads.p50 <= HIT_TARGET,
            },
            Target {
                name: "100,000 idle partitions with `MemoryStores` within 512 MiB allocated",
                measured: format!("{total:.1} MiB"),
                met: total <= MEMORY_BUDGET_MIB,
            },
        ]
    }

    pub(crate) fn json(&self) -> Value {
        let (t, m) = (&self.t, &self.m);
        json!({
            "hit_1_thread": t.hit.json(),
            "hit_threads": t.hit_threads.json(),
            "threads": THREADS,
            "handle_1_thread": t.handle.json(),
            "resident_users": RESIDENT_USERS,
            "pairs": PAIRS,
            "calls_per_sample": CALLS,
            "memory_partitions": MEMORY_PARTITIONS,
            "memory_stores": m.memory_stores.json(),
            "file_stores": m.file_stores.json(),
            "typical_token_bytes": m.token_bytes,
        })
    }
}
