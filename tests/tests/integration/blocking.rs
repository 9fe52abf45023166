//! The cache and `#[refresh_token]` from plain threads with no tokio runtime: the
//! `reqwest::blocking` and ureq case. Refreshes run on a runtime the test owns (or the cache's
//! own); the callers only block.

use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use freshtoken::{
    AuthError, AuthErrorKind, Token, TokenCache, TokenSource, Unauthorized, refresh_token,
};
use freshtoken_tests::GatedSource;
use freshtoken_tests::scoped::KeptError;
use freshtoken_ui_tests::HourTokens;
use httpmock::Method::GET;
use httpmock::{Mock, MockServer};
use reqwest::header::AUTHORIZATION;

const THREADS: usize = 20;

/// The bound on every wait of these tests: a broken cache fails them, never hangs them.
const PATIENCE: Duration = Duration::from_secs(10);

#[test]
fn twenty_plain_threads_at_expiry_share_one_refresh() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let source = GatedSource::closed(Duration::from_secs(3600));
    let cache = TokenCache::builder(source.clone())
        .runtime(runtime.handle().clone())
        .refresh_timeout(PATIENCE)
        .build();
    cache.set_token(Token::builder("old").build().unwrap());
    cache.expire_now();

    let start = Arc::new(Barrier::new(THREADS));
    let callers: Vec<_> = (0..THREADS)
        .map(|_| {
            let (cache, start) = (cache.clone(), Arc::clone(&start));
            std::thread::spawn(move || {
                start.wait();
                cache.blocking_token()
            })
        })
        .collect();

    // Every caller is waiting on the one refresh before the source may answer.
    let deadline = Instant::now() + PATIENCE;
    while cache.stats().waits < THREADS as u64 {
        assert!(
            Instant::now() < deadline,
            "only {} of {THREADS} callers are waiting",
            cache.stats().waits
        );
        std::thread::yield_now();
    }
    source.open_gate();

    let tokens: Vec<Arc<Token>> = callers
        .into_iter()
        .map(|caller| caller.join().unwrap().unwrap())
        .collect();
    assert_eq!(source.calls(), 1, "one refresh for all the threads");
    assert_eq!(cache.stats().refreshes, 1);
    assert!(tokens.iter().all(|token| Arc::ptr_eq(token, &tokens[0])));
    assert_eq!(tokens[0].access_token().expose_secret(), "access-1");
}

/// An SDK error for a blocking client.
#[derive(Debug)]
enum ApiError {
    Auth(AuthError),
    Http(reqwest::Error),
}

impl From<AuthError> for ApiError {
    fn from(error: AuthError) -> Self {
        Self::Auth(error)
    }
}

impl From<reqwest::Error> for ApiError {
    fn from(error: reqwest::Error) -> Self {
        Self::Http(error)
    }
}

impl Unauthorized for ApiError {
    fn is_unauthorized(&self) -> bool {
        matches!(self, Self::Http(error) if error.is_unauthorized())
    }
}

/// A blocking SDK: `reqwest::blocking` and a non-async `#[refresh_token]` method.
struct TasksClient<S> {
    http: reqwest::blocking::Client,
    base_url: String,
    auth: TokenCache<S>,
}

impl<S: TokenSource> TasksClient<S> {
    #[refresh_token(cache = self.auth)]
    fn list_tasks(&self, #[token] token: &Token) -> Result<String, ApiError> {
        let response = self
            .http
            .get(format!("{}/tasks", self.base_url))
            .header(AUTHORIZATION, token.authorization().clone())
            .send()?
            .error_for_status()?;
        Ok(response.text()?)
    }
}

/// A client of `server` whose cache runs refreshes on a runtime of its own.
fn blocking_client(server: &MockServer) -> (TasksClient<HourTokens>, HourTokens) {
    let source = HourTokens::default();
    let auth = TokenCache::builder(source.clone())
        .refresh_timeout(PATIENCE)
        // The refresh after a 401 follows the first at once.
        .min_refresh_interval(Duration::ZERO)
        .build_with_own_runtime()
        .unwrap();
    let client = TasksClient {
        http: reqwest::blocking::Client::builder()
            .timeout(PATIENCE)
            .build()
            .unwrap(),
        base_url: server.base_url(),
        auth,
    };
    (client, source)
}

/// `GET /tasks` answering `status` to requests that carry `bearer` (every request if `None`).
fn tasks_api<'s>(server: &'s MockServer, bearer: Option<&str>, status: u16) -> Mock<'s> {
    server.mock(|when, then| {
        let when = when.method(GET).path("/tasks");
        if let Some(bearer) = bearer {
            when.header("authorization", format!("Bearer {bearer}"));
        }
        then.status(status)
            .body(if status == 200 { "[]" } else { "" });
    })
}

