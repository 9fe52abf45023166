//! `freshtoken::middleware::BearerAuth` in a reqwest-middleware stack, and a generated client
//! sending through a `ClientWithMiddleware`, against a server on 127.0.0.1 that answers a
//! scripted list of statuses in order and records the `Authorization` header of each request:
//! the header set; a 401 then 200 with one refresh and one retry; a second 401 returned; a
//! streaming body not retried but its token invalidated; reqwest-retry outside `BearerAuth`
//! (503, 401, 200: one refresh; each retry takes the cache's current token); a generated
//! client whose stack retries a 503, and its error when the stack gives up; a `BearerAuth` in
//! a generated client's own stack stands aside. A second server is
//! another origin: it gets no token, keeps the caller's own `Authorization`, and its 401
//! invalidates nothing and is not retried, also when a redirect from the API led there.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use freshtoken::middleware::BearerAuth;
use freshtoken::{AuthError, TokenCache};
use freshtoken_tests::client::open_cache;
use reqwest_middleware::{ClientBuilder, ClientWithMiddleware};
use reqwest_retry::RetryTransientMiddleware;
use reqwest_retry::policies::ExponentialBackoff;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// Runs as each request arrives, before it is answered: a test's stand-in for what happens
/// to the token meanwhile.
type OnRequest = Arc<dyn Fn() + Send + Sync>;

/// A server that answers each request with the next status of its script (200 once the
/// script is spent), one request per connection; dropping it stops it.
struct StatusScript {
    addr: SocketAddr,
    seen: Arc<Mutex<Vec<String>>>,
    serving: JoinHandle<()>,
}

impl StatusScript {
    async fn start(statuses: &[u16]) -> Self {
        Self::start_with(statuses, Arc::new(|| {})).await
    }

