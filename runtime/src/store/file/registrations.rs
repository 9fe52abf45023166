// Input: the clients a program registered, by authorization server.
// Output: a sibling file of the token file, `<file>.registrations.json`, that keeps them
// with the token file's checks: owner-only, replaced atomically, never through a link.

use std::path::PathBuf;

use serde_json::{Map, Value};
use zeroize::Zeroizing;

use super::{FileStore, blocking, read_private, replace_private};
use crate::StoreError;
use crate::oauth::resource::{RegisteredClient, RegistrationStore};

impl FileStore {
    /// The file the registrations are kept in: `<file>.registrations.json`.
    #[must_use]
    pub fn registrations_path(&self) -> PathBuf {
        let mut name = self.path.clone().into_os_string();
        name.push(".registrations.json");
        PathBuf::from(name)
    }

    /// Every kept registration, as a JSON object by server; an empty one without a file.
    fn read_registrations(&self) -> Result<Map<String, Value>, StoreError> {
        let path = self.registrations_path();
        let Some(json) = read_private(&path)? else {
            return Ok(Map::new());
        };
        match serde_json::from_slice(&json) {
            Ok(Value::Object(records)) => Ok(records),
            _ => Err(StoreError::Corrupt {
                path,
                reason: "not a JSON object of registered clients by authorization server"
                    .to_owned(),
            }),
        }
    }

    fn write_registrations(&self, records: &Map<String, Value>) -> Result<(), StoreError> {
        let mut json = Zeroizing::new(Vec::with_capacity(4096));
        // A map of `Value`s always serializes.
        let _ = serde_json::to_writer(&mut *json, records);
        replace_private(&self.registrations_path(), &json)
    }

    /// Reads, changes and writes back the records. Two processes that change them at once
    /// may lose one change: at worst a client is registered once more.
    fn change_registrations(
        &self,
        change: impl FnOnce(&mut Map<String, Value>),
    ) -> Result<(), StoreError> {
        let mut records = match self.read_registrations() {
            Ok(records) => records,
            // A corrupt file is replaced, as the token file is by the next login.
            Err(StoreError::Corrupt { .. }) => Map::new(),
            Err(error) => return Err(error),
        };
        change(&mut records);
        self.write_registrations(&records)
    }
}

/// Kept in `<file>.registrations.json` (see [`FileStore::registrations_path`]).
impl RegistrationStore for FileStore {
    async fn load_registration(
        &self,
        server: &str,
    ) -> Result<Option<RegisteredClient>, StoreError> {
        let server = server.to_owned();
        blocking(self, move |store| {
            let records = store.read_registrations()?;
            let Some(record) = records.get(&server) else {
                return Ok(None);
            };
            let json = Zeroizing::new(serde_json::to_vec(record).unwrap_or_default());
            RegisteredClient::read(&json)
                .map(Some)
                .map_err(|reason| StoreError::Corrupt {
                    path: store.registrations_path(),
                    reason: format!("the client registered at {server}: {reason}"),
                })
        })
        .await
    }

    async fn save_registration(
        &self,
        server: &str,
        client: &RegisteredClient,
    ) -> Result<(), StoreError> {
        let server = server.to_owned();
        let client = client.clone();
        blocking(self, move |store| {
            let json = client.to_json();
            let record: Value = serde_json::from_slice(&json).unwrap_or_default();
            store.change_registrations(|records| {
                records.insert(server, record);
            })
        })
        .await
    }

    async fn forget_registration(&self, server: &str) -> Result<(), StoreError> {
        let server = server.to_owned();
        blocking(self, move |store| {
            store.change_registrations(|records| {
                records.remove(&server);
            })
        })
        .await
    }
}
