// Input: a source that grants the scopes it is asked for, callers that a resource refuses
// for lack of scope.
// Output: evidence that a step-up is one authorization for every caller, asks for the held
// and the named scopes, is bounded, and that a failed one leaves the token in service.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::{AuthError, AuthErrorKind, MemoryStore, Token, TokenCache, TokenSource, TokenStore};

/// What a [`Granting`] source was asked: `None` for `fetch`, the scopes for
/// `fetch_with_scopes`, and whether a previous token came with the call.
type Asked = Vec<(Option<Vec<String>>, bool)>;

/// Grants `scope` at first, then whatever scopes it is asked for (or `grant` instead, when
/// set: a server that grants less than asked); `decline` makes every step-up fail.
#[derive(Default)]
struct Granting {
    asked: Mutex<Asked>,
    grant: Option<&'static str>,
    decline: bool,
    /// Leaves `scope` out of the answer, as a server that granted what was asked may.
    silent: bool,
}

impl Granting {
    fn asked(&self) -> Asked {
        self.asked.lock().unwrap().clone()
    }

    fn token(&self, scope: &str) -> Result<Token, AuthError> {
        let n = self.asked.lock().unwrap().len();
        let builder = Token::builder(format!("access-{n}"))
            .expires_in(Duration::from_secs(3600))
            .refresh_token(format!("refresh-{n}"));
        if self.silent {
            builder.build()
        } else {
            builder.scope(scope).build()
        }
    }
}

impl TokenSource for Arc<Granting> {
    async fn fetch(&self, previous: Option<&Token>) -> Result<Token, AuthError> {
        self.asked.lock().unwrap().push((None, previous.is_some()));
        self.token("files:read")
    }

    async fn fetch_with_scopes(
        &self,
        previous: Option<&Token>,
        scopes: &[String],
    ) -> Result<Token, AuthError> {
        self.asked
            .lock()
            .unwrap()
            .push((Some(scopes.to_vec()), previous.is_some()));
        // A login takes a while: every caller of a herd arrives while it runs.
        tokio::time::sleep(Duration::from_secs(2)).await;
        if self.decline {
            return Err(AuthError::rejected("access_denied: the user declined"));
        }
        let joined = scopes.join(" ");
        self.token(self.grant.unwrap_or(&joined))
    }
}

/// The scopes of a `fetch_with_scopes` call, as [`Asked`] holds them.
fn owned(list: &[&str]) -> Vec<String> {
    list.iter().map(|&s| s.to_owned()).collect()
}

#[tokio::test(start_paused = true)]
async fn a_step_up_asks_for_the_held_and_the_named_scopes_as_a_new_authorization() {
    let source = Arc::new(Granting::default());
    let cache = TokenCache::new(Arc::clone(&source));
    let used = cache.token().await.unwrap();

    let wider = cache.step_up_for(&used, ["files:write"]).await.unwrap();

    assert_eq!(wider.scope(), Some("files:read files:write"));
    assert_eq!(
        source.asked(),
        [
            (None, false),
            (Some(owned(&["files:read", "files:write"])), false)
        ],
        "the step-up is asked without the previous token: a refresh cannot widen scope"
    );
    assert!(cache.cached().unwrap().is_same(&wider));
}

#[tokio::test(start_paused = true)]
async fn a_hundred_callers_stepping_up_at_once_make_one_authorization() {
    let source = Arc::new(Granting::default());
    let cache = TokenCache::new(Arc::clone(&source));
    let used = cache.token().await.unwrap();

    let herd = (0..100).map(|_| {
        let cache = cache.clone();
        let used = Arc::clone(&used);
        tokio::spawn(async move { cache.step_up_for(&used, ["files:write"]).await })
    });
    let tokens: Vec<Arc<Token>> = futures_util::future::join_all(herd)
        .await
        .into_iter()
        .map(|joined| joined.unwrap().unwrap())
        .collect();

    assert_eq!(source.asked().len(), 2, "one login, one step-up");
    assert!(tokens.iter().all(|token| token.is_same(&tokens[0])));
    // A caller whose 403 arrives after the step-up gets its token, without asking.
    let late = cache.step_up_for(&used, ["files:write"]).await.unwrap();
    assert!(late.is_same(&tokens[0]));
    assert_eq!(source.asked().len(), 2);
}

#[tokio::test(start_paused = true)]
async fn a_resource_that_keeps_refusing_costs_one_authorization_then_errors() {
    let source = Arc::new(Granting::default());
    let cache = TokenCache::new(Arc::clone(&source));
    let used = cache.token().await.unwrap();
    let wider = cache.step_up_for(&used, ["admin"]).await.unwrap();

    // A late refusal of the older token gets the wider one, without asking.
    let late = cache.step_up_for(&used, ["admin"]).await.unwrap();
    assert!(late.is_same(&wider));
    // The resource refuses the wider token too, naming the scope it holds.
    for _ in 0..3 {
        let error = cache.step_up_for(&wider, ["admin"]).await.unwrap_err();
        assert!(
            matches!(error.kind(), AuthErrorKind::InsufficientScope { scope, .. } if scope == "admin"),
            "{error}"
        );
        assert!(!error.is_retryable());
    }
    assert_eq!(source.asked().len(), 2, "no second step-up");
}

