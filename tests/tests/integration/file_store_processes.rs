//! Several clients on one host share one `FileStore` against a token endpoint whose refresh
//! tokens are single-use (each may be spent once): every client keeps working, and the
//! endpoint sees each refresh token exactly once.

use std::process::{Command, Stdio};
use std::time::Duration;

use freshtoken::oauth::{ClientAuth, RefreshTokenGrant, Url};
use freshtoken::{FileStore, Token, TokenCache, TokenStore};
use httpmock::Method::POST;
use httpmock::{Mock, MockServer};
use serde_json::json;

/// The token endpoint's answer to refresh token `r{n}`: access `a{n+1}`, refresh `r{n+1}`.
async fn rotation_step(server: &MockServer, n: u32) -> Mock<'_> {
    server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/token")
                .form_urlencoded_tuple("grant_type", "refresh_token")
                .form_urlencoded_tuple("refresh_token", format!("r{n}"));
            then.status(200).json_body(json!({
                "access_token": format!("a{}", n + 1),
                "refresh_token": format!("r{}", n + 1),
                "expires_in": 3600,
            }));
        })
        .await
}

/// A store file holding an expired token whose refresh token is `r1`.
async fn store_with_expired_token(dir: &tempfile::TempDir) -> FileStore {
    let store = FileStore::new(dir.path().join("token.json"));
    let expired = Token::builder("a1")
        .expires_in(Duration::ZERO)
        .refresh_token("r1")
        .build()
        .unwrap();
    store.save(None, &expired).await.unwrap();
    store
}

fn client(server: &MockServer, store: &FileStore) -> TokenCache<RefreshTokenGrant> {
    let url: Url = server.url("/token").parse().unwrap();
    TokenCache::builder(RefreshTokenGrant::new(url, ClientAuth::public("cli")))
        .store(store.clone())
        .build()
}

fn access(token: &Token) -> &str {
    token.access_token().expose_secret()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_caches_on_one_file_never_spend_a_refresh_token_twice() {
    let server = MockServer::start_async().await;
    let steps = [
        rotation_step(&server, 1).await,
        rotation_step(&server, 2).await,
        rotation_step(&server, 3).await,
    ];
    let dir = tempfile::tempdir().unwrap();
    let store = store_with_expired_token(&dir).await;
    let (first, second) = (client(&server, &store), client(&server, &store));

    // Both need a token at once: one refreshes r1, the other adopts the result.
    let (a, b) = tokio::join!(first.token(), second.token());
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!((access(&a), access(&b)), ("a2", "a2"));

    // The server rejects a2 for `first`; its refresh finds nothing newer and spends r2.
    assert!(first.invalidate(&a));
    assert_eq!(access(&first.token().await.unwrap()), "a3");
    // `second` is told the same; it adopts a3 instead of spending r2 again.
    assert!(second.invalidate(&b));
    assert_eq!(access(&second.token().await.unwrap()), "a3");
    // A forced refresh by `second` spends r3; `first` then adopts a4.
    assert_eq!(access(&second.refresh().await.unwrap()), "a4");
    let a3 = first.cached().unwrap();
    assert!(first.invalidate(&a3));
    assert_eq!(access(&first.token().await.unwrap()), "a4");

    for (n, step) in steps.iter().enumerate() {
        assert_eq!(
            step.calls_async().await,
            1,
            "refresh token r{} spent once",
            n + 1
        );
    }
    let on_disk = store.load().await.unwrap().unwrap();
    assert_eq!(on_disk.refresh_token().unwrap().expose_secret(), "r4");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_on_one_file_never_spend_a_refresh_token_twice() {
    let server = MockServer::start_async().await;
    let step = rotation_step(&server, 1).await;
    let dir = tempfile::tempdir().unwrap();
    let store = store_with_expired_token(&dir).await;

    // Started together, each needing a token: one refreshes, the other adopts.
    let children: Vec<_> = (0..2)
        .map(|_| {
            Command::new(env!("CARGO_BIN_EXE_file_store_client"))
                .env("FRESHTOKEN_TOKEN_URL", server.url("/token"))
                .env("FRESHTOKEN_STORE", store.path())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let output = tokio::task::spawn_blocking(|| child.wait_with_output())
            .await
            .unwrap()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "client failed: {stderr}");
        assert_eq!(String::from_utf8_lossy(&output.stdout).trim(), "a2");
    }
    assert_eq!(step.calls_async().await, 1, "r1 spent once");
    let on_disk = store.load().await.unwrap().unwrap();
    assert_eq!(on_disk.refresh_token().unwrap().expose_secret(), "r2");
}
