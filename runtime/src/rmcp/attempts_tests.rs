//! `send_authorized` with a scripted `send` in place of rmcp's reqwest client: which answers
//! are resent, with which token, and what reaches the transport.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use ::rmcp::transport::streamable_http_client::{
    AuthRequiredError, InsufficientScopeError, StreamableHttpError,
};

use super::attempts::send_authorized;
use super::error::AuthorizedHttpError;
use crate::{AuthError, Token, TokenCache, TokenSource};

/// Issues `t1`, `t2`, ... with scope `read`; a step-up issues `wide1`, ... with the scopes
/// asked for. Counts both.
#[derive(Default)]
struct Counting {
    fetches: AtomicUsize,
    step_ups: Arc<AtomicUsize>,
}

/// A cache over [`Counting`], and its count of step-ups.
fn counting_cache() -> (TokenCache<Counting>, Arc<AtomicUsize>) {
    let source = Counting::default();
    let step_ups = Arc::clone(&source.step_ups);
    (TokenCache::new(source), step_ups)
}

impl TokenSource for Counting {
    async fn fetch(&self, _previous: Option<&Token>) -> Result<Token, AuthError> {
        let n = self.fetches.fetch_add(1, Ordering::SeqCst) + 1;
        Token::builder(format!("t{n}")).scope("read").build()
    }

    async fn fetch_with_scopes(
        &self,
        _previous: Option<&Token>,
        scopes: &[String],
    ) -> Result<Token, AuthError> {
        let n = self.step_ups.fetch_add(1, Ordering::SeqCst) + 1;
        Token::builder(format!("wide{n}"))
            .scope(scopes.join(" "))
            .build()
    }
}

type Reply = Result<&'static str, StreamableHttpError<reqwest::Error>>;

/// Runs `send_authorized` with `replies` as the answers to the attempts, in order; returns
/// its result and the `Authorization` value of each attempt.
async fn run(
    cache: &TokenCache<Counting>,
    replies: Vec<Reply>,
) -> (
    Result<&'static str, StreamableHttpError<AuthorizedHttpError>>,
    Vec<String>,
) {
    let sent = Arc::new(Mutex::new(Vec::new()));
    let replies = Mutex::new(replies.into_iter());
    let result = send_authorized(cache, |token: Arc<Token>| {
        sent.lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(token.authorization().to_str().unwrap().to_owned());
        let reply = replies
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .next()
            .expect("no more attempts were scripted");
        async move { reply }
    })
    .await;
    let sent = sent.lock().unwrap_or_else(PoisonError::into_inner).clone();
    (result, sent)
}

fn forbidden(challenge: &str) -> Reply {
    Err(StreamableHttpError::InsufficientScope(
        InsufficientScopeError::new(challenge.to_owned(), None),
    ))
}

/// A 401 as rmcp's reqwest client reports it for the session's DELETE: reqwest's status
/// error.
fn status_error(status: u16) -> Reply {
    let response = http::Response::builder().status(status).body("").unwrap();
    let error = reqwest::Response::from(response)
        .error_for_status()
        .unwrap_err();
    Err(StreamableHttpError::Client(error))
}

#[tokio::test(start_paused = true)]
async fn a_401_to_the_sessions_delete_is_resent_once_with_a_new_token() {
    let (cache, _) = counting_cache();

    let (result, sent) = run(&cache, vec![status_error(401), Ok("deleted")]).await;

    assert_eq!(result.unwrap(), "deleted");
    assert_eq!(sent, ["Bearer t1", "Bearer t2"]);
}

#[tokio::test(start_paused = true)]
async fn a_401_with_a_challenge_after_the_resend_reaches_rmcp_as_auth_required() {
    let (cache, _) = counting_cache();
    let refused = || {
        Err(StreamableHttpError::AuthRequired(AuthRequiredError::new(
            "Bearer error=\"invalid_token\"".to_owned(),
        )))
    };

    let (result, sent) = run(&cache, vec![refused(), refused()]).await;

    assert!(matches!(result, Err(StreamableHttpError::AuthRequired(_))));
    assert_eq!(sent, ["Bearer t1", "Bearer t2"]);
}

#[tokio::test(start_paused = true)]
async fn a_403_insufficient_scope_is_resent_once_with_the_stepped_up_token() {
    let (cache, _) = counting_cache();
    let challenge = "Bearer error=\"insufficient_scope\", scope=\"write\"";

    let (result, sent) = run(&cache, vec![forbidden(challenge), Ok("written")]).await;

    assert_eq!(result.unwrap(), "written");
    assert_eq!(sent, ["Bearer t1", "Bearer wide1"]);
    assert_eq!(cache.cached().unwrap().scope(), Some("read write"));
}

