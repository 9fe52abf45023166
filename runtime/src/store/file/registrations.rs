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

#[cfg(all(test, unix))]
mod tests {
    use std::fs;
    use std::os::unix::fs::symlink;

    use super::*;

    fn client(id: &str) -> RegisteredClient {
        RegisteredClient::from_json(
            format!(r#"{{"client_id": "{id}", "client_secret": "secret-of-{id}"}}"#).as_bytes(),
        )
        .unwrap()
    }

    #[tokio::test]
    async fn registrations_are_kept_per_server_and_a_corrupt_file_is_named_then_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileStore::new(dir.path().join("token.json"));
        store
            .save_registration("https://a.example", &client("a"))
            .await
            .unwrap();
        store
            .save_registration("https://b.example", &client("b"))
            .await
            .unwrap();
        let a = store
            .load_registration("https://a.example")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(a.client_secret().unwrap().expose_secret(), "secret-of-a");
        store
            .forget_registration("https://a.example")
            .await
            .unwrap();
        assert!(
            store
                .load_registration("https://a.example")
                .await
                .unwrap()
                .is_none()
        );
        assert!(
            store
                .load_registration("https://b.example")
                .await
                .unwrap()
                .is_some()
        );

        fs::write(store.registrations_path(), "not json").unwrap();
        let error = store
            .load_registration("https://b.example")
            .await
            .unwrap_err();
        assert!(matches!(error, StoreError::Corrupt { .. }), "{error:?}");
        let message = error.to_string();
        assert!(
            message.contains("token.json.registrations.json"),
            "{message}"
        );
        assert!(!message.contains("not json"), "{message}");
        store
            .save_registration("https://b.example", &client("b2"))
            .await
            .unwrap();
        let b = store
            .load_registration("https://b.example")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(b.client_id(), "b2");
    }

    #[tokio::test]
    async fn a_registrations_file_that_is_a_link_is_neither_read_nor_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileStore::new(dir.path().join("token.json"));
        let elsewhere = dir.path().join("elsewhere.json");
        fs::write(
            &elsewhere,
            r#"{"https://a.example": {"client_id": "planted"}}"#,
        )
        .unwrap();
        symlink(&elsewhere, store.registrations_path()).unwrap();
        let error = store
            .load_registration("https://a.example")
            .await
            .unwrap_err();
        assert!(matches!(error, StoreError::Symlink { .. }), "{error:?}");
        let error = store
            .save_registration("https://a.example", &client("a"))
            .await
            .unwrap_err();
        assert!(matches!(error, StoreError::Symlink { .. }), "{error:?}");
        assert!(fs::read_to_string(&elsewhere).unwrap().contains("planted"));
    }
}
