// Input: a partition's key (any `Serialize` type of the user's) and its scope set.
// Output: the partition's name in stores, a keyed hash that reveals neither.
//
// The name must be the same on every host of a fleet and across restarts, so it comes from
// the key's JSON (stable across processes, unlike `std::hash`), not from the in-memory map's
// hasher. HMAC-SHA-256 keyed with the user's secret, if given, so that a small key space (user
// numbers) cannot be enumerated from file names or Redis keys.

use std::fmt;
use std::sync::Arc;

use hmac::{Hmac, Mac};
use serde::Serialize;
use sha2::Sha256;

use super::ScopeSet;

/// The HMAC key when the user gives none: names still reveal no key as such, but whoever can
/// guess a key can check a guess against them.
const DEFAULT_NAMING_KEY: &[u8] = b"freshtoken partition v1";

/// Hex digits in a name: 128 bits of the HMAC, far from any collision among the partitions a
/// store could hold.
const NAME_BYTES: usize = 16;

/// The name of one partition in its store: 32 lowercase hex digits, a keyed hash of the
/// partition's key and scope set.
///
/// File names ([`FileStores`](crate::store::FileStores)) and Redis keys are made from it, so
/// a store shows no user id, tenant or scope. The same key and scope set give the same name
/// on every host and after a restart, as long as the key serializes to the same JSON and the
/// [naming secret](super::TokenCachesBuilder::naming_secret) is the same.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct PartitionId(Arc<str>);

impl PartitionId {
    /// The name: 32 lowercase hex digits, usable as it is in a file name or a Redis key.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PartitionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for PartitionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PartitionId({})", self.0)
    }
}

/// Names partitions: the HMAC key, shared by the partitions of one [`TokenCaches`](super::TokenCaches).
#[derive(Clone)]
pub(crate) struct Naming {
    key: Arc<[u8]>,
}

impl Default for Naming {
    fn default() -> Self {
        Self {
            key: Arc::from(DEFAULT_NAMING_KEY),
        }
    }
}

impl Naming {
    pub(crate) fn with_secret(secret: &[u8]) -> Self {
        Self {
            key: Arc::from(secret),
        }
    }

    /// The name of the partition for `key` and `scopes`, or why `key` has none (its
    /// `Serialize` implementation failed: a map with keys that are not strings, say).
    pub(crate) fn name<K: Serialize + ?Sized>(
        &self,
        key: &K,
        scopes: &ScopeSet,
    ) -> Result<PartitionId, serde_json::Error> {
        let json = serde_json::to_vec(key)?;
        // Any length is a valid HMAC key.
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&self.key) else {
            unreachable!("HMAC takes keys of any length")
        };
        mac.update(&(json.len() as u64).to_be_bytes());
        mac.update(&json);
        for scope in scopes.iter() {
            mac.update(&(scope.len() as u64).to_be_bytes());
            mac.update(scope.as_bytes());
        }
        let digest = mac.finalize().into_bytes();
        let mut name = String::with_capacity(NAME_BYTES * 2);
        for byte in &digest[..NAME_BYTES] {
            name.push(char::from_digit(u32::from(byte >> 4), 16).unwrap_or('0'));
            name.push(char::from_digit(u32::from(byte & 0xf), 16).unwrap_or('0'));
        }
        Ok(PartitionId(Arc::from(name)))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::{Naming, ScopeSet};

    #[test]
    fn a_name_is_32_hex_digits_that_hold_neither_key_nor_scope() {
        let name = Naming::default()
            .name("alice@example.com", &ScopeSet::new(["calendar.read"]))
            .unwrap();
        assert_eq!(name.as_str().len(), 32);
        assert!(
            name.as_str()
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        );
        assert!(!name.as_str().contains("alice"));
    }

    #[test]
    fn names_are_stable_and_tell_keys_scopes_and_secrets_apart() {
        let naming = Naming::default();
        let none = ScopeSet::default();
        let read = ScopeSet::new(["read"]);
        let alice = naming.name(&("tenant-1", "alice"), &none).unwrap();
        assert_eq!(alice, naming.name(&("tenant-1", "alice"), &none).unwrap());
        // The same bytes cut differently, another scope set, another secret: other names.
        assert_ne!(alice, naming.name(&("tenant-1a", "lice"), &none).unwrap());
        assert_ne!(alice, naming.name(&("tenant-1", "alice"), &read).unwrap());
        assert_ne!(
            alice,
            Naming::with_secret(b"fleet secret")
                .name(&("tenant-1", "alice"), &none)
                .unwrap()
        );
        // Scope order does not matter: a scope set is a set.
        assert_eq!(
            naming.name("bob", &ScopeSet::new(["a", "b"])).unwrap(),
            naming.name("bob", &ScopeSet::new(["b", "a", "b"])).unwrap()
        );
        // Pinned (computed apart, with Python's hmac): a name must not change between
        // releases, or every store loses its tokens.
        assert_eq!(
            naming.name("bob", &none).unwrap().as_str(),
            "f0f9c6f2701ce397b34b8cd1279c1078"
        );
    }

    #[test]
    fn a_key_that_does_not_serialize_has_no_name() {
        let mut key = HashMap::new();
        key.insert((1, 2), "x");
        assert!(Naming::default().name(&key, &ScopeSet::default()).is_err());
    }
}