#[tokio::test(start_paused = true)]
async fn a_403_for_another_reason_is_returned_without_a_step_up() {
    let (cache, step_ups) = counting_cache();

    let (result, sent) = run(&cache, vec![forbidden("Bearer error=\"invalid_token\"")]).await;

    assert!(matches!(
        result,
        Err(StreamableHttpError::InsufficientScope(_))
    ));
    assert_eq!(sent, ["Bearer t1"]);
    assert_eq!(step_ups.load(Ordering::SeqCst), 0);
}

#[tokio::test(start_paused = true)]
async fn a_second_403_insufficient_scope_is_returned_without_a_second_step_up() {
    let (cache, step_ups) = counting_cache();
    let challenge = "Bearer error=\"insufficient_scope\", scope=\"admin\"";

    let (result, sent) = run(&cache, vec![forbidden(challenge), forbidden(challenge)]).await;

    assert!(matches!(
        result,
        Err(StreamableHttpError::InsufficientScope(_))
    ));
    assert_eq!(sent, ["Bearer t1", "Bearer wide1"]);
    assert_eq!(step_ups.load(Ordering::SeqCst), 1);
}

#[tokio::test(start_paused = true)]
async fn without_a_token_nothing_is_sent_and_the_error_says_why() {
    let cache = TokenCache::new(crate::source_fn(|_previous| async {
        Err::<Token, _>(AuthError::invalid_client("the client id is unknown"))
    }));
    let attempts = AtomicUsize::new(0);

    let result: Result<(), _> = send_authorized(&cache, |_authorization| {
        attempts.fetch_add(1, Ordering::SeqCst);
        async { Ok(()) }
    })
    .await;

    let error = result.unwrap_err();
    assert_eq!(attempts.load(Ordering::SeqCst), 0);
    assert!(
        matches!(
            &error,
            StreamableHttpError::Client(AuthorizedHttpError::NoToken(_))
        ),
        "{error:?}"
    );
    let StreamableHttpError::Client(client_error) = &error else {
        unreachable!()
    };
    assert_eq!(
        client_error.to_string(),
        format!(
            "no bearer token for the MCP request: {}",
            client_error.auth_error().unwrap()
        )
    );
}

#[tokio::test]
async fn a_failed_request_reaches_rmcp_without_its_url() {
    // Bound and dropped: the port is closed, so the connection is refused.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let refused = reqwest::Client::new()
        .post(format!("http://127.0.0.1:{port}/mcp?api_key=key-SECRET"))
        .send()
        .await
        .unwrap_err();
    let (cache, _) = counting_cache();

    let (result, _) = run(&cache, vec![Err(StreamableHttpError::Client(refused))]).await;

    let error = result.unwrap_err();
    let text = format!("{error} / {error:?}");
    assert!(matches!(
        error,
        StreamableHttpError::Client(AuthorizedHttpError::Http(_))
    ));
    assert!(!text.contains("SECRET"), "{text}");
}

#[tokio::test(start_paused = true)]
async fn each_resend_runs_in_a_span_with_its_count_and_reason() {
    let (captured, _guard) = crate::spans::capture::capture();
    let (cache, _) = counting_cache();
    let challenge = "Bearer error=\"insufficient_scope\", scope=\"write\"";

    let replies = vec![status_error(401), forbidden(challenge), Ok("written")];
    let (result, sent) = run(&cache, replies).await;

    assert_eq!(result.unwrap(), "written");
    assert_eq!(sent.len(), 3);
    let resends = captured.spans("freshtoken.resend");
    let fields: Vec<&str> = resends.iter().map(|s| s.fields.as_str()).collect();
    assert_eq!(fields.len(), 2, "{fields:?}");
    assert!(
        fields[0].contains("http.request.resend_count=1")
            && fields[0].contains("freshtoken.reason=unauthorized"),
        "{fields:?}"
    );
    assert!(
        fields[1].contains("http.request.resend_count=2")
            && fields[1].contains("freshtoken.reason=step_up"),
        "{fields:?}"
    );
    let refreshes = captured.spans("freshtoken.refresh");
    let parents: Vec<_> = refreshes.iter().map(|r| r.parent).collect();
    assert_eq!(
        parents,
        [None, Some("freshtoken.resend"), Some("freshtoken.resend")],
        "the new token and the step-up belong to their resends"
    );
}
