// Input: partitions made on demand, looked up by key (and scope set) on every call.
// Output: at most `cap` of them in memory, the least recently used evicted first, but never
// one that is in use: a clone held outside, a refresh under way, a token not yet saved.
//
// A sharded hash table (hashbrown's `HashTable`, so the key is hashed once for both the shard
// and the slot) behind `std` read-write locks: a hit takes one shard's read lock and writes
// nothing shared unless its partition was not already the shard's most recently used one.
// Recency is a per-shard counter: a hit stamps its partition with the next count only when
// the stamp has fallen behind the shard's most recent quarter, so hot partitions cost no
// write at all, and eviction takes the smallest stamp among the idle partitions of the shard
// that grew (LRU with one shard, exact while it is small; with several, LRU within each, the
// shard chosen by the key's hash).

use std::hash::{BuildHasher, Hash, RandomState};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, PoisonError, RwLock, RwLockWriteGuard};

use hashbrown::HashTable;

use super::ScopeSet;
use crate::{Token, TokenCache, TokenSource};

/// Partitions per shard, when the cap allows: a small cap keeps one shard (one LRU order), a
/// large one spreads over up to `MAX_SHARDS` so callers on many keys seldom meet on a lock.
const PARTITIONS_PER_SHARD: usize = 512;
const MAX_SHARDS: usize = 64;

pub(super) struct Residents<K, S> {
    shards: Box<[Shard<K, S>]>,
    /// `SipHash` with a random key: keys come from requests (user ids), so collisions must not
    /// be choosable.
    hasher: RandomState,
    mask: u64,
    count: AtomicUsize,
    cap: usize,
}

struct Shard<K, S> {
    groups: RwLock<HashTable<Group<K, S>>>,
    /// The last stamp given in this shard.
    clock: AtomicU64,
}

/// The partitions of one key: one per scope set asked for.
struct Group<K, S> {
    hash: u64,
    key: K,
    partitions: Vec<Partition<S>>,
}

struct Partition<S> {
    scopes: ScopeSet,
    cache: TokenCache<S>,
    stamp: AtomicU64,
}

/// What a lookup found for a key and a scope set.
pub(super) enum Found<S> {
    /// A partition that serves the scopes (its own, or a wider one with a fresh token).
    Serving(TokenCache<S>),
    /// None: the partition for exactly these scopes must be made.
    Missing,
}

impl<K: Hash + Eq + Clone, S: TokenSource> Residents<K, S> {
    pub(super) fn new(cap: usize) -> Self {
        let shards = (cap / PARTITIONS_PER_SHARD)
            .clamp(1, MAX_SHARDS)
            .next_power_of_two();
        let shards = shards.min(MAX_SHARDS);
        Self {
            shards: (0..shards)
                .map(|_| Shard {
                    groups: RwLock::new(HashTable::new()),
                    clock: AtomicU64::new(0),
                })
                .collect(),
            hasher: RandomState::new(),
            mask: shards as u64 - 1,
            count: AtomicUsize::new(0),
            cap,
        }
    }

    /// How many partitions are in memory.
    pub(super) fn len(&self) -> usize {
        self.count.load(Ordering::Relaxed)
    }

    fn shard(&self, hash: u64) -> &Shard<K, S> {
        // Bits hashbrown uses for neither the slot (low bits) nor the tag (top 7).
        let index = (hash >> 32) & self.mask;
        #[allow(clippy::cast_possible_truncation)] // masked to below the shard count
        &self.shards[index as usize]
    }

    /// A fresh token for `key` that covers `wanted`, if one is in memory: the fast path of
    /// `TokenCaches::token`. Never waits, never makes a partition.
    #[inline]
    pub(super) fn fresh(&self, key: &K, wanted: &ScopeSet) -> Option<Arc<Token>> {
        let hash = self.hasher.hash_one(key);
        let shard = self.shard(hash);
        let groups = shard.groups.read().unwrap_or_else(PoisonError::into_inner);
        let group = groups.find(hash, |group| group.key == *key)?;
        group.partitions.iter().find_map(|partition| {
            let token = partition.serving(wanted)?;
            shard.touch(partition, groups.len());
            Some(token)
        })
    }

    /// The partition that serves `wanted` for `key`: one holding a fresh token that covers
    /// it, else the one made for exactly `wanted`, if in memory.
    pub(super) fn find(&self, key: &K, wanted: &ScopeSet) -> Found<S> {
        let hash = self.hasher.hash_one(key);
        let shard = self.shard(hash);
        let groups = shard.groups.read().unwrap_or_else(PoisonError::into_inner);
        let Some(group) = groups.find(hash, |group| group.key == *key) else {
            return Found::Missing;
        };
        let chosen = match group.partitions.as_slice() {
            // The common case, one partition per key: no freshness to compare (which would
            // read the clock, and start a refresh ahead of expiry the caller may not want yet).
            [only] if only.scopes == *wanted => Some(only),
            partitions => partitions
                .iter()
                .find(|partition| partition.serving(wanted).is_some())
                .or_else(|| partitions.iter().find(|p| p.scopes == *wanted)),
        };
        match chosen {
            Some(partition) => {
                shard.touch(partition, groups.len());
                Found::Serving(partition.cache.clone())
            }
            None => Found::Missing,
        }
    }