#[test]
fn a_blocking_method_retries_a_401_once_with_a_new_token() {
    let server = MockServer::start();
    let rejected = tasks_api(&server, Some("access-1"), 401);
    let accepted = tasks_api(&server, Some("access-2"), 200);
    let (client, source) = blocking_client(&server);

    assert_eq!(client.list_tasks().unwrap(), "[]");
    assert_eq!(rejected.calls(), 1);
    assert_eq!(accepted.calls(), 1, "the server saw the new token once");
    assert_eq!(source.calls(), 2, "the first token, one refresh");
}

#[test]
fn a_second_401_is_returned_after_exactly_two_attempts() {
    let server = MockServer::start();
    let api = tasks_api(&server, None, 401);
    let (client, source) = blocking_client(&server);

    let error = client.list_tasks().unwrap_err();
    assert!(error.is_unauthorized(), "{error:?}");
    assert_eq!(api.calls(), 2, "one call, one retry");
    assert_eq!(source.calls(), 2);
}

#[tokio::test]
async fn a_blocking_method_called_in_async_code_fails_at_once_without_a_request() {
    let server = MockServer::start_async().await;
    let api = tasks_api(&server, None, 200);
    let source = HourTokens::default();
    // `reqwest::blocking` may not even be built inside a runtime: the client never gets that
    // far, but it must exist; build it on a plain thread.
    let http = std::thread::spawn(reqwest::blocking::Client::new)
        .join()
        .unwrap();
    let client = TasksClient {
        http,
        base_url: server.base_url(),
        auth: TokenCache::new(source.clone()),
    };

    let error = client.list_tasks().unwrap_err();
    let ApiError::Auth(error) = &error else {
        panic!("expected the cache's error, got {error:?}");
    };
    assert!(
        matches!(error.kind(), AuthErrorKind::BlockingInAsyncContext),
        "{error}"
    );
    assert!(error.to_string().contains("token().await"), "{error}");
    assert_eq!(api.calls_async().await, 0);
    assert_eq!(source.calls(), 0);
    // Dropping a `reqwest::blocking` client in async code panics: hand it back to a thread.
    std::thread::spawn(move || drop(client)).join().unwrap();
}

#[refresh_token(cache = cache)]
fn delete_task<S: TokenSource>(
    cache: &TokenCache<S>,
    http: &reqwest::blocking::Client,
    url: &str,
    #[token] token: &Token,
) -> Result<(), KeptError> {
    let response = http
        .delete(url)
        .header(AUTHORIZATION, token.authorization().clone())
        .send()
        .expect("the mock server answers");
    if response.status().is_success() {
        return Ok(());
    }
    Err(KeptError::answer(response.status(), response.headers()))
}

#[test]
fn a_blocking_method_refused_for_scope_steps_up_once_and_runs_again() {
    use freshtoken_tests::scoped::{INSUFFICIENT_SCOPE, ScopedSource, WRITE};

    let server = MockServer::start();
    let refused = server.mock(|when, then| {
        when.header("authorization", "Bearer narrow");
        then.status(403)
            .header("www-authenticate", INSUFFICIENT_SCOPE);
    });
    let accepted = server.mock(|when, then| {
        when.header("authorization", "Bearer wide-1");
        then.status(204);
    });
    let source = ScopedSource::default();
    let cache = TokenCache::builder(source.clone())
        .build_with_own_runtime()
        .unwrap();
    let http = reqwest::blocking::Client::new();

    delete_task(&cache, &http, &server.url("/tasks/1")).expect("the second run is accepted");

    assert_eq!(refused.calls(), 1);
    assert_eq!(accepted.calls(), 1);
    assert_eq!(source.step_ups(), [["tasks:read", WRITE]]);

    // Refused again with the wider token: its 403 is returned, with no second step-up.
    let stubborn = MockServer::start();
    stubborn.mock(|_, then| {
        then.status(403)
            .header("www-authenticate", INSUFFICIENT_SCOPE);
    });
    match delete_task(&cache, &http, &stubborn.url("/tasks/1")) {
        Err(KeptError::Answer(answer)) => assert_eq!(answer.status(), 403),
        Err(KeptError::Auth(error)) => panic!("the 403 is returned, not {error}"),
        Ok(()) => panic!("the stubborn server refuses"),
    }
    assert_eq!(source.step_ups().len(), 1);
}
