//! Paginated methods of a `#[freshtoken::client]` client against httpmock on 127.0.0.1: a
//! listing of five pages by each style (`Link` header, cursor in the body, page number,
//! offset) whose token expires after page 2 is renewed once and every page is asked for once;
//! a next page on another origin, the same page again, or past `max_pages` ends the listing
//! with an error and sends nothing further; a failed page is the listing's last item.

use freshtoken::client::{Error, Pages};
use freshtoken_tests::client::open_cache;
use futures_util::StreamExt;
use httpmock::Method::GET;
use httpmock::{Mock, MockServer, Then, When};
use serde_json::json;

/// One API listing the same numbers by each style.
#[freshtoken::client]
pub trait Listings {
    /// `Link: <...>; rel="next"`; the body is the array.
    #[get("/link", paginate = link)]
    async fn by_link(&self) -> Result<Pages<u32>>;

    /// `{"data": [...], "meta": {"next": "..."}}`, sent back as `?cursor=`.
    #[get(
        "/cursor",
        paginate = cursor(field = "/meta/next", param = "cursor", items = "/data")
    )]
    async fn by_cursor(&self) -> Result<Pages<u32>>;

    /// `?page=1,2,...` until a page shorter than `per_page`.
    #[get("/page", paginate = page(limit = "per_page"))]
    async fn by_page(&self, #[query] per_page: u32) -> Result<Pages<u32>>;

    /// `?offset=0,2,4,...` until an empty page.
    #[get("/offset", paginate = offset(items = "/items"))]
    async fn by_offset(&self, #[query] tag: &str) -> Result<Pages<u32>>;

    /// `Link`, at most three pages.
    #[get("/link", paginate = link(max_pages = 3))]
    async fn by_link_capped(&self) -> Result<Pages<u32>>;
}

async fn server() -> MockServer {
    // httpmock may spin in this poll on a spent coop budget; unconstrained, it does not.
    tokio::task::unconstrained(MockServer::start_async()).await
}

/// The items of page `n` (0-based) of the five: two each, the last one short.
fn items(n: usize) -> Vec<u32> {
    let first = u32::try_from(n).expect("a small page number") * 2 + 1;
    if n == 4 {
        vec![first]
    } else {
        vec![first, first + 1]
    }
}

/// Mocks the five pages at `path`: `page(n, when)` tells page `n`'s request from the others,
/// `answer(n, then)` answers it. Pages 0 and 1 must come with the first token, the others
/// with the second.
async fn five_pages<'a>(
    server: &'a MockServer,
    path: &'static str,
    page: impl Fn(usize, When) -> When + Clone,
    answer: impl Fn(usize, Then) -> Then + Clone,
) -> Vec<Mock<'a>> {
    let mut mocks = Vec::new();
    for n in 0..5 {
        let token = if n < 2 {
            "Bearer access-1"
        } else {
            "Bearer access-2"
        };
        let (page, answer) = (page.clone(), answer.clone());
        mocks.push(
            server
                .mock_async(move |when, then| {
                    page(
                        n,
                        when.method(GET).path(path).header("authorization", token),
                    );
                    answer(n, then.status(200));
                })
                .await,
        );
    }
    mocks
}

/// Takes every page, expiring the token after the second; gives the items in order.
async fn take_expiring_after_page_2(
    cache: &freshtoken::TokenCache<freshtoken_tests::GatedSource>,
    mut pages: Pages<u32>,
) -> Vec<u32> {
    let mut all = Vec::new();
    let mut taken = 0;
    while let Some(page) = pages.next_page().await {
        all.extend(page.expect("every page arrives"));
        taken += 1;
        if taken == 2 {
            cache.expire_now();
        }
    }
    all
}

