// The service over an inner service written as a closure: what can be checked without a
// server (readiness holds no token, the header replaces one already set, which errors come out
// and how, which responses are retried). Behaviour over real connections is in
// tests/tests/integration/tower_clients/.

use std::convert::Infallible;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use bytes::Bytes;
use http::header::AUTHORIZATION;
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use tower::ServiceExt;
use tower_layer::Layer;
use tower_service::Service;

use super::{BearerLayer, BoxError};
use crate::{AuthError, Token, TokenCache, TokenSource, source_fn};

/// A cache whose source issues `t1`, `t2`, ... at once.
fn counting_cache() -> TokenCache<impl TokenSource> {
    let issued = Arc::new(AtomicU32::new(0));
    TokenCache::builder(source_fn(move |_previous| {
        let n = issued.fetch_add(1, Ordering::SeqCst) + 1;
        async move { Token::builder(format!("t{n}")).build() }
    }))
    .min_refresh_interval(std::time::Duration::ZERO)
    .build()
}

/// An inner service answering `statuses` in order (200 after), recording the
/// `authorization` header and the body of each request.
#[derive(Clone)]
struct Scripted {
    statuses: Arc<Mutex<Vec<u16>>>,
    seen: Arc<Mutex<Vec<(String, Bytes)>>>,
}

impl Scripted {
    fn new(statuses: &[u16]) -> Self {
        Self {
            statuses: Arc::new(Mutex::new(statuses.iter().rev().copied().collect())),
            seen: Arc::default(),
        }
    }

    fn seen(&self) -> Vec<(String, Bytes)> {
        self.seen.lock().unwrap().clone()
    }
}

impl Service<Request<Full<Bytes>>> for Scripted {
    type Response = Response<Full<Bytes>>;
    type Error = Infallible;
    type Future =
        std::pin::Pin<Box<dyn Future<Output = Result<Response<Full<Bytes>>, Infallible>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<Full<Bytes>>) -> Self::Future {
        let status = self.statuses.lock().unwrap().pop().unwrap_or(200);
        let seen = Arc::clone(&self.seen);
        Box::pin(async move {
            let (parts, body) = request.into_parts();
            let authorization =
                parts
                    .headers
                    .get(AUTHORIZATION)
                    .map_or_else(String::new, |value| {
                        assert!(value.is_sensitive() || !value.as_bytes().starts_with(b"Bearer t"));
                        value.to_str().unwrap().to_owned()
                    });
            let body = body.collect().await.unwrap().to_bytes();
            seen.lock().unwrap().push((authorization, body));
            Ok(Response::builder()
                .status(status)
                .body(Full::default())
                .unwrap())
        })
    }
}

/// The layer for the API at `http://api.test`, the origin of [`post`]'s requests.
fn layer<S>(cache: TokenCache<S>) -> BearerLayer<S> {
    BearerLayer::new(cache, "http://api.test").unwrap()
}

fn post(body: &'static str) -> Request<Full<Bytes>> {
    Request::post("http://api.test/tasks")
        .header(AUTHORIZATION, "Bearer stale-from-the-caller")
        .body(Full::new(Bytes::from_static(body.as_bytes())))
        .unwrap()
}

#[tokio::test(start_paused = true)]
async fn readiness_takes_no_token_and_the_header_replaces_the_callers() {
    let cache = counting_cache();
    let inner = Scripted::new(&[]);
    let mut service = layer(cache.clone()).layer(inner.clone());

    std::future::poll_fn(|cx| service.poll_ready(cx))
        .await
        .unwrap();
    assert_eq!(cache.stats().refreshes, 0, "poll_ready holds no token");

    let response = service.call(post("a")).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(inner.seen(), [("Bearer t1".to_owned(), Bytes::from("a"))]);
}

