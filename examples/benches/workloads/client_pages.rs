// Input: the local API of `client_call.rs`, given one more route.
// Output: a listing of `PAGES` pages that names each next page in a `Link` header, and two
// subjects that read it all: a method generated with `paginate = link`, and the loop a
// hand-written client would run.
//
// Used by the quick report (`examples/src/bin/bench_report.rs`, section `client`), which
// includes it with `#[path]` beside `client_call.rs`.

use std::future::Future;

use axum::Router;
use axum::extract::RawQuery;
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE, LINK};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use freshtoken::TokenCache;
use freshtoken::client::Pages;

use crate::client_call::{HandError, ITEM_JSON, Item, Server};
use crate::workloads::subjects::{Issuer, Subject, fresh_cache};

/// Pages in one listing, and items in each.
pub(crate) const PAGES: u64 = 10;
const PER_PAGE: usize = 10;
/// How many items a whole listing holds: `PER_PAGE` items on each of the `PAGES` pages.
pub(crate) const ITEMS: usize = PER_PAGE * 10;

/// `GET /pages?page=N`: [`PER_PAGE`] items, and a `Link` to page `N + 1` up to [`PAGES`].
pub(crate) fn routes() -> Router {
    Router::new().route("/pages", get(page))
}

async fn page(headers: HeaderMap, RawQuery(query): RawQuery) -> Response {
    if !headers.contains_key(AUTHORIZATION) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let number: u64 = query
        .as_deref()
        .and_then(|query| query.strip_prefix("page="))
        .and_then(|number| number.parse().ok())
        .unwrap_or(1);
    let body = format!("[{}]", [ITEM_JSON; PER_PAGE].join(","));
    let mut response = ([(CONTENT_TYPE, "application/json")], body).into_response();
    if number < PAGES {
        let next = format!("</pages?page={}>; rel=\"next\"", number + 1);
        response.headers_mut().insert(
            LINK,
            next.parse().expect("a link of ASCII is a header value"),
        );
    }
    response
}

/// The listing as a trait.
#[freshtoken::client]
pub(crate) trait Listing {
    /// Every page.
    #[get("/pages", paginate = link)]
    async fn all(&self) -> Result<Pages<Item>>;
}

/// Reads every page through the generated method.
#[derive(Clone)]
pub(crate) struct GeneratedPages(ListingClient<Issuer>);

impl Subject for GeneratedPages {
    type Output = Result<Vec<Item>, freshtoken::client::Error>;

    async fn read(&self) -> Self::Output {
        self.0.all().await?.try_collect().await
    }
}

/// Reads every page by hand: a token per page, `error_for_status`, the `Link` header found
/// with string searches (no quoted parameters, as hand-written loops tend to), the next URL
/// joined to the base by `format!`, a bound on the pages.
#[derive(Clone)]
pub(crate) struct HandWrittenPages {
    http: reqwest::Client,
    cache: TokenCache<Issuer>,
    base_url: String,
}

impl HandWrittenPages {
    async fn all(&self) -> Result<Vec<Item>, HandError> {
        let mut url = format!("{}/pages", self.base_url);
        let mut items = Vec::new();
        for _ in 0..1000 {
            let token = self.cache.token().await?;
            let response = self
                .http
                .get(&url)
                .header(AUTHORIZATION, token.authorization().clone())
                .send()
                .await?
                .error_for_status()?;
            let next = response
                .headers()
                .get(LINK)
                .and_then(|link| link.to_str().ok())
                .and_then(|link| {
                    link.split(',')
                        .find(|one| one.contains("rel=\"next\""))
                        .and_then(|one| Some(one[one.find('<')? + 1..one.find('>')?].to_owned()))
                });
            let body = response.bytes().await?;
            items.extend(serde_json::from_slice::<Vec<Item>>(&body)?);
            match next {
                Some(next) => url = format!("{}{next}", self.base_url),
                None => return Ok(items),
            }
        }
        Err("more pages than expected".into())
    }
}

impl Subject for HandWrittenPages {
    type Output = Result<Vec<Item>, HandError>;

    fn read(&self) -> impl Future<Output = Self::Output> + Send {
        self.all()
    }
}

/// The two readers of one server's listing, sharing one connection pool and one cache.
pub(crate) fn subjects(server: &Server) -> (GeneratedPages, HandWrittenPages) {
    let http = reqwest::Client::new();
    let cache = fresh_cache();
    let base_url = server.base_url();
    let generated = ListingClient::builder(base_url.clone(), cache.clone())
        .http_client(http.clone())
        .build()
        .expect("the local base URL is valid");
    (
        GeneratedPages(generated),
        HandWrittenPages {
            http,
            cache,
            base_url,
        },
    )
}
