//! Scope sets over real HTTP: a token for `read write` serves `read` with no second request;
//! `admin` gets a partition and a request of its own, with `scope=admin` sent; another user's
//! wide token never serves this user.

use freshtoken::partition::ScopeSet;
use freshtoken_tests::user_tokens::UserTokenServer;

use super::{HOUR, bounded, caches_at};

#[tokio::test]
async fn a_wider_token_serves_a_narrower_request_of_the_same_user_only() {
    bounded(async {
        let server = UserTokenServer::start(HOUR).await;
        let caches = caches_at(&server).build();
        let (alice, bob) = ("alice".to_owned(), "bob".to_owned());
        let token_for = async |user: &String, scopes: &[&str]| {
            caches
                .token_for(user, &ScopeSet::new(scopes.iter().copied()))
                .await
                .expect("a token")
                .access_token()
                .expose_secret()
                .to_owned()
        };

        let wide = token_for(&alice, &["read", "write"]).await;
        let narrow = token_for(&alice, &["read"]).await;
        assert_eq!(narrow, wide, "the read-write token serves read");
        assert_eq!(server.requests("alice").token_requests, 1);

        let admin = token_for(&alice, &["admin"]).await;
        assert_ne!(admin, wide);
        let asked = server.requests("alice");
        assert_eq!(asked.logins, 2);
        assert_eq!(
            asked.scopes,
            [Some("read write".to_owned()), Some("admin".to_owned())],
            "the scope of each token request"
        );
        assert_eq!(caches.len(), 2, "alice's read-write and admin partitions");

        // Bob's read-write token serves neither Carol nor Alice.
        let carol = "carol".to_owned();
        let bobs = token_for(&bob, &["read", "write"]).await;
        let carols = token_for(&carol, &["read"]).await;
        assert!(bobs.starts_with("AT-bob-") && carols.starts_with("AT-carol-"));
        assert_eq!(server.requests("carol").scopes, [Some("read".to_owned())]);
        assert_eq!(server.requests("bob").token_requests, 1);
        assert_eq!(token_for(&alice, &["read"]).await, wide);
        assert_eq!(server.requests("alice").token_requests, 2);
    })
    .await;
}