async fn assert_each_page_asked_once(mocks: &[Mock<'_>]) {
    for (n, mock) in mocks.iter().enumerate() {
        assert_eq!(mock.calls_async().await, 1, "page {n}");
    }
}

fn all_items() -> Vec<u32> {
    (0..5).flat_map(items).collect()
}

#[tokio::test]
async fn a_link_listing_renews_a_token_that_expires_mid_way_and_asks_each_page_once() {
    let server = server().await;
    let base = server.base_url();
    let mocks = five_pages(
        &server,
        "/link",
        |n, when| {
            if n == 0 {
                when.query_param_missing("page")
            } else {
                when.query_param("page", n.to_string())
            }
        },
        move |n, then| {
            let then = then.json_body(json!(items(n)));
            match n {
                // Relative, absolute, and among other links with quoted parameters.
                0 => then.header("link", r#"</link?page=1>; rel="next""#),
                1 => then.header("link", format!("<{base}/link?page=2>; rel=next")),
                2 => then.header(
                    "link",
                    r#"</link>; rel="first"; title="a, b; c", </link?page=3>; rel="next""#,
                ),
                3 => then
                    .header("link", r#"</link?page=2>; rel="prev""#)
                    .header("link", r#"</link?page=4>; rel="next""#),
                _ => then,
            }
        },
    )
    .await;
    let (source, cache) = open_cache();
    let client = ListingsClient::builder(server.base_url(), cache.clone())
        .build()
        .expect("a valid base URL");
    let pages = client.by_link().await.expect("no argument to refuse");
    assert_eq!(take_expiring_after_page_2(&cache, pages).await, all_items());
    assert_each_page_asked_once(&mocks).await;
    assert_eq!(source.calls(), 2, "one token for pages 1-2, one for 3-5");
}

#[tokio::test]
async fn a_cursor_listing_renews_a_token_that_expires_mid_way_and_asks_each_page_once() {
    let server = server().await;
    let mocks = five_pages(
        &server,
        "/cursor",
        |n, when| {
            if n == 0 {
                when.query_param_missing("cursor")
            } else {
                when.query_param("cursor", format!("c/{n}"))
            }
        },
        |n, then| {
            // The last page's cursor is null; a number or a string is sent back as text.
            let next = match n {
                4 => json!(null),
                _ => json!(format!("c/{}", n + 1)),
            };
            then.json_body(json!({"data": items(n), "meta": {"next": next}}))
        },
    )
    .await;
    let (source, cache) = open_cache();
    let client = ListingsClient::builder(server.base_url(), cache.clone())
        .build()
        .expect("a valid base URL");
    let pages = client.by_cursor().await.expect("no argument to refuse");
    assert_eq!(take_expiring_after_page_2(&cache, pages).await, all_items());
    assert_each_page_asked_once(&mocks).await;
    assert_eq!(source.calls(), 2, "one token for pages 1-2, one for 3-5");
}

#[tokio::test]
async fn a_page_number_listing_ends_on_a_short_page_and_renews_an_expired_token() {
    let server = server().await;
    let mocks = five_pages(
        &server,
        "/page",
        |n, when| {
            let when = when.query_param("per_page", "2");
            if n == 0 {
                when.query_param_missing("page")
            } else {
                when.query_param("page", (n + 1).to_string())
            }
        },
        |n, then| then.json_body(json!(items(n))),
    )
    .await;
    let (source, cache) = open_cache();
    let client = ListingsClient::builder(server.base_url(), cache.clone())
        .build()
        .expect("a valid base URL");
    let pages = client.by_page(2).await.expect("a valid query");
    assert_eq!(take_expiring_after_page_2(&cache, pages).await, all_items());
    assert_each_page_asked_once(&mocks).await;
    assert_eq!(source.calls(), 2, "one token for pages 1-2, one for 3-5");
}

#[tokio::test]
async fn an_offset_listing_ends_on_an_empty_page_and_renews_an_expired_token() {
    let server = server().await;
    // Offsets 0, 2, 4, 6 hold two items each; 8 is empty.
    let mocks = five_pages(
        &server,
        "/offset",
        |n, when| {
            let when = when.query_param("tag", "a b");
            if n == 0 {
                when.query_param_missing("offset")
            } else {
                when.query_param("offset", (n * 2).to_string())
            }
        },
        |n, then| {
            let page = if n == 4 { Vec::new() } else { items(n) };
            then.json_body(json!({"items": page}))
        },
    )
    .await;
    let (source, cache) = open_cache();
    let client = ListingsClient::builder(server.base_url(), cache.clone())
        .build()
        .expect("a valid base URL");
    let pages = client.by_offset("a b").await.expect("a valid query");
    assert_eq!(
        take_expiring_after_page_2(&cache, pages).await,
        (1..=8).collect::<Vec<u32>>()
    );
    assert_each_page_asked_once(&mocks).await;
    assert_eq!(source.calls(), 2, "one token for pages 1-2, one for 3-5");
}

#[tokio::test]
async fn a_next_page_on_another_origin_ends_the_listing_and_is_never_sent_the_token() {
    let api = server().await;
    let other = server().await;
    let reached = other
        .mock_async(|_when, then| {
            then.status(200).json_body(json!([99]));
        })
        .await;
    let target = other.url("/steal?sig=SIGNATURE-77aa");
    api.mock_async(move |when, then| {
        when.method(GET).path("/link");
        then.status(200)
            .header("link", format!("<{target}>; rel=\"next\""))
            .json_body(json!([1, 2]));
    })
    .await;
    let (_source, cache) = open_cache();
    let client = ListingsClient::builder(api.base_url(), cache)
        .build()
        .expect("a valid base URL");
    let mut pages = client.by_link().await.expect("no argument to refuse");
    assert_eq!(pages.next_item().await.map(Result::ok), Some(Some(1)));
    assert_eq!(pages.next_item().await.map(Result::ok), Some(Some(2)));
    let error = pages
        .next_item()
        .await
        .expect("an error ends the listing")
        .expect_err("the other origin is not followed");
    assert!(matches!(error, Error::Pagination { .. }), "{error:?}");
    let message = error.to_string();
    assert!(message.contains(&other.base_url()), "{message}");
    assert!(!message.contains("SIGNATURE"), "{message}");
    assert!(pages.next_item().await.is_none(), "the listing has ended");
    assert_eq!(
        reached.calls_async().await,
        0,
        "nothing reached the other origin"
    );
}

#[tokio::test]
async fn a_listing_past_max_pages_ends_with_an_error_after_that_many_pages() {
    let server = server().await;
    // Every page names a next one: the first `?n=a`, then `a` and `b` each other.
    let mut endless = Vec::new();
    for (from, to) in [(None, "a"), (Some("a"), "b"), (Some("b"), "a")] {
        endless.push(
            server
                .mock_async(move |when, then| {
                    let when = when.method(GET).path("/link");
                    match from {
                        None => when.query_param_missing("n"),
                        Some(from) => when.query_param("n", from),
                    };
                    then.status(200)
                        .header("link", format!("</link?n={to}>; rel=\"next\""))
                        .json_body(json!([7]));
                })
                .await,
        );
    }
    let (_source, cache) = open_cache();
    let client = ListingsClient::builder(server.base_url(), cache)
        .build()
        .expect("a valid base URL");
    let pages = client
        .by_link_capped()
        .await
        .expect("no argument to refuse");
    let items: Vec<Result<u32, Error>> = pages.collect().await;
    assert_eq!(items.len(), 4, "three pages of one item, then the error");
    assert!(items[..3].iter().all(|item| matches!(item, Ok(7))));
    let error = items[3].as_ref().expect_err("past max_pages");
    assert!(error.to_string().contains("max_pages"), "{error}");
    let mut asked = 0;
    for mock in &endless {
        asked += mock.calls_async().await;
    }
    assert_eq!(asked, 3, "no page past max_pages is asked for");
}

#[tokio::test]
async fn a_next_link_to_the_page_itself_ends_the_listing_with_an_error() {
    let server = server().await;
    let same = server
        .mock_async(|when, then| {
            when.method(GET).path("/link");
            then.status(200)
                .header("link", r#"</link>; rel="next""#)
                .json_body(json!([1]));
        })
        .await;
    let (_source, cache) = open_cache();
    let client = ListingsClient::builder(server.base_url(), cache)
        .build()
        .expect("a valid base URL");
    let error = client
        .by_link()
        .await
        .expect("no argument to refuse")
        .try_collect()
        .await
        .expect_err("the page names itself as the next");
    assert!(error.to_string().contains("repeat it forever"), "{error}");
    assert_eq!(same.calls_async().await, 1);
}

#[tokio::test]
async fn a_failed_page_is_the_listing_s_last_item() {
    let server = server().await;
    let mut mocks = Vec::new();
    for n in 0..4_u32 {
        mocks.push(
            server
                .mock_async(move |when, then| {
                    let when = when.method(GET).path("/cursor");
                    if n == 0 {
                        when.query_param_missing("cursor");
                    } else {
                        when.query_param("cursor", n.to_string());
                    }
                    if n == 2 {
                        then.status(500).body("down");
                    } else {
                        then.status(200)
                            .json_body(json!({"data": [n], "meta": {"next": n + 1}}));
                    }
                })
                .await,
        );
    }
    let (_source, cache) = open_cache();
    let client = ListingsClient::builder(server.base_url(), cache)
        .build()
        .expect("a valid base URL");
    let items: Vec<Result<u32, Error>> = client
        .by_cursor()
        .await
        .expect("no argument to refuse")
        .collect()
        .await;
    assert_eq!(items.len(), 3, "{items:?}");
    assert!(matches!(items[..2], [Ok(0), Ok(1)]), "{items:?}");
    let error = items[2].as_ref().expect_err("page 3 failed");
    assert_eq!(error.status().map(|status| status.as_u16()), Some(500));
    assert_eq!(mocks[3].calls_async().await, 0, "no page after the error");
}
