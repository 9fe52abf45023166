//! `freshtoken::tower::BearerLayer` over a hyper-util legacy `Client` (HTTP/1.1), against the
//! scripted server on 127.0.0.1 whose API answers 200 only to a valid access token, and whose
//! token endpoint issues them (refresh-token grant): the header set; a 401 then 200 with one
//! refresh and one retry, the body sent again; 100 concurrent requests on an expired token
//! with one refresh; a body still being written not retried but its token invalidated; a
//! request to another origin (an httpmock server) sent without the token, its 401 returned
//! without a refresh.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use freshtoken::TokenCache;
use freshtoken::oauth::{ClientAuth, RefreshTokenGrant};
use freshtoken::tower::{BearerLayer, BearerService};
use freshtoken_tests::faults::expired_token;
use freshtoken_tests::scripted::{Reply, ScriptedServer};
use http::{Request, Response, StatusCode};
use http_body::{Body, Frame, SizeHint};
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Empty, Full};
use httpmock::MockServer;
use httpmock::prelude::HttpMockRequest;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use tokio::task::JoinSet;
use tower::{Layer as _, ServiceExt as _};

/// Every wait of these tests: a failing test fails, never hangs.
const BOUND: Duration = Duration::from_secs(10);

async fn bounded<T>(work: impl Future<Output = T>) -> T {
    tokio::time::timeout(BOUND, work)
        .await
        .expect("the test finished within its bound")
}

type Sent = BoxBody<Bytes, Infallible>;
type AuthClient = BearerService<Client<HttpConnector, Sent>, RefreshTokenGrant>;

/// A hyper-util client through the layer, and its cache: a refresh-token grant against the
/// server, starting with an expired token, with no minimum interval between refreshes (a
/// retry gets its new token at once).
fn client(server: &ScriptedServer) -> (AuthClient, TokenCache<RefreshTokenGrant>) {
    let url = server.token_url().parse().expect("the server's URL parses");
    let grant = RefreshTokenGrant::new(url, ClientAuth::basic("tower-client", "CS-SECRET-tower"));
    let cache = TokenCache::builder(grant)
        .min_refresh_interval(Duration::ZERO)
        .token(expired_token())
        .build();
    let http = Client::builder(TokioExecutor::new()).build_http::<Sent>();
    let layer = BearerLayer::new(cache.clone(), server.api_url()).expect("the server's URL");
    (layer.layer(http), cache)
}

async fn send(client: &AuthClient, request: Request<Sent>) -> (StatusCode, String) {
    let response: Response<_> = client
        .clone()
        .oneshot(request)
        .await
        .expect("the server on 127.0.0.1 answers");
    let status = response.status();
    let body = response
        .into_body()
        .collect()
        .await
        .expect("the whole body");
    (
        status,
        String::from_utf8_lossy(&body.to_bytes()).into_owned(),
    )
}

async fn get(client: &AuthClient, server: &ScriptedServer) -> StatusCode {
    let request = Request::get(server.api_url())
        .body(Empty::new().boxed())
        .expect("a valid request");
    send(client, request).await.0
}

