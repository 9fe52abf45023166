//! A key whose `Serialize` fails (a map with tuple keys, which JSON cannot name) gets a clear
//! error from `token()`, naming the fix, and no panic; nothing is asked of the server.

use std::collections::BTreeMap;

use freshtoken::partition::ScopeSet;
use freshtoken::{AuthErrorKind, TokenCaches};
use freshtoken_tests::user_source::UserSource;
use freshtoken_tests::user_tokens::UserTokenServer;
use serde::Serialize;

use super::{HOUR, bounded};

/// A key with a map keyed by pairs: hashable, comparable, but with no JSON form.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
struct SeatKey {
    tenant: String,
    seats: BTreeMap<(u8, u8), u8>,
}

#[tokio::test]
async fn a_key_that_does_not_serialize_gets_an_error_naming_the_fix() {
    bounded(async {
        let server = UserTokenServer::start(HOUR).await;
        let http = reqwest::Client::new();
        let token_url = server.token_url();
        let caches = TokenCaches::builder(move |key: &SeatKey| {
            UserSource::new(&key.tenant, &token_url, &http)
        })
        .build();
        let key = SeatKey {
            tenant: "tenant-secret-name".to_owned(),
            seats: BTreeMap::from([((1, 2), 3)]),
        };

        let error = caches
            .token(&key)
            .await
            .expect_err("no token for a nameless key");
        let message = format!("{error:#}");
        assert!(
            message.contains("does not serialize")
                && message.contains("no maps with non-string keys"),
            "{message}"
        );
        assert!(!message.contains("tenant-secret-name"), "{message}");
        assert!(
            !matches!(error.kind(), AuthErrorKind::RefreshFailed { .. }),
            "{error:?}"
        );

        let error = caches
            .partition_id(&key, &ScopeSet::default())
            .expect_err("no name for the key");
        assert!(
            matches!(error.kind(), AuthErrorKind::Rejected { .. }),
            "{error:?}"
        );
        assert_eq!(server.requests("tenant-secret-name").token_requests, 0);
    })
    .await;
}