#[tokio::test(start_paused = true)]
async fn a_401_is_retried_once_with_a_new_token_and_the_same_body() {
    let cache = counting_cache();
    let inner = Scripted::new(&[401]);
    let service = layer(cache.clone()).layer(inner.clone());

    let response = service.oneshot(post("body")).await.unwrap();

    assert_eq!(response.status(), StatusCode::OK);
    let seen = inner.seen();
    assert_eq!(
        seen,
        [
            ("Bearer t1".to_owned(), Bytes::from("body")),
            ("Bearer t2".to_owned(), Bytes::from("body")),
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn a_second_401_is_returned_and_other_statuses_are_not_retried() {
    let inner = Scripted::new(&[401, 401, 403]);
    let service = layer(counting_cache()).layer(inner.clone());

    let response = service.clone().oneshot(post("x")).await.unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(inner.seen().len(), 2, "one retry, never more");

    let response = service.oneshot(post("y")).await.unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(inner.seen().len(), 3, "a 403 is not the token's fault");
}

#[tokio::test(start_paused = true)]
async fn without_a_token_nothing_is_sent_and_the_error_is_the_auth_error() {
    let cache = TokenCache::new(source_fn(|_previous| async {
        Err::<Token, _>(AuthError::reauthenticate("the refresh token was revoked"))
    }));
    let inner = Scripted::new(&[]);
    let service = layer(cache).layer(inner.clone());

    let error: BoxError = service.oneshot(post("never")).await.unwrap_err();

    let auth = error
        .downcast_ref::<AuthError>()
        .expect("the AuthError itself");
    assert!(auth.needs_reauthentication());
    assert!(inner.seen().is_empty(), "nothing sent");
}

#[tokio::test(start_paused = true)]
async fn the_inner_services_error_passes_through() {
    let failing = tower::service_fn(|_request: Request<Full<Bytes>>| async {
        Err::<Response<Full<Bytes>>, _>(std::io::Error::other("connection refused"))
    });
    let service = layer(counting_cache()).layer(failing);

    let error = service.oneshot(post("x")).await.unwrap_err();

    assert!(error.downcast_ref::<std::io::Error>().is_some(), "{error}");
}

#[tokio::test(start_paused = true)]
async fn a_request_without_an_authority_goes_to_the_endpoint_and_gets_the_token() {
    let inner = Scripted::new(&[401]);
    let service = layer(counting_cache()).layer(inner.clone());
    let request = Request::post("/pkg.Tasks/List")
        .body(Full::new(Bytes::from_static(b"m")))
        .unwrap();

    let response = service.oneshot(request).await.unwrap();

    assert_eq!(response.status(), StatusCode::OK);
    let tokens: Vec<_> = inner.seen().into_iter().map(|(token, _)| token).collect();
    assert_eq!(
        tokens,
        ["Bearer t1", "Bearer t2"],
        "the token, and the retry"
    );
}

#[tokio::test(start_paused = true)]
async fn a_request_to_another_origin_passes_through_as_it_is() {
    let cache = counting_cache();
    let inner = Scripted::new(&[401]);
    let service = layer(cache.clone()).layer(inner.clone());
    let request = Request::post("http://api.test.evil.example/tasks")
        .header(AUTHORIZATION, "Basic b3du")
        .body(Full::new(Bytes::from_static(b"m")))
        .unwrap();

    let response = service.oneshot(request).await.unwrap();

    assert_eq!(
        response.status(),
        StatusCode::UNAUTHORIZED,
        "returned as it is"
    );
    assert_eq!(inner.seen(), [("Basic b3du".to_owned(), Bytes::from("m"))]);
    assert_eq!(
        cache.stats().refreshes,
        0,
        "no token taken, none invalidated"
    );
}

#[tokio::test(start_paused = true)]
async fn the_resend_after_a_401_runs_in_a_span_with_its_resend_count() {
    let (captured, _guard) = crate::spans::capture::capture();
    let issued = Arc::new(AtomicU32::new(0));
    let cache = TokenCache::builder(source_fn(move |_previous| {
        let n = issued.fetch_add(1, Ordering::SeqCst) + 1;
        async move { Token::builder(format!("tower-SECRET-{n}")).build() }
    }))
    .name("spans-tower")
    .min_refresh_interval(std::time::Duration::ZERO)
    .build();
    let service = layer(cache).layer(Scripted::new(&[401]));

    let response = service.oneshot(post("body")).await.unwrap();

    assert_eq!(response.status(), StatusCode::OK);
    let resends = captured.spans("freshtoken.resend");
    assert_eq!(resends.len(), 1, "{resends:?}");
    for expected in [
        "http.request.resend_count=1",
        "freshtoken.reason=unauthorized",
        "freshtoken.cache=spans-tower",
    ] {
        assert!(
            resends[0].fields.contains(expected),
            "{expected}: {resends:?}"
        );
    }
    let refreshes = captured.spans("freshtoken.refresh");
    let parents: Vec<_> = refreshes.iter().map(|r| r.parent).collect();
    assert_eq!(
        parents,
        [None, Some("freshtoken.resend")],
        "the refresh after the 401 belongs to the resend"
    );
    let text = captured.text();
    assert!(
        !text.contains("tower-SECRET-"),
        "a token in the spans: {text}"
    );
}
