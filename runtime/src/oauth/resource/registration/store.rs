// Input: the clients a program registered, by authorization server.
// Output: `RegistrationStore`: where they are kept so that a CLI registers once per server,
// implemented beside the token by the built-in stores.

use std::future::Future;
use std::sync::Arc;

use super::RegisteredClient;
use crate::StoreError;

/// Where a program keeps the clients it registered (RFC 7591), one per authorization
/// server, so that it registers once per server and not at every start.
///
/// `server` names the authorization server: [`ClientRegistration::register_once`] uses the
/// issuer of its metadata. The built-in stores keep registrations beside the token:
/// [`MemoryStore`](crate::MemoryStore) in memory, [`FileStore`](crate::FileStore) in a
/// sibling file `<file>.registrations.json` (owner-only, replaced atomically, like the token
/// file), and `RedisStore` in a hash beside the token's key.
///
/// A registration that no longer works must be done again: when its client secret has
/// expired ([`RegisteredClient::is_expired`]; `register_once` then registers anew by
/// itself), or when the token endpoint answers `invalid_client`
/// ([`AuthErrorKind::InvalidClient`](crate::AuthErrorKind::InvalidClient)): call
/// [`forget_registration`](Self::forget_registration), then `register_once` again.
///
/// [`ClientRegistration::register_once`]: super::ClientRegistration::register_once
pub trait RegistrationStore: Send + Sync + 'static {
    /// The client registered at `server`, or `None` when there is none.
    fn load_registration(
        &self,
        server: &str,
    ) -> impl Future<Output = Result<Option<RegisteredClient>, StoreError>> + Send;

    /// Keeps `client` as the client registered at `server`, replacing any other.
    fn save_registration(
        &self,
        server: &str,
        client: &RegisteredClient,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Forgets the client registered at `server` (nothing to do when there is none).
    fn forget_registration(
        &self,
        server: &str,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
}

/// A shared store: one `Arc<FileStore>` can keep the token and the registrations.
impl<T: RegistrationStore> RegistrationStore for Arc<T> {
    async fn load_registration(
        &self,
        server: &str,
    ) -> Result<Option<RegisteredClient>, StoreError> {
        (**self).load_registration(server).await
    }

    async fn save_registration(
        &self,
        server: &str,
        client: &RegisteredClient,
    ) -> Result<(), StoreError> {
        (**self).save_registration(server, client).await
    }

    async fn forget_registration(&self, server: &str) -> Result<(), StoreError> {
        (**self).forget_registration(server).await
    }
}
