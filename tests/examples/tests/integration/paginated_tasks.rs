//! The trait SDK's paginated `all_tasks` against the reference server, whose `GET /tasks?limit=N`
//! names each next page in a `Link` header: every task once and in order, across a token that
//! expires mid-listing, which the cache renews with one refresh.

use freshtoken_examples::server::{self, ServerConfig};
use freshtoken_examples::trait_sdk::{self, NewTask, Tasks as _};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn all_tasks_lists_every_page_and_renews_a_token_that_expires_mid_listing() {
    let server = server::start(ServerConfig::default()).await.unwrap();
    let (client, cache) = trait_sdk::connect(&server.base_url(), "alice", "wonderland").unwrap();
    for title in ["a", "b", "c", "d", "e"] {
        client.create_task(&NewTask { title }).await.unwrap();
    }
    let unpaged = client.list_tasks().await.unwrap();
    assert_eq!(
        unpaged.len(),
        5,
        "without `limit` the server answers every task at once"
    );

    let mut pages = client.all_tasks(2).await.unwrap();
    let mut sizes = Vec::new();
    let mut listed = Vec::new();
    while let Some(page) = pages.next_page().await {
        let page = page.unwrap();
        sizes.push(page.len());
        listed.extend(page);
        if sizes.len() == 1 {
            cache.expire_now();
        }
    }
    assert_eq!(sizes, [2, 2, 1], "two at a time, then the last one");
    assert_eq!(listed, unpaged, "every task once, in order");
    let stats = server.stats();
    assert_eq!(
        (stats.logins, stats.refreshes, stats.unauthorized_responses),
        (1, 1, 0),
        "one login, one refresh for the expired token, no page refused: {stats:?}"
    );
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_limit_of_zero_is_refused_with_a_clear_error() {
    let server = server::start(ServerConfig::default()).await.unwrap();
    let (client, _cache) = trait_sdk::connect(&server.base_url(), "alice", "wonderland").unwrap();
    let error = client
        .all_tasks(0)
        .await
        .unwrap()
        .try_collect()
        .await
        .expect_err("no page of zero tasks");
    assert_eq!(error.status().map(|status| status.as_u16()), Some(400));
    assert!(error.to_string().contains("at least 1"), "{error}");
    let fault = error.error_body::<trait_sdk::ApiFault>().expect("decoded");
    assert_eq!(fault.error, "invalid_request");
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refusal_of_the_api_decodes_into_its_fault() {
    let server = server::start(ServerConfig::default()).await.unwrap();
    let (client, _cache) = trait_sdk::connect(&server.base_url(), "alice", "wonderland").unwrap();
    let error = client
        .complete_task(999_999)
        .await
        .expect_err("no such task");
    assert_eq!(error.status().map(|status| status.as_u16()), Some(404));
    let fault = error.error_body::<trait_sdk::ApiFault>().expect("decoded");
    assert_eq!(fault.error, "not_found");
    server.shutdown().await;
}
