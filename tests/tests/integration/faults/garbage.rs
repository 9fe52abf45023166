//! A token endpoint (an httpmock server on 127.0.0.1) answers `200 OK` with garbage, and
//! 1,000 callers of one `#[refresh_token]` method need a token at the same moment. For each
//! kind of garbage this proves, over real HTTP and through `freshtoken::oauth`'s
//! `ClientCredentials`, the cache and the generated code:
//!
//! - nothing panics and nothing overflows: every caller gets an answer;
//! - every caller gets the same outcome: either an `InvalidToken` error that names the
//!   endpoint and says what is wrong with the answer, or one shared token whose expiry is
//!   unknown or exactly what a readable `expires_in` said (absurd lifetimes become unknown;
//!   a token expired on arrival, `expires_in` zero or negative, is refused by the cache);
//! - the herd costs the endpoint exactly one request, and after a failure a second herd gets
//!   the same error at once, from the backoff, without a new request;
//! - no error, in `Display` or `Debug`, quotes the access token the endpoint sent.
//!
//! The callers are gathered behind the refresh by a gate in front of the source, opened only
//! once the cache counts all of them waiting, so no outcome depends on timing.

use std::sync::Arc;
use std::time::Duration;

use freshtoken::oauth::{ClientAuth, ClientCredentials};
use freshtoken::{AuthError, AuthErrorKind, Token, TokenCache, TokenSource, refresh_token};
use freshtoken_tests::ApiError;
use httpmock::Method::POST;
use httpmock::MockServer;
use tokio::sync::Semaphore;
use tokio::task::JoinHandle;

const CALLERS: u64 = 1_000;
const TOKEN_PATH: &str = "/oauth/token";

/// The access token in every answer that carries one (but the JWT cases), so one
/// substring check finds a leak.
const ACCESS_TOKEN: &str = "access-SECRET-7f3a";

/// A hang guard, never reached when the code works: a lost caller fails the test instead of
/// stalling it.
const BOUND: Duration = Duration::from_secs(60);

/// Longer than any test, so that after a failure the backoff, not timing, decides whether
/// the second herd may refresh.
const BACKOFF: Duration = Duration::from_secs(3600);

