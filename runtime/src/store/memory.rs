// Input: the tokens one process obtains.
// Output: the latest of them, in memory (nothing survives a restart).

use std::sync::{Mutex, PoisonError};

use super::{StoreError, TokenStore};
use crate::Token;
#[cfg(feature = "reqwest")]
use crate::oauth::resource::{RegisteredClient, RegistrationStore};

/// Keeps the latest token in memory: the default store. Nothing survives a restart; use
/// [`FileStore`](crate::FileStore) for that.
///
/// One `MemoryStore` can be given to several caches (through an `Arc`) so that they share
/// one token.
///
/// With the `reqwest` feature it is also a
/// [`RegistrationStore`](crate::oauth::resource::RegistrationStore), in memory too.
///
/// ```
/// use freshtoken::{MemoryStore, TokenCache, source_fn, Token};
///
/// let cache = TokenCache::builder(source_fn(|_previous| async { Token::builder("t").build() }))
///     .store(MemoryStore::default())
///     .build();
/// # let _ = cache;
/// ```
#[derive(Debug, Default)]
pub struct MemoryStore {
    token: Mutex<Option<Token>>,
    /// The clients registered per authorization server (`RegistrationStore`).
    #[cfg(feature = "reqwest")]
    registrations: Mutex<std::collections::HashMap<String, RegisteredClient>>,
}

impl MemoryStore {
    fn slot(&self) -> std::sync::MutexGuard<'_, Option<Token>> {
        self.token.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl TokenStore for MemoryStore {
    async fn load(&self) -> Result<Option<Token>, StoreError> {
        Ok(self.slot().clone())
    }

    async fn save(&self, _previous: Option<&Token>, new: &Token) -> Result<(), StoreError> {
        *self.slot() = Some(new.clone());
        Ok(())
    }

    async fn clear(&self) -> Result<(), StoreError> {
        *self.slot() = None;
        Ok(())
    }

    async fn refresh_token_rejected(&self, token: &Token) -> Result<(), StoreError> {
        let mut slot = self.slot();
        if slot.as_ref().is_some_and(|saved| saved.same_secrets(token)) {
            *slot = None;
        }
        Ok(())
    }
}

/// Registrations live as long as the store, like its token.
#[cfg(feature = "reqwest")]
impl RegistrationStore for MemoryStore {
    async fn load_registration(
        &self,
        server: &str,
    ) -> Result<Option<RegisteredClient>, StoreError> {
        let registrations = self
            .registrations
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        Ok(registrations.get(server).cloned())
    }

    async fn save_registration(
        &self,
        server: &str,
        client: &RegisteredClient,
    ) -> Result<(), StoreError> {
        let mut registrations = self
            .registrations
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        registrations.insert(server.to_owned(), client.clone());
        Ok(())
    }

    async fn forget_registration(&self, server: &str) -> Result<(), StoreError> {
        let mut registrations = self
            .registrations
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        registrations.remove(server);
        Ok(())
    }
}