    async fn start_with(statuses: &[u16], on_request: OnRequest) -> Self {
        let listener = TcpListener::bind(("127.0.0.1", 0))
            .await
            .expect("a free port on 127.0.0.1");
        let addr = listener.local_addr().expect("a bound listener's address");
        let script = Arc::new(Mutex::new(
            statuses.iter().copied().collect::<VecDeque<_>>(),
        ));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let recorded = Arc::clone(&seen);
        let serving = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let script = Arc::clone(&script);
                let recorded = Arc::clone(&recorded);
                let on_request = Arc::clone(&on_request);
                tokio::spawn(async move {
                    let _ = answer(stream, &script, &recorded, &*on_request).await;
                });
            }
        });
        Self {
            addr,
            seen,
            serving,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// The `Authorization` header of each request (empty when absent), in order of arrival.
    fn authorizations(&self) -> Vec<String> {
        self.seen
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl Drop for StatusScript {
    fn drop(&mut self) {
        self.serving.abort();
    }
}

/// Reads one request (headers, then a `content-length` or chunked body) and answers it.
async fn answer(
    mut stream: TcpStream,
    script: &Mutex<VecDeque<u16>>,
    seen: &Mutex<Vec<String>>,
    on_request: &(dyn Fn() + Send + Sync),
) -> std::io::Result<()> {
    let mut data = Vec::new();
    let mut buf = [0u8; 4096];
    let head_end = loop {
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            return Ok(());
        }
        data.extend_from_slice(&buf[..n]);
        if let Some(at) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
    };
    let head = String::from_utf8_lossy(&data[..head_end]).to_ascii_lowercase();
    let header = |name: &str| {
        head.lines()
            .find_map(|line| line.strip_prefix(name).map(|v| v.trim().to_owned()))
    };
    if let Some(length) = header("content-length:") {
        let length: usize = length.parse().unwrap_or(0);
        while data.len() < head_end + length {
            let n = stream.read(&mut buf).await?;
            if n == 0 {
                break;
            }
            data.extend_from_slice(&buf[..n]);
        }
    } else if header("transfer-encoding:").is_some_and(|v| v.contains("chunked")) {
        while !data[head_end..].ends_with(b"0\r\n\r\n") {
            let n = stream.read(&mut buf).await?;
            if n == 0 {
                break;
            }
            data.extend_from_slice(&buf[..n]);
        }
    }
    // Recorded with its original case: the token is case-sensitive.
    let original = String::from_utf8_lossy(&data[..head_end]).into_owned();
    let authorization = original.lines().find_map(|line| {
        let (name, value) = line.split_once(':')?;
        name.eq_ignore_ascii_case("authorization")
            .then(|| value.trim().to_owned())
    });
    seen.lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(authorization.unwrap_or_default());
    on_request();
    let status = script
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .pop_front()
        .unwrap_or(200);
    let response =
        format!("HTTP/1.1 {status} Scripted\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok");
    stream.write_all(response.as_bytes()).await?;
    stream.shutdown().await
}

fn bearer(n: u32) -> String {
    format!("Bearer access-{n}")
}

fn with_bearer_auth<S: freshtoken::TokenSource>(
    server: &StatusScript,
    cache: TokenCache<S>,
) -> ClientWithMiddleware {
    ClientBuilder::new(reqwest::Client::new())
        .with(BearerAuth::new(cache, server.url("")).expect("the server's URL"))
        .build()
}

/// reqwest-retry with waits short enough not to slow the tests (their length decides nothing).
fn retry_transient() -> RetryTransientMiddleware<ExponentialBackoff> {
    let policy = ExponentialBackoff::builder()
        .retry_bounds(Duration::from_millis(1), Duration::from_millis(5))
        .build_with_max_retries(3);
    RetryTransientMiddleware::new_with_policy(policy)
}

#[tokio::test]
async fn the_bearer_header_replaces_one_already_set() {
    let server = StatusScript::start(&[]).await;
    let (source, cache) = open_cache();
    let http = with_bearer_auth(&server, cache);

    let response = http
        .get(server.url("/me"))
        .header("authorization", "Basic dXNlcjpwYXNz")
        .send()
        .await
        .expect("an answer");

    assert_eq!(response.status(), 200);
    assert_eq!(server.authorizations(), vec![bearer(1)]);
    assert_eq!(source.calls(), 1);
}

#[tokio::test]
async fn a_401_is_retried_once_with_a_new_token() {
    let server = StatusScript::start(&[401, 200]).await;
    let (source, cache) = open_cache();
    let http = with_bearer_auth(&server, cache.clone());

    let response = http
        .post(server.url("/tasks"))
        .body("a buffered body can be sent twice")
        .send()
        .await
        .expect("an answer");

    assert_eq!(response.status(), 200);
    assert_eq!(server.authorizations(), vec![bearer(1), bearer(2)]);
    assert_eq!(source.calls(), 2, "one refresh after the 401");
    assert_eq!(cache.stats().refreshes, 2);
}

#[tokio::test]
async fn a_second_401_is_returned_and_its_token_dropped() {
    let server = StatusScript::start(&[401, 401, 200]).await;
    let (source, cache) = open_cache();
    let http = with_bearer_auth(&server, cache.clone());

    let response = http.get(server.url("/me")).send().await.expect("an answer");

    assert_eq!(response.status(), 401, "no third attempt");
    assert_eq!(server.authorizations(), vec![bearer(1), bearer(2)]);
    assert_eq!(source.calls(), 2);
    assert!(
        cache.cached().is_none(),
        "the rejected token is not served again"
    );
}

#[tokio::test]
async fn a_streaming_body_is_not_retried_but_its_token_is_invalidated() {
    let server = StatusScript::start(&[401, 200]).await;
    let (source, cache) = open_cache();
    let http = with_bearer_auth(&server, cache);
    let chunks = [Ok::<_, std::io::Error>("part one, "), Ok("part two")];
    let body = reqwest::Body::wrap_stream(futures_util::stream::iter(chunks));

    let response = http
        .put(server.url("/upload"))
        .body(body)
        .send()
        .await
        .expect("an answer");

    assert_eq!(response.status(), 401, "a stream cannot be sent again");
    assert_eq!(server.authorizations(), vec![bearer(1)]);
    assert_eq!(
        source.calls(),
        1,
        "no token fetched for a retry that cannot be"
    );

    let next = http.get(server.url("/me")).send().await.expect("an answer");
    assert_eq!(next.status(), 200);
    assert_eq!(
        server.authorizations(),
        vec![bearer(1), bearer(2)],
        "the next request gets a new token"
    );
}

#[tokio::test]
async fn inside_reqwest_retry_a_503_then_401_then_200_makes_one_refresh() {
    let server = StatusScript::start(&[503, 401, 200]).await;
    let (source, cache) = open_cache();
    let http = ClientBuilder::new(reqwest::Client::new())
        .with(retry_transient())
        .with(BearerAuth::new(cache, server.url("")).expect("the server's URL"))
        .build();

    let response = http.get(server.url("/me")).send().await.expect("an answer");

    assert_eq!(response.status(), 200);
    assert_eq!(
        server.authorizations(),
        vec![bearer(1), bearer(1), bearer(2)],
        "the retry of the 503 reuses the valid token; the 401 gets a new one"
    );
    assert_eq!(source.calls(), 2, "the first token and one refresh");
}

#[tokio::test]
async fn without_a_token_nothing_is_sent_and_the_auth_error_is_returned() {
    let server = StatusScript::start(&[]).await;
    let cache = TokenCache::new(freshtoken::source_fn(|_previous| async {
        Err::<freshtoken::Token, _>(AuthError::refresh_failed("the login service is down"))
    }));
    let http = ClientBuilder::new(reqwest::Client::new())
        .with(BearerAuth::new(cache, server.url("")).expect("the server's URL"))
        .build();

    let error = http
        .get(server.url("/me"))
        .send()
        .await
        .expect_err("no token, no request");

    let reqwest_middleware::Error::Middleware(error) = error else {
        panic!("expected a middleware error, got {error:?}");
    };
    assert!(
        error.downcast_ref::<AuthError>().is_some(),
        "the AuthError can be found: {error:#}"
    );
    let text = format!("{error:#}");
    assert!(
        text.contains("no bearer token") && text.contains("the login service is down"),
        "{text}"
    );
    assert!(server.authorizations().is_empty());
}

/// `{}` (what `?` into most error types, and `reqwest_middleware::Error`'s own `Display`,
/// show) must name why there is no token, not only that there is none.
#[tokio::test]
async fn the_no_token_error_names_its_cause_in_plain_display() {
    let server = StatusScript::start(&[]).await;
    let cache = TokenCache::new(freshtoken::source_fn(|_previous| async {
        Err::<freshtoken::Token, _>(AuthError::reauthenticate("invalid_grant: revoked"))
    }));
    let http = with_bearer_auth(&server, cache);

    let error = http
        .get(server.url("/me"))
        .send()
        .await
        .expect_err("no token, no request");

    let text = error.to_string();
    assert!(
        text.starts_with("no bearer token for the request: ")
            && text.contains("invalid_grant: revoked")
            && text.contains("log in again"),
        "{text}"
    );
}

#[tokio::test]
async fn inside_reqwest_retry_each_attempt_takes_the_current_token() {
    let (source, cache) = open_cache();
    // The token in use is dropped while its request fails with 503 (revoked, or expired
    // during the backoff): the retry must not resend it.
    let watched = cache.clone();
    let server = StatusScript::start_with(
        &[503, 200],
        Arc::new(move || {
            if let Some(token) = watched.cached() {
                watched.invalidate(&token);
            }
        }),
    )
    .await;
    let http = ClientBuilder::new(reqwest::Client::new())
        .with(retry_transient())
        .with(BearerAuth::new(cache, server.url("")).expect("the server's URL"))
        .build();

    let response = http.get(server.url("/me")).send().await.expect("an answer");

    assert_eq!(response.status(), 200);
    let seen = server.authorizations();
    assert_eq!(
        seen[..2],
        [bearer(1), bearer(2)],
        "the retry asked the cache again"
    );
    assert_eq!(source.calls(), 2);
}

/// An API whose calls go through the stack given to its builder.
#[freshtoken::client]
pub trait Tasks {
    /// Authenticated.
    #[get("/tasks")]
    async fn list(&self) -> Result<String>;
}

#[tokio::test]
async fn a_generated_client_sends_through_the_stack_which_retries_a_503() {
    let server = StatusScript::start(&[503, 401, 200]).await;
    let (source, cache) = open_cache();
    let stack = ClientBuilder::new(reqwest::Client::new())
        .with(retry_transient())
        .build();
    let client = TasksClient::builder(server.url(""), cache)
        .middleware_client(stack)
        .build()
        .expect("a valid base URL");

    assert_eq!(client.list().await.expect("the third attempt"), "ok");
    assert_eq!(
        server.authorizations(),
        vec![bearer(1), bearer(1), bearer(2)],
        "the stack retries the 503, the client the 401"
    );
    assert_eq!(source.calls(), 2);
}

/// The client already sets the token and retries a 401: a `BearerAuth` in the stack it sends
/// through stands aside rather than doubling the token requests and the sends.
#[tokio::test]
async fn bearer_auth_in_a_generated_clients_own_stack_stands_aside() {
    let server = StatusScript::start(&[401, 401, 200]).await;
    let (source, cache) = open_cache();
    let stack = ClientBuilder::new(reqwest::Client::new())
        .with(retry_transient())
        .with(BearerAuth::new(cache.clone(), server.url("")).expect("the server's URL"))
        .build();
    let client = TasksClient::builder(server.url(""), cache)
        .middleware_client(stack)
        .build()
        .expect("a valid base URL");

    let error = client.list().await.expect_err("two 401s in a row");

    assert!(error.is_unauthorized(), "{error:?}");
    assert_eq!(
        server.authorizations(),
        vec![bearer(1), bearer(2)],
        "the client's one retry after a 401, and no second policy inside it"
    );
    assert_eq!(source.calls(), 2, "the first token and one refresh");
}

#[tokio::test]
async fn a_stack_that_gives_up_is_a_middleware_error_without_the_url() {
    let base = freshtoken_tests::client::refused_url().await;
    let (_source, cache) = open_cache();
    let stack = ClientBuilder::new(reqwest::Client::new())
        .with(retry_transient())
        .build();
    let client = TasksClient::builder(format!("{base}/v1"), cache)
        .middleware_client(stack)
        .build()
        .expect("a valid base URL");

    let error = client.list().await.expect_err("nothing listens");

    assert!(
        matches!(error, freshtoken::client::Error::Middleware { .. }),
        "{error:?}"
    );
    let text = error.to_string();
    assert!(
        text.starts_with("list (GET /tasks): middleware failed: "),
        "{text}"
    );
    // reqwest's error inside the retry middleware's names the URL: it is cut out.
    assert!(text.contains("url (/tasks)"), "{text}");
    assert!(!text.contains(&base), "no URL in {text}");
}

#[tokio::test]
async fn a_request_to_another_origin_gets_no_token_and_keeps_its_own_authorization() {
    let api = StatusScript::start(&[]).await;
    let other = StatusScript::start(&[]).await;
    let (source, cache) = open_cache();
    let http = with_bearer_auth(&api, cache);

    let bare = http.get(other.url("/a")).send().await.expect("an answer");
    let own = http
        .get(other.url("/b"))
        .header("authorization", "Basic dXNlcjpwYXNz")
        .send()
        .await
        .expect("an answer");

    assert_eq!((bare.status().as_u16(), own.status().as_u16()), (200, 200));
    assert_eq!(
        other.authorizations(),
        vec![String::new(), "Basic dXNlcjpwYXNz".to_owned()],
        "no token to another origin; the caller's header left as it is"
    );
    assert_eq!(source.calls(), 0, "no token was needed");
    let to_api = http.get(api.url("/me")).send().await.expect("an answer");
    assert_eq!(to_api.status(), 200);
    assert_eq!(
        api.authorizations(),
        vec![bearer(1)],
        "the API still gets it"
    );
}

#[tokio::test]
async fn a_401_from_another_origin_is_returned_without_invalidating_or_retrying() {
    let api = StatusScript::start(&[401, 200]).await;
    let other = StatusScript::start(&[401, 401]).await;
    let (source, cache) = open_cache();
    let http = with_bearer_auth(&api, cache.clone());
    cache.token().await.expect("a token");

    let response = http.get(other.url("/x")).send().await.expect("an answer");

    assert_eq!(response.status(), 401, "returned as it is");
    assert_eq!(other.authorizations().len(), 1, "not retried");
    assert_eq!(source.calls(), 1, "no refresh forced");
    assert_eq!(
        cache
            .cached()
            .map(|token| token.access_token().expose_secret().to_owned()),
        Some("access-1".to_owned()),
        "the API's token is kept"
    );

    // The API's own 401 is still retried once with a new token.
    let response = http.get(api.url("/me")).send().await.expect("an answer");
    assert_eq!(response.status(), 200);
    assert_eq!(api.authorizations(), vec![bearer(1), bearer(2)]);
    assert_eq!(source.calls(), 2);
}

#[tokio::test]
async fn a_401_from_another_origin_after_a_redirect_invalidates_nothing() {
    let api = tokio::task::unconstrained(httpmock::MockServer::start_async()).await;
    let other = tokio::task::unconstrained(httpmock::MockServer::start_async()).await;
    let refused = other
        .mock_async(|_when, then| {
            then.status(401);
        })
        .await;
    let target = other.url("/login");
    let moved = api
        .mock_async(|when, then| {
            when.path("/me");
            then.status(302).header("location", &target);
        })
        .await;
    let (source, cache) = open_cache();
    // reqwest's own client, below the middleware, follows the redirect.
    let http = ClientBuilder::new(reqwest::Client::new())
        .with(BearerAuth::new(cache.clone(), api.base_url()).expect("the server's URL"))
        .build();

    let response = http.get(api.url("/me")).send().await.expect("an answer");

    assert_eq!(response.status().as_u16(), 401, "returned as it is");
    assert_eq!(moved.calls_async().await, 1, "not retried");
    assert_eq!(refused.calls_async().await, 1);
    assert_eq!(source.calls(), 1, "no refresh forced");
    assert!(cache.cached().is_some(), "the API's token is kept");
}

/// A route refused with `insufficient_scope` to the first login's token, and accepted with
/// the step-up's, on httpmock.
async fn scoped_route(server: &httpmock::MockServer) -> (httpmock::Mock<'_>, httpmock::Mock<'_>) {
    use freshtoken_tests::scoped::INSUFFICIENT_SCOPE;
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
    (refused, accepted)
}

#[tokio::test]
async fn a_403_insufficient_scope_steps_up_once_and_resends_the_body() {
    use freshtoken_tests::scoped::{ScopedSource, WRITE};
    let server = httpmock::MockServer::start_async().await;
    let (refused, accepted) = scoped_route(&server).await;
    let source = ScopedSource::default();
    let stack = ClientBuilder::new(reqwest::Client::new())
        .with(BearerAuth::new(TokenCache::new(source.clone()), server.base_url()).unwrap())
        .build();

    let response = stack
        .post(server.url("/notes"))
        .body("note")
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 201);
    assert_eq!(refused.calls_async().await, 1);
    assert_eq!(accepted.calls_async().await, 1);
    assert_eq!(source.step_ups(), [["tasks:read", WRITE]]);

    // A streaming body cannot be sent again: its 403 is returned, and the next request
    // (whose body can be copied) gets the token the step-up already brought.
    let stream = futures_util::stream::iter([Ok::<_, std::io::Error>("note")]);
    let response = stack
        .post(server.url("/notes"))
        .body(reqwest::Body::wrap_stream(stream))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201, "the stepped-up token is in service");
    assert_eq!(source.step_ups().len(), 1);
}
