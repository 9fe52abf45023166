//! Per-user `FileStores` survive a restart: caches on a directory, dropped, and built again on
//! it. Each user's first call after the restart adopts the stored token while it is valid (no
//! token request), or renews it with the rotated refresh token the store kept (the server
//! refuses any other). The files are named `<32 hex digits>.json`, with no user id in a name.

use std::collections::BTreeSet;
use std::time::Duration;

use freshtoken::partition::ScopeSet;
use freshtoken::store::FileStores;
use freshtoken_tests::user_tokens::UserTokenServer;
use tokio::time::Instant;

use super::{HOUR, bounded, caches_at, latest_of, token_of, user};

const USERS: usize = 20;
/// Users from here on get tokens that expire during the restart.
const SHORT_LIVED_FROM: usize = 10;
const SHORT: Duration = Duration::from_secs(1);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_adopts_stored_tokens_or_renews_them_with_the_rotated_refresh_token() {
    bounded(async {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let server = UserTokenServer::start(HOUR).await;
        for n in SHORT_LIVED_FROM..USERS {
            server.set_lifetime(&user(n), SHORT);
        }

        let caches = caches_at(&server)
            .stores(FileStores::new(dir.path()))
            .build();
        let mut before = Vec::new();
        for n in 0..USERS {
            token_of(&caches, &user(n)).await;
            if n >= SHORT_LIVED_FROM {
                // Rotates the refresh token: the one from the login is spent.
                caches.cache(&user(n)).refresh().await.expect("a refresh");
            }
            before.push(server.requests(&user(n)));
        }
        let expired = Instant::now() + SHORT;
        let ids: BTreeSet<String> = (0..USERS)
            .map(|n| {
                caches
                    .partition_id(&user(n), &ScopeSet::default())
                    .unwrap()
                    .to_string()
            })
            .collect();
        drop(caches);
        tokio::time::sleep_until(expired).await;

        let caches = caches_at(&server)
            .stores(FileStores::new(dir.path()))
            .build();
        for (n, before) in before.iter().enumerate() {
            let name = user(n);
            let token = token_of(&caches, &name).await;
            let after = server.requests(&name);
            assert_eq!(
                token,
                latest_of(&server, &name),
                "{name}'s own, latest token"
            );
            assert_eq!(
                (after.logins, after.refused),
                (1, 0),
                "{name}: no login, nothing refused"
            );
            if n < SHORT_LIVED_FROM {
                assert_eq!(
                    after, *before,
                    "{name}'s stored token adopted without a request"
                );
            } else {
                assert_eq!(
                    after.refreshes,
                    before.refreshes + 1,
                    "{name}'s expired token renewed with the stored refresh token"
                );
            }
        }

        let mut stored = BTreeSet::new();
        for entry in std::fs::read_dir(dir.path()).expect("the directory lists") {
            let name = entry
                .expect("an entry")
                .file_name()
                .to_string_lossy()
                .into_owned();
            assert!(!name.contains("user"), "{name} names no user");
            let (id, extension) = name.split_once('.').expect("a name with an extension");
            assert!(
                id.len() == 32
                    && id
                        .bytes()
                        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)),
                "{name} is a 32-hex-digit partition id"
            );
            assert!(matches!(extension, "json" | "json.lock"), "{name}");
            if extension == "json" {
                stored.insert(id.to_owned());
            }
        }
        assert_eq!(
            stored, ids,
            "one file per user, named by the user's partition id"
        );
    })
    .await;
}
