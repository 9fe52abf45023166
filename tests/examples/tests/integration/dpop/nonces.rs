//! Nonces: the token endpoint's and the resource's, on one origin with different values,
//! each costing one resend; one nonce per origin, not per path; a server that repeats the
//! nonce it was sent ends the call with an error instead of a loop.

use freshtoken::AuthErrorKind;
use freshtoken::dpop::DpopKey;
use freshtoken_examples::server::DpopConfig;
use freshtoken_examples::trait_sdk::{NewTask, Tasks};
use reqwest::StatusCode;

use super::{cache, server_with, tasks_client};

fn nonces_on_both_sides() -> DpopConfig {
    DpopConfig {
        nonce_required_at_token_endpoint: true,
        nonce_required_at_resource: true,
        ..DpopConfig::default()
    }
}

#[tokio::test]
async fn each_side_asks_for_its_own_nonce_once_on_one_origin() {
    let server = server_with(nonces_on_both_sides()).await;
    assert_ne!(
        server.token_endpoint_dpop_nonce(),
        server.resource_dpop_nonce()
    );
    let cache = cache(&server, &DpopKey::generate().unwrap());
    let client = tasks_client(&server, &cache);

    client.create_task(&NewTask { title: "one" }).await.unwrap();
    client.list_tasks().await.unwrap();

    let stats = server.stats();
    assert_eq!(
        stats.token_endpoint_use_dpop_nonce, 1,
        "one resend at the token endpoint"
    );
    assert_eq!(
        stats.resource_use_dpop_nonce, 1,
        "one resend at the resource"
    );
    assert_eq!(stats.dpop_proofs_refused, 0);
    assert_eq!(cache.stats().refreshes, 1, "a nonce resend keeps the token");
}

#[tokio::test]
async fn fifty_paths_on_one_origin_cost_one_nonce_resend_per_rotation() {
    let server = server_with(DpopConfig {
        nonce_required_at_resource: true,
        ..DpopConfig::default()
    })
    .await;
    let cache = cache(&server, &DpopKey::generate().unwrap());
    let client = tasks_client(&server, &cache);
    let mut ids = Vec::new();
    for n in 0..50 {
        let title = format!("task {n}");
        ids.push(
            client
                .create_task(&NewTask { title: &title })
                .await
                .unwrap()
                .id,
        );
    }
    assert_eq!(server.stats().resource_use_dpop_nonce, 1);

    // Fifty paths (`/tasks/{id}/complete`), the nonce rotated every ten of them.
    for (n, id) in ids.iter().enumerate() {
        if n % 10 == 0 {
            server.rotate_dpop_nonces();
        }
        client.complete_task(*id).await.unwrap();
    }
    assert_eq!(server.stats().resource_use_dpop_nonce, 1 + 5);
    assert_eq!(cache.stats().refreshes, 1);
}

#[tokio::test]
async fn a_resource_that_repeats_the_nonce_ends_the_call_with_its_401() {
    let server = server_with(DpopConfig {
        resource_always_demands_nonce: true,
        ..DpopConfig::default()
    })
    .await;
    let cache = cache(&server, &DpopKey::generate().unwrap());
    let client = tasks_client(&server, &cache);

    let error = client.list_tasks().await.unwrap_err();
    assert_eq!(error.status(), Some(StatusCode::UNAUTHORIZED));
    let challenge = error.challenge().expect("the DPoP challenge is kept");
    assert_eq!(challenge.param("error"), Some("use_dpop_nonce"));
    // The first refusal gave a nonce the request had not carried: one resend. The second
    // repeated the nonce just sent: no more, and no new token either.
    assert_eq!(server.stats().resource_use_dpop_nonce, 2);
    assert_eq!(cache.stats().refreshes, 1);
}

#[tokio::test]
async fn a_token_endpoint_that_repeats_the_nonce_fails_the_login_after_one_resend() {
    let server = server_with(DpopConfig {
        token_endpoint_always_demands_nonce: true,
        ..DpopConfig::default()
    })
    .await;
    let cache = cache(&server, &DpopKey::generate().unwrap());
    let error = cache.token().await.unwrap_err();
    assert!(
        matches!(error.kind(), AuthErrorKind::Rejected { .. }),
        "{error:?}"
    );
    assert!(error.to_string().contains("use_dpop_nonce"), "{error}");
    assert_eq!(server.stats().token_endpoint_use_dpop_nonce, 2);
}