    /// Puts `cache`, made for `key` and exactly `scopes`, in memory, unless another caller
    /// did first (then that one is returned and `cache` dropped, unused). Evicts the least
    /// recently used idle partition if the cap is passed.
    pub(super) fn insert(&self, key: &K, scopes: &ScopeSet, cache: TokenCache<S>) -> TokenCache<S> {
        let hash = self.hasher.hash_one(key);
        let shard = self.shard(hash);
        let mut groups = shard.write();
        let hasher = |group: &Group<K, S>| group.hash;
        let group = match groups.find_mut(hash, |group| group.key == *key) {
            Some(group) => group,
            None => groups
                .insert_unique(
                    hash,
                    Group {
                        hash,
                        key: key.clone(),
                        partitions: Vec::with_capacity(1),
                    },
                    hasher,
                )
                .into_mut(),
        };
        if let Some(existing) = group.partitions.iter().find(|p| p.scopes == *scopes) {
            shard.touch(existing, 0);
            return existing.cache.clone();
        }
        let stamp = shard.next_stamp();
        group.partitions.push(Partition {
            scopes: scopes.clone(),
            cache: cache.clone(),
            stamp: AtomicU64::new(stamp),
        });
        self.count.fetch_add(1, Ordering::Relaxed);
        // Partitions that were in use when others came in may be idle now: evict until the
        // cap holds again, not just one for the one added.
        while self.len() > self.cap && evict_one(&mut groups, stamp) {
            self.count.fetch_sub(1, Ordering::Relaxed);
        }
        drop(groups);
        if self.len() > self.cap {
            self.evict_elsewhere(hash);
        }
        if self.len() > self.cap {
            tracing::debug!(
                target: "freshtoken",
                resident = self.len(),
                cap = self.cap,
                "every partition in memory is in use: keeping more than the cap until some are idle"
            );
        }
        cache
    }

    /// Evicts idle partitions from the shards other than the one at `hash` (which has no
    /// more) until the cap holds. With nothing idle anywhere, the count stays above the cap
    /// until a later insert finds partitions idle.
    fn evict_elsewhere(&self, hash: u64) {
        let first = std::ptr::from_ref(self.shard(hash));
        for shard in self.shards.iter().filter(|s| !std::ptr::eq(*s, first)) {
            let mut groups = shard.write();
            while self.len() > self.cap && evict_one(&mut groups, u64::MAX) {
                self.count.fetch_sub(1, Ordering::Relaxed);
            }
            if self.len() <= self.cap {
                return;
            }
        }
    }

    /// Evicts every idle partition (`TokenCaches::evict_idle`); returns how many.
    pub(super) fn evict_idle(&self) -> usize {
        let mut evicted = 0;
        for shard in &*self.shards {
            let mut groups = shard.write();
            groups.retain(|group| {
                let before = group.partitions.len();
                group.partitions.retain(|p| !p.cache.is_idle());
                evicted += before - group.partitions.len();
                !group.partitions.is_empty()
            });
        }
        self.count.fetch_sub(evicted, Ordering::Relaxed);
        evicted
    }
}

/// Removes the idle partition with the smallest stamp below `spare` (the stamp of the
/// partition just inserted, which must stay) from `groups`; returns whether it found one.
fn evict_one<K, S>(groups: &mut HashTable<Group<K, S>>, spare: u64) -> bool {
    let mut oldest: Option<(u64, u64, usize)> = None; // (stamp, group hash, index)
    for group in groups.iter() {
        for (index, partition) in group.partitions.iter().enumerate() {
            let stamp = partition.stamp.load(Ordering::Relaxed);
            if stamp != spare
                && oldest.is_none_or(|(oldest, _, _)| stamp < oldest)
                && partition.cache.is_idle()
            {
                oldest = Some((stamp, group.hash, index));
            }
        }
    }
    let Some((stamp, hash, index)) = oldest else {
        return false;
    };
    let Ok(mut entry) = groups.find_entry(hash, |group| {
        group
            .partitions
            .get(index)
            .is_some_and(|p| p.stamp.load(Ordering::Relaxed) == stamp)
    }) else {
        return false;
    };
    entry.get_mut().partitions.swap_remove(index);
    if entry.get().partitions.is_empty() {
        entry.remove();
    }
    true
}

impl<K, S> Shard<K, S> {
    fn write(&self) -> RwLockWriteGuard<'_, HashTable<Group<K, S>>> {
        // Nothing panics while a shard is locked but user code we do not call there; the
        // table stays consistent either way.
        self.groups.write().unwrap_or_else(PoisonError::into_inner)
    }

    fn next_stamp(&self) -> u64 {
        self.clock.fetch_add(1, Ordering::Relaxed) + 1
    }

    /// Marks `partition` most recently used, unless it is among the shard's recently used
    /// already: stamped within the last quarter of `resident` (the shard's keys) stamps. So a
    /// shard's hits mostly write nothing even when several users alternate in it, and the
    /// order is exact for small shards and least-recently-used to within a quarter of the
    /// shard for large ones (eviction only ever looks at the oldest).
    #[inline]
    fn touch(&self, partition: &Partition<S>, resident: usize) {
        let age = self
            .clock
            .load(Ordering::Relaxed)
            .saturating_sub(partition.stamp.load(Ordering::Relaxed));
        if age > (resident / 4) as u64 {
            partition.stamp.store(self.next_stamp(), Ordering::Relaxed);
        }
    }
}

impl<S: TokenSource> Partition<S> {
    /// The partition's fresh token, if it has one that serves `wanted`: its own scope set
    /// is `wanted`, or a wider one whose token covers it.
    #[inline]
    fn serving(&self, wanted: &ScopeSet) -> Option<Arc<Token>> {
        if self.scopes == *wanted {
            return self.cache.fresh_token();
        }
        if !self.scopes.contains_all(wanted) {
            return None;
        }
        self.cache
            .fresh_token()
            .filter(|token| self.scopes.token_covers(token, wanted))
    }
}
