//! Bound tokens: issued for a proof, useless without the key, kept with their key across a
//! restart; a server that does not bind keeps working.

use freshtoken::dpop::DpopKey;
use freshtoken::{BearerExt, FileStore, TokenCache};
use freshtoken_examples::server::DpopConfig;
use freshtoken_examples::trait_sdk::{NewTask, Tasks};
use reqwest::StatusCode;
use reqwest::header::AUTHORIZATION;

use super::{cache, login, server_with, tasks_client};

#[tokio::test]
async fn a_generated_client_sends_a_bound_token_with_a_proof_per_request() {
    let server = server_with(DpopConfig::default()).await;
    let key = DpopKey::generate().unwrap();
    let cache = cache(&server, &key);
    let client = tasks_client(&server, &cache);

    let task = client
        .create_task(&NewTask { title: "bind" })
        .await
        .unwrap();
    client.complete_task(task.id).await.unwrap();
    let tasks = client.list_tasks().await.unwrap();
    assert_eq!(tasks.len(), 1);

    let token = cache.cached().unwrap();
    assert_eq!(token.token_type(), "DPoP");
    assert_eq!(token.dpop_key().unwrap().thumbprint(), key.thumbprint());
    let stats = server.stats();
    assert_eq!(stats.dpop_bound_tokens_issued, 1);
    assert_eq!(stats.dpop_proofs_refused, 0);
    assert_eq!(cache.stats().refreshes, 1);
}

#[tokio::test]
async fn a_stolen_bound_token_is_refused_without_the_key() {
    let server = server_with(DpopConfig::default()).await;
    let cache = cache(&server, &DpopKey::generate().unwrap());
    let token = cache.token().await.unwrap();
    let stolen = token.access_token().expose_secret();
    let url: reqwest::Url = format!("{}/tasks", server.base_url()).parse().unwrap();
    let http = reqwest::Client::new();

    let as_bearer = http
        .get(url.clone())
        .header(AUTHORIZATION, format!("Bearer {stolen}"))
        .send()
        .await
        .unwrap();
    assert_eq!(as_bearer.status(), StatusCode::UNAUTHORIZED);

    let without_proof = http
        .get(url.clone())
        .header(AUTHORIZATION, format!("DPoP {stolen}"))
        .send()
        .await
        .unwrap();
    assert_eq!(without_proof.status(), StatusCode::UNAUTHORIZED);

    // The thief's own key makes a well-formed proof, but not one by the bound key.
    let thief = freshtoken::Token::builder(stolen)
        .token_type("DPoP")
        .dpop_key(DpopKey::generate().unwrap())
        .build()
        .unwrap();
    let proof = thief.dpop_proof(&http::Method::GET, &url).unwrap().unwrap();
    let other_key = http
        .get(url.clone())
        .header(AUTHORIZATION, format!("DPoP {stolen}"))
        .header("DPoP", proof)
        .send()
        .await
        .unwrap();
    assert_eq!(other_key.status(), StatusCode::UNAUTHORIZED);
    let challenge = other_key.headers()["www-authenticate"].to_str().unwrap();
    assert!(challenge.starts_with("DPoP"), "{challenge}");

    // With the key, the same token works.
    let owner = http.get(url).send_with_token(&token).await.unwrap();
    assert_eq!(owner.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_replayed_proof_is_refused() {
    let server = server_with(DpopConfig::default()).await;
    let cache = cache(&server, &DpopKey::generate().unwrap());
    let token = cache.token().await.unwrap();
    let url: reqwest::Url = format!("{}/tasks", server.base_url()).parse().unwrap();
    let proof = token.dpop_proof(&http::Method::GET, &url).unwrap().unwrap();
    let http = reqwest::Client::new();
    let send = || {
        http.get(url.clone())
            .header(AUTHORIZATION, token.authorization().clone())
            .header("DPoP", proof.clone())
            .send()
    };
    assert_eq!(send().await.unwrap().status(), StatusCode::OK);
    assert_eq!(send().await.unwrap().status(), StatusCode::UNAUTHORIZED);
    assert_eq!(server.stats().dpop_proofs_replayed, 1);
}

#[tokio::test]
async fn a_server_that_answers_bearer_gets_bearer_tokens_used_as_before() {
    let server = server_with(DpopConfig {
        supported: false,
        ..DpopConfig::default()
    })
    .await;
    let cache = cache(&server, &DpopKey::generate().unwrap());
    let client = tasks_client(&server, &cache);
    client
        .create_task(&NewTask { title: "plain" })
        .await
        .unwrap();
    assert_eq!(client.list_tasks().await.unwrap().len(), 1);
    let token = cache.cached().unwrap();
    assert_eq!(token.token_type(), "Bearer");
    assert!(token.dpop_key().is_none());
    assert_eq!(server.stats().dpop_bound_tokens_issued, 0);
}

/// A CLI that logged in, exited, and starts again with a new key: the stored key is the one
/// the refresh token is bound to, and the refresh uses it.
#[tokio::test]
async fn a_restarted_process_refreshes_a_bound_refresh_token_with_the_stored_key() {
    let server = server_with(DpopConfig::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tokens.json");
    let first_key = DpopKey::generate().unwrap();

    let first_run = TokenCache::builder(login(&server, &first_key))
        .store(FileStore::new(&path))
        .build();
    let first_token = first_run.token().await.unwrap();
    assert!(first_token.refresh_token().is_some());
    drop(first_run);

    let second_key = DpopKey::generate().unwrap();
    let second_run = TokenCache::builder(login(&server, &second_key))
        .store(FileStore::new(&path))
        .build();
    let loaded = second_run.token().await.unwrap();
    assert_eq!(
        loaded.dpop_key().unwrap().thumbprint(),
        first_key.thumbprint()
    );
    // The access token is spent; the refresh token bound to the first key renews it.
    assert!(second_run.invalidate(&loaded));
    let client = tasks_client(&server, &second_run);
    client.list_tasks().await.unwrap();

    let renewed = second_run.cached().unwrap();
    assert_ne!(
        renewed.access_token().expose_secret(),
        loaded.access_token().expose_secret()
    );
    assert_eq!(
        renewed.dpop_key().unwrap().thumbprint(),
        first_key.thumbprint()
    );
    let stats = server.stats();
    assert_eq!(stats.dpop_proofs_refused, 0, "the refresh was not refused");
    assert_eq!(stats.dpop_bound_tokens_issued, 2, "one login, one refresh");
}