#[tokio::test(start_paused = true)]
async fn scopes_the_server_did_not_grant_end_the_step_up_with_an_error_and_are_not_asked_again() {
    let source = Arc::new(Granting {
        grant: Some("files:read"),
        ..Granting::default()
    });
    let cache = TokenCache::new(Arc::clone(&source));
    let used = cache.token().await.unwrap();

    let error = cache.step_up_for(&used, ["files:write"]).await.unwrap_err();
    assert!(
        error.to_string().contains("did not grant these scopes"),
        "{error}"
    );
    let again = cache.step_up_for(&used, ["files:write"]).await.unwrap_err();
    assert!(matches!(
        again.kind(),
        AuthErrorKind::InsufficientScope { .. }
    ));
    assert_eq!(source.asked().len(), 2);
}

#[tokio::test(start_paused = true)]
async fn a_token_without_a_scope_field_holds_what_the_step_up_asked_for() {
    let source = Arc::new(Granting {
        silent: true,
        ..Granting::default()
    });
    let cache = TokenCache::new(Arc::clone(&source));
    let used = cache.token().await.unwrap();

    let wider = cache.step_up_for(&used, ["files:write"]).await.unwrap();
    assert_eq!(wider.scope(), None);
    let error = cache
        .step_up_for(&wider, ["files:write"])
        .await
        .unwrap_err();
    assert!(matches!(
        error.kind(),
        AuthErrorKind::InsufficientScope { .. }
    ));
    assert_eq!(source.asked().len(), 2);
}

#[tokio::test(start_paused = true)]
async fn later_refreshes_ask_for_the_stepped_up_scopes_with_the_previous_token() {
    let source = Arc::new(Granting::default());
    let cache = TokenCache::new(Arc::clone(&source));
    let used = cache.token().await.unwrap();
    cache.step_up_for(&used, ["files:write"]).await.unwrap();

    cache.refresh().await.unwrap();

    assert_eq!(
        source.asked().last().unwrap(),
        &(Some(owned(&["files:read", "files:write"])), true)
    );
}

#[tokio::test(start_paused = true)]
async fn a_declined_step_up_leaves_the_token_in_service_and_no_backoff() {
    let source = Arc::new(Granting {
        decline: true,
        ..Granting::default()
    });
    let cache = TokenCache::new(Arc::clone(&source));
    let used = cache.token().await.unwrap();

    let error = cache.step_up_for(&used, ["files:write"]).await.unwrap_err();
    assert!(error.to_string().contains("access_denied"), "{error}");

    let still = cache.token().await.unwrap();
    assert!(still.is_same(&used), "the narrower token keeps serving");
    // No backoff: a forced refresh asks the source at once, as it is configured.
    cache.refresh().await.unwrap();
    assert_eq!(source.asked().last().unwrap(), &(None, true));
}

#[tokio::test(start_paused = true)]
async fn a_challenge_that_names_no_scope_is_refused_without_asking_the_source() {
    let source = Arc::new(Granting::default());
    let cache = TokenCache::new(Arc::clone(&source));
    let used = cache.token().await.unwrap();

    let error = cache.step_up_for(&used, [""; 0]).await.unwrap_err();
    assert!(error.to_string().contains("named no scope"), "{error}");
    assert_eq!(source.asked().len(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_source_that_cannot_ask_for_scopes_says_so() {
    let cache = TokenCache::new(crate::source_fn(|_previous| async {
        Token::builder("plain").build()
    }));
    let used = cache.token().await.unwrap();

    let error = cache.step_up_for(&used, ["files:write"]).await.unwrap_err();
    assert!(
        error.to_string().contains("fetch_with_scopes"),
        "the error names the method to implement: {error}"
    );
    assert!(cache.token().await.unwrap().is_same(&used));
}

#[tokio::test(start_paused = true)]
async fn the_stepped_up_token_is_saved_to_the_store() {
    let source = Arc::new(Granting::default());
    let store = Arc::new(MemoryStore::default());
    let cache = TokenCache::builder(Arc::clone(&source))
        .store(Arc::clone(&store))
        .build();
    let used = cache.token().await.unwrap();

    let wider = cache.step_up_for(&used, ["files:write"]).await.unwrap();

    let stored = store.load().await.unwrap().unwrap();
    assert!(stored.same_secrets(&wider));
    assert_eq!(stored.scope(), Some("files:read files:write"));
}

#[tokio::test(start_paused = true)]
async fn a_step_up_right_after_a_login_is_not_delayed_by_the_minimum_refresh_interval() {
    let source = Arc::new(Granting::default());
    let cache = TokenCache::builder(Arc::clone(&source))
        .min_refresh_interval(Duration::from_secs(10))
        .build();
    let used = cache.token().await.unwrap();

    let started = tokio::time::Instant::now();
    cache.step_up_for(&used, ["files:write"]).await.unwrap();
    assert_eq!(
        started.elapsed(),
        Duration::from_secs(2),
        "the login's own 2 s, no wait for the interval"
    );
    // The step-up counts as the last fetch: a refresh right after it waits the interval.
    let started = tokio::time::Instant::now();
    cache.refresh().await.unwrap();
    assert!(
        started.elapsed() >= Duration::from_secs(8),
        "{:?}",
        started.elapsed()
    );
}
