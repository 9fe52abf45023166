// Input: a key whose `Serialize` implementation failed, so its partition has no name.
// Output: a store that refuses every use with the reason, so the partition's callers get a
// clear error instead of a panic, and nothing is kept under a made-up name.

use crate::Token;
use crate::store::{StoreError, TokenStore};

pub(super) struct NamelessStore {
    reason: String,
}

/// Why a key has no partition name, and the fix. Names neither the key nor its value.
pub(super) fn reason(error: &serde_json::Error) -> String {
    format!(
        "the partition key does not serialize to JSON ({error}), and its store entry is named \
         after that JSON; use a key type whose `Serialize` cannot fail (strings, numbers, \
         structs and tuples of them; no maps with non-string keys)"
    )
}

impl NamelessStore {
    pub(super) fn new(error: &serde_json::Error) -> Self {
        Self {
            reason: reason(error),
        }
    }

    fn refuse(&self) -> StoreError {
        StoreError::InvalidConfig {
            store: "partition store".to_owned(),
            reason: self.reason.clone(),
        }
    }
}

impl TokenStore for NamelessStore {
    fn name(&self) -> String {
        "partition store (no name: the key does not serialize)".to_owned()
    }

    async fn load(&self) -> Result<Option<Token>, StoreError> {
        Err(self.refuse())
    }

    async fn save(&self, _previous: Option<&Token>, _new: &Token) -> Result<(), StoreError> {
        Err(self.refuse())
    }

    async fn clear(&self) -> Result<(), StoreError> {
        Err(self.refuse())
    }

    async fn lock(&self) -> Result<crate::StoreLock, StoreError> {
        Err(self.refuse())
    }
}