#[tokio::test]
async fn the_layer_sets_the_bearer_header() {
    bounded(async {
        let server = ScriptedServer::start(Reply::issue()).await;
        let (client, _cache) = client(&server);

        let request = Request::get(server.api_url())
            .body(Empty::new().boxed())
            .unwrap();
        let (status, body) = send(&client, request).await;

        // The API answers 200 only to `Bearer <a token it issued>`.
        assert_eq!((status, body.as_str()), (StatusCode::OK, r#"{"tasks":[]}"#));
        assert_eq!(server.api_hits(), (1, 0));
        assert_eq!(server.token_hits().len(), 1);
    })
    .await;
}

#[tokio::test]
async fn a_401_then_200_is_one_refresh_and_one_retry_with_the_body_sent_again() {
    bounded(async {
        let server = ScriptedServer::start(Reply::issue()).await;
        let (client, _cache) = client(&server);
        assert_eq!(get(&client, &server).await, StatusCode::OK);
        server.revoke_access_tokens();

        let request = Request::post(server.api_url())
            .body(Full::new(Bytes::from_static(b"page=2")).boxed())
            .unwrap();
        let (status, _) = send(&client, request).await;

        assert_eq!(status, StatusCode::OK);
        assert_eq!(server.api_hits(), (3, 1), "one 401, one retry");
        assert_eq!(
            server.token_hits().len(),
            2,
            "exactly one refresh for the 401"
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_concurrent_requests_on_an_expired_token_share_one_refresh() {
    bounded(async {
        let server = ScriptedServer::start(Reply::issue()).await;
        let (client, cache) = client(&server);
        assert_eq!(get(&client, &server).await, StatusCode::OK);
        cache.expire_now();

        let mut requests = JoinSet::new();
        for _ in 0..100 {
            let client = client.clone();
            let url = server.api_url();
            requests.spawn(async move {
                let request = Request::get(url).body(Empty::new().boxed()).unwrap();
                send(&client, request).await.0
            });
        }
        let statuses = requests.join_all().await;

        assert!(
            statuses.iter().all(|&status| status == StatusCode::OK),
            "{statuses:?}"
        );
        assert_eq!(server.token_hits().len(), 2, "one refresh for the hundred");
        assert_eq!(server.api_hits(), (101, 0));
    })
    .await;
}

#[tokio::test]
async fn a_body_still_being_written_is_not_retried_but_its_token_is_invalidated() {
    bounded(async {
        let server = ScriptedServer::start(Reply::issue()).await;
        let (client, cache) = client(&server);
        assert_eq!(get(&client, &server).await, StatusCode::OK);
        server.revoke_access_tokens();

        let request = Request::post(server.api_url())
            .body(SecondChunkLater::new("page=", "3").boxed())
            .unwrap();
        let (status, _) = send(&client, request).await;

        assert_eq!(status, StatusCode::UNAUTHORIZED, "returned, not retried");
        assert_eq!(server.api_hits(), (2, 1));
        assert_eq!(
            server.api_bodies()[1],
            "page=3",
            "the chunk read ahead, then the rest"
        );
        assert_eq!(
            server.token_hits().len(),
            1,
            "no refresh for a retry not made"
        );
        assert!(
            cache.cached().is_none(),
            "the rejected token is invalidated"
        );
        assert_eq!(
            get(&client, &server).await,
            StatusCode::OK,
            "a new token next"
        );
        assert_eq!(server.token_hits().len(), 2);
    })
    .await;
}

fn has_authorization(request: &HttpMockRequest) -> bool {
    request
        .headers_vec()
        .iter()
        .any(|(name, _)| name.eq_ignore_ascii_case("authorization"))
}

#[tokio::test]
async fn a_request_to_another_origin_gets_no_token_and_its_401_changes_nothing() {
    bounded(async {
        let server = ScriptedServer::start(Reply::issue()).await;
        let other = tokio::task::unconstrained(MockServer::start_async()).await;
        let given = other
            .mock_async(|when, then| {
                when.header("authorization", "Basic dXNlcjpwYXNz");
                then.status(401);
            })
            .await;
        let without = other
            .mock_async(|when, then| {
                when.is_true(|request| !has_authorization(request));
                then.status(401);
            })
            .await;
        let (client, _cache) = client(&server);
        assert_eq!(get(&client, &server).await, StatusCode::OK);

        let bare = Request::post(other.url("/collect"))
            .body(Full::new(Bytes::from_static(b"page=2")).boxed())
            .unwrap();
        let own = Request::get(other.url("/collect"))
            .header("authorization", "Basic dXNlcjpwYXNz")
            .body(Empty::new().boxed())
            .unwrap();
        let statuses = (send(&client, bare).await.0, send(&client, own).await.0);

        assert_eq!(
            statuses,
            (StatusCode::UNAUTHORIZED, StatusCode::UNAUTHORIZED),
            "returned as they are"
        );
        assert_eq!(without.calls_async().await, 1, "no token, and no retry");
        assert_eq!(
            given.calls_async().await,
            1,
            "the caller's own header left as it is"
        );
        assert_eq!(server.token_hits().len(), 1, "no refresh forced");
        assert_eq!(get(&client, &server).await, StatusCode::OK);
        assert_eq!(server.token_hits().len(), 1, "the API's token was kept");
        assert_eq!(server.api_hits(), (2, 0));
    })
    .await;
}

/// A body of two chunks whose second is not ready the first time it is asked for (it wakes
/// its reader at once): a body still being written when the request starts. Its exact size
/// gives the request a `content-length`, so the server reads it whole before answering.
struct SecondChunkLater {
    chunks: [Option<Bytes>; 2],
    held_back: bool,
}

impl SecondChunkLater {
    fn new(first: &'static str, second: &'static str) -> Self {
        Self {
            chunks: [
                Some(Bytes::from_static(first.as_bytes())),
                Some(Bytes::from_static(second.as_bytes())),
            ],
            held_back: false,
        }
    }
}

impl Body for SecondChunkLater {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        if let Some(first) = self.chunks[0].take() {
            return Poll::Ready(Some(Ok(Frame::data(first))));
        }
        if !self.held_back {
            self.held_back = true;
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        Poll::Ready(self.chunks[1].take().map(|second| Ok(Frame::data(second))))
    }

    fn size_hint(&self) -> SizeHint {
        let left = self.chunks.iter().flatten().map(Bytes::len).sum::<usize>();
        SizeHint::with_exact(u64::try_from(left).unwrap_or(u64::MAX))
    }
}

#[tokio::test]
async fn a_403_insufficient_scope_steps_up_once_and_resends_the_body() {
    use freshtoken_tests::scoped::{INSUFFICIENT_SCOPE, ScopedSource, WRITE};
    let server = MockServer::start_async().await;
    let refused = server
        .mock_async(|when, then| {
            when.header("authorization", "Bearer narrow");
            then.status(403)
                .header("www-authenticate", INSUFFICIENT_SCOPE);
        })
        .await;
    let accepted = server
        .mock_async(|when, then| {
            when.header("authorization", "Bearer wide-1").body("note");
            then.status(201);
        })
        .await;
    let source = ScopedSource::default();
    let http = Client::builder(TokioExecutor::new()).build_http::<Sent>();
    let layer = BearerLayer::new(TokenCache::new(source.clone()), server.base_url()).unwrap();
    let client = layer.layer(http);

    let request = Request::post(server.url("/notes"))
        .body(Full::new(Bytes::from_static(b"note")).boxed())
        .unwrap();
    let response = bounded(client.oneshot(request)).await.unwrap();

    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(refused.calls_async().await, 1);
    assert_eq!(accepted.calls_async().await, 1);
    assert_eq!(source.step_ups(), [["tasks:read", WRITE]]);
}
