// Input: the clients a program registered, by authorization server.
// Output: a Redis hash beside the token's key, `freshtoken:{prefix}:registrations`, one
// field per server, shared by every host of the fleet.

use zeroize::Zeroizing;

use super::RedisStore;
use crate::StoreError;
use crate::oauth::resource::{RegisteredClient, RegistrationStore};

/// Kept in the hash `freshtoken:{prefix}:registrations`, one field per server: the hosts of
/// a fleet share one registration per server.
impl RegistrationStore for RedisStore {
    async fn load_registration(
        &self,
        server: &str,
    ) -> Result<Option<RegisteredClient>, StoreError> {
        let mut hget = redis::cmd("HGET");
        hget.arg(&self.keys.registrations).arg(server);
        let json: Option<Zeroizing<Vec<u8>>> = self
            .call("load registration", |mut connection| {
                let hget = &hget;
                async move {
                    hget.query_async::<Option<Vec<u8>>>(&mut connection)
                        .await
                        .map(|json| json.map(Zeroizing::new))
                }
            })
            .await?;
        let Some(json) = json else { return Ok(None) };
        RegisteredClient::read(&json).map(Some).map_err(|reason| {
            StoreError::Other(
                format!(
                    "{} field {server:?}: not a registered client: {reason}",
                    self.keys.registrations
                )
                .into(),
            )
        })
    }

    async fn save_registration(
        &self,
        server: &str,
        client: &RegisteredClient,
    ) -> Result<(), StoreError> {
        let json = client.to_json();
        let mut hset = redis::cmd("HSET");
        hset.arg(&self.keys.registrations)
            .arg(server)
            .arg(json.as_slice());
        self.call("save registration", |mut connection| {
            let hset = &hset;
            async move { hset.query_async::<()>(&mut connection).await }
        })
        .await
    }

    async fn forget_registration(&self, server: &str) -> Result<(), StoreError> {
        let mut hdel = redis::cmd("HDEL");
        hdel.arg(&self.keys.registrations).arg(server);
        self.call("forget registration", |mut connection| {
            let hdel = &hdel;
            async move { hdel.query_async::<()>(&mut connection).await }
        })
        .await
    }
}