/// What every caller must get.
#[derive(Debug, Clone, Copy)]
enum Expect {
    /// `InvalidToken` from the source, whose reason names the endpoint and contains this.
    Invalid(&'static str),
    /// `InvalidToken` from the cache, which refuses a token that expired on arrival.
    ExpiredOnArrival,
    /// The token the endpoint sent, with this lifetime (`None`: unknown expiry).
    Token(Option<Duration>),
}

/// The real source, held back until the test opens the gate.
struct Gated {
    inner: ClientCredentials,
    gate: Arc<Semaphore>,
}

impl TokenSource for Gated {
    async fn fetch(&self, previous: Option<&Token>) -> Result<Token, AuthError> {
        let _permit = self
            .gate
            .acquire()
            .await
            .map_err(|_| AuthError::refresh_failed("the test closed the gate"))?;
        self.inner.fetch(previous).await
    }
}

struct Api {
    auth: TokenCache<Gated>,
}

impl Api {
    /// Hands out the token it was given: the herd's outcome is then what each caller sees.
    #[refresh_token(cache = self.auth)]
    async fn session(&self, #[token] token: Arc<Token>) -> Result<Arc<Token>, ApiError> {
        Ok(token)
    }
}

type Outcome = Result<Arc<Token>, ApiError>;

fn spawn_callers(api: &Arc<Api>) -> Vec<JoinHandle<Outcome>> {
    (0..CALLERS)
        .map(|_| {
            let api = Arc::clone(api);
            tokio::spawn(async move { api.session().await })
        })
        .collect()
}

async fn outcomes(case: &str, callers: Vec<JoinHandle<Outcome>>) -> Vec<Outcome> {
    let mut outcomes = Vec::with_capacity(callers.len());
    for caller in callers {
        let outcome = caller.await;
        outcomes.push(outcome.unwrap_or_else(|error| panic!("{case}: a caller died: {error}")));
    }
    outcomes
}

/// Serves `body` as the token endpoint's `200 OK` and sends two herds of callers at it.
async fn garbage(
    case: &str,
    content_type: Option<&str>,
    body: impl AsRef<[u8]>,
    sent: &str,
    expect: Expect,
) {
    tokio::time::timeout(
        BOUND,
        herds(case, content_type, body.as_ref(), sent, expect),
    )
    .await
    .unwrap_or_else(|_| panic!("{case}: callers still waiting after {BOUND:?}"));
}

async fn herds(case: &str, content_type: Option<&str>, body: &[u8], sent: &str, expect: Expect) {
    // httpmock 0.7 blocked inside this poll until a new server thread reported its address,
    // polling a tokio channel that spends the task's coop budget: after a herd had spent it,
    // the wait spun forever. Unconstrained, the wait never asks the budget (kept for 0.9).
    let server = tokio::task::unconstrained(MockServer::start_async()).await;
    let endpoint = server
        .mock_async(|when, then| {
            when.method(POST).path(TOKEN_PATH);
            let mut then = then.status(200);
            if let Some(content_type) = content_type {
                then = then.header("content-type", content_type);
            }
            then.body(body);
        })
        .await;
    let gate = Arc::new(Semaphore::new(0));
    let source = ClientCredentials::new(
        server.url(TOKEN_PATH).parse().unwrap(),
        ClientAuth::basic("herd", "client-SECRET-c"),
    )
    .timeout(BOUND);
    let auth = TokenCache::builder(Gated {
        inner: source,
        gate: Arc::clone(&gate),
    })
    .backoff(BACKOFF, BACKOFF)
    .build();
    let api = Arc::new(Api { auth });

    let callers = spawn_callers(&api);
    while api.auth.stats().waits < CALLERS {
        tokio::task::yield_now().await;
    }
    // Permits for more than one refresh: a second one would then show up as a hit rather
    // than as a hang.
    gate.add_permits(2);
    let first = outcomes(case, callers).await;
    assert_eq!(
        endpoint.calls_async().await,
        1,
        "{case}: one request for the herd"
    );
    check(case, &first, sent, expect);

    let second = outcomes(case, spawn_callers(&api)).await;
    assert_eq!(
        endpoint.calls_async().await,
        1,
        "{case}: the second herd made a request"
    );
    check(case, &second, sent, expect);
    assert!(
        same(&first[0], &second[0]),
        "{case}: the second herd got another outcome"
    );
}

/// The same token, or errors that say the same. Auth errors are compared by kind: one handed
/// out again during the backoff says so in its message.
fn same(a: &Outcome, b: &Outcome) -> bool {
    match (a, b) {
        (Ok(a), Ok(b)) => Arc::ptr_eq(a, b),
        (Err(ApiError::Auth(a)), Err(ApiError::Auth(b))) => {
            format!("{:?}", a.kind()) == format!("{:?}", b.kind())
        }
        (Err(a), Err(b)) => format!("{a:?}") == format!("{b:?}"),
        _ => false,
    }
}

fn check(case: &str, outcomes: &[Outcome], sent: &str, expect: Expect) {
    let (what, from_source) = match expect {
        Expect::Invalid(what) => (what, true),
        // Said by the cache, which knows no endpoint, about what the source returned.
        Expect::ExpiredOnArrival => ("already expired (an `expires_in`", false),
        Expect::Token(lifetime) => return check_tokens(case, outcomes, sent, lifetime),
    };
    for outcome in outcomes {
        let Err(ApiError::Auth(error)) = outcome else {
            panic!("{case}: expected an auth error, got {outcome:?}");
        };
        check_error(case, error, sent, what, from_source);
    }
}

fn check_error(case: &str, error: &AuthError, sent: &str, what: &str, from_source: bool) {
    let AuthErrorKind::InvalidToken { reason } = error.kind() else {
        panic!("{case}: expected InvalidToken, got {error:?}");
    };
    assert!(reason.contains(what), "{case}: {reason}");
    assert!(
        !from_source || (reason.contains(TOKEN_PATH) && reason.contains("200 OK")),
        "{case}: {reason}"
    );
    let shown = format!("{error} {error:?}");
    assert!(
        !shown.contains(sent) && !shown.contains("SECRET"),
        "{case}: a secret leaked: {shown}"
    );
}

/// One token for the whole herd: the one sent, with the lifetime expected.
fn check_tokens(case: &str, outcomes: &[Outcome], sent: &str, lifetime: Option<Duration>) {
    let Ok(shared) = &outcomes[0] else {
        panic!("{case}: expected a token, got {:?}", outcomes[0]);
    };
    assert_eq!(shared.access_token().expose_secret(), sent, "{case}");
    assert_eq!(shared.lifetime(), lifetime, "{case}: lifetime");
    for outcome in outcomes {
        let Ok(token) = outcome else {
            panic!("{case}: expected a token, got {outcome:?}");
        };
        assert!(Arc::ptr_eq(token, shared), "{case}: not the herd's token");
    }
}

/// A token response whose `expires_in` is `raw`, written as is.
fn expiring(raw: &str) -> String {
    format!(r#"{{"access_token":"{ACCESS_TOKEN}","token_type":"Bearer","expires_in":{raw}}}"#)
}

const JSON: Option<&str> = Some("application/json");

// ----- bodies that are no token response -----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_html_page() {
    let page = format!("<html><body>Signed in as {ACCESS_TOKEN}</body></html>");
    let expect = Expect::Invalid("not JSON");
    garbage("HTML body", Some("text/html"), page, ACCESS_TOKEN, expect).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn truncated_json() {
    let cut = format!(r#"{{"access_token":"{ACCESS_TOKEN}","expires_in":36"#);
    let expect = Expect::Invalid("truncated JSON");
    garbage("truncated JSON", JSON, cut, ACCESS_TOKEN, expect).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_body() {
    let expect = Expect::Invalid("the body is empty");
    garbage("empty body", JSON, "", ACCESS_TOKEN, expect).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ten_megabyte_body() {
    let start = format!(r#"{{"access_token":"{ACCESS_TOKEN}","padding":""#);
    let mut body = start.into_bytes();
    body.resize(10 * 1024 * 1024 - 2, b'x');
    body.extend_from_slice(br#""}"#);
    let expect = Expect::Invalid("larger than 1024 KiB");
    garbage("10 MB body", JSON, body, ACCESS_TOKEN, expect).await;
}

// ----- unusable access tokens -----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_access_token() {
    let body = r#"{"token_type":"Bearer","expires_in":3600,"refresh_token":"refresh-SECRET"}"#;
    let expect = Expect::Invalid("`access_token` is missing");
    garbage("missing access_token", JSON, body, ACCESS_TOKEN, expect).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_access_token_no_header_can_carry() {
    let body = format!(r#"{{"access_token":"{ACCESS_TOKEN}\r\nX-Injected: 1"}}"#);
    let expect = Expect::Invalid("cannot be sent in an HTTP header");
    garbage("access_token with CR LF", JSON, body, ACCESS_TOKEN, expect).await;
}

// ----- expires_in of every shape -----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expires_in_negative_is_refused_as_expired_on_arrival() {
    let expect = Expect::ExpiredOnArrival;
    garbage(
        "expires_in -3600",
        JSON,
        expiring("-3600"),
        ACCESS_TOKEN,
        expect,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expires_in_zero_is_refused_as_expired_on_arrival() {
    let expect = Expect::ExpiredOnArrival;
    garbage("expires_in 0", JSON, expiring("0"), ACCESS_TOKEN, expect).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expires_in_absurdly_large_means_unknown() {
    for raw in ["1e300", "1e30", "18446744073709551615"] {
        let case = format!("expires_in {raw}");
        garbage(
            &case,
            JSON,
            expiring(raw),
            ACCESS_TOKEN,
            Expect::Token(None),
        )
        .await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expires_in_as_a_number_in_a_string() {
    let expect = Expect::Token(Some(Duration::from_secs(3600)));
    garbage(
        "expires_in \"3600\"",
        JSON,
        expiring(r#""3600""#),
        ACCESS_TOKEN,
        expect,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expires_in_as_a_word_means_unknown() {
    let expect = Expect::Token(None);
    garbage(
        "expires_in \"soon\"",
        JSON,
        expiring(r#""soon""#),
        ACCESS_TOKEN,
        expect,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expires_in_as_a_float() {
    let expect = Expect::Token(Some(Duration::from_millis(3_599_500)));
    garbage(
        "expires_in 3599.5",
        JSON,
        expiring("3599.5"),
        ACCESS_TOKEN,
        expect,
    )
    .await;
}

// ----- JWT access tokens whose payload cannot give an expiry -----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_jwt_with_a_broken_payload_has_an_unknown_expiry() {
    for (case, jwt) in [
        (
            "JWT payload not base64",
            "eyJhbGciOiJIUzI1NiJ9.!!!notbase64.sig",
        ),
        (
            r#"JWT payload {"exp":"tomorrow"}"#,
            "eyJhbGciOiJIUzI1NiJ9.eyJleHAiOiJ0b21vcnJvdyJ9.sig",
        ),
        (
            r#"JWT payload {"exp":1e400}"#,
            "eyJhbGciOiJIUzI1NiJ9.eyJleHAiOjFlNDAwfQ.sig",
        ),
    ] {
        let body = format!(r#"{{"access_token":"{jwt}","token_type":"Bearer"}}"#);
        garbage(case, JSON, body, jwt, Expect::Token(None)).await;
    }
}
