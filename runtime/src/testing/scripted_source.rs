// Input: the tokens and failures a test scripts, in order.
// Output: a `TokenSource` that gives them one per call, counts the calls, and says plainly
// when the script ran out.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use crate::{AuthError, Token, TokenSource};

/// A [`TokenSource`] that gives the answers a test scripted, one per call, in order, and
/// counts its calls. Clones share the script and the count: keep one to ask
/// [`calls`](Self::calls) after handing the other to a cache.
///
/// After the script, each call fails with an error that says so, unless
/// [`then_issuing`](Self::then_issuing) says what to give from then on.
///
/// ```
/// use std::time::Duration;
///
/// use freshtoken::testing::ScriptedSource;
/// use freshtoken::{AuthError, TokenSource};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let source = ScriptedSource::new()
///     .then_token("t1", Duration::from_secs(300))
///     .then_error(AuthError::reauthenticate("refresh token revoked"))
///     .then_issuing("token-", Duration::from_secs(300));
/// let first = source.fetch(None).await.unwrap();
/// assert_eq!(first.access_token().expose_secret(), "t1");
/// let error = source.fetch(Some(&first)).await.unwrap_err();
/// assert!(error.needs_reauthentication());
/// let third = source.fetch(None).await.unwrap();
/// assert_eq!(third.access_token().expose_secret(), "token-3");
/// assert_eq!(source.calls(), 3);
/// # }
/// ```
#[derive(Debug, Clone, Default)]
pub struct ScriptedSource {
    shared: Arc<Mutex<Script>>,
}

#[derive(Debug, Default)]
struct Script {
    steps: VecDeque<Step>,
    /// After the steps: tokens `{prefix}{call}` living this long.
    issuing: Option<(String, Duration)>,
    delay: Duration,
    calls: u32,
}

#[derive(Debug)]
enum Step {
    Token { access: String, lifetime: Duration },
    Error(AuthError),
}

impl ScriptedSource {
    /// A source with nothing scripted yet.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Next, a token `access` that expires `lifetime` after it is handed out.
    #[must_use]
    pub fn then_token(self, access: impl Into<String>, lifetime: Duration) -> Self {
        self.lock().steps.push_back(Step::Token {
            access: access.into(),
            lifetime,
        });
        self
    }

    /// Next, `error`: [`AuthError::refresh_failed`] for a failure the cache retries after a
    /// backoff, [`AuthError::reauthenticate`] for dead credentials (the user must log in
    /// again), [`AuthError::invalid_client`] for refused client credentials.
    #[must_use]
    pub fn then_error(self, error: AuthError) -> Self {
        self.lock().steps.push_back(Step::Error(error));
        self
    }

    /// After the scripted answers, a token for every call: `{prefix}{n}` for the `n`th call
    /// (counting the scripted ones), living `lifetime`.
    #[must_use]
    pub fn then_issuing(self, prefix: impl Into<String>, lifetime: Duration) -> Self {
        self.lock().issuing = Some((prefix.into(), lifetime));
        self
    }

    /// Each call waits `delay` (tokio's clock) before it answers, as a token endpoint over a
    /// network does: callers that arrive meanwhile find the refresh in flight.
    #[must_use]
    pub fn with_delay(self, delay: Duration) -> Self {
        self.lock().delay = delay;
        self
    }

    /// How many times the source was asked for a token.
    #[must_use]
    pub fn calls(&self) -> u32 {
        self.lock().calls
    }

    fn lock(&self) -> MutexGuard<'_, Script> {
        self.shared.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The answer of the next call, and how long to wait before giving it.
    fn next(&self) -> (Result<Token, AuthError>, Duration) {
        let mut script = self.lock();
        script.calls += 1;
        let call = script.calls;
        let answer = match script.steps.pop_front() {
            Some(Step::Token { access, lifetime }) => token(access, lifetime),
            Some(Step::Error(error)) => Err(error),
            None => match &script.issuing {
                Some((prefix, lifetime)) => token(format!("{prefix}{call}"), *lifetime),
                None => Err(AuthError::rejected(format!(
                    "ScriptedSource: call {call}, but only {} answers were scripted: add `.then_token(..)`, `.then_error(..)` or `.then_issuing(..)`",
                    call - 1
                ))),
            },
        };
        (answer, script.delay)
    }
}

fn token(access: String, lifetime: Duration) -> Result<Token, AuthError> {
    Token::builder(access).expires_in(lifetime).build()
}

impl TokenSource for ScriptedSource {
    async fn fetch(&self, _previous: Option<&Token>) -> Result<Token, AuthError> {
        let (answer, delay) = self.next();
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        answer
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn answers_come_in_script_order_and_are_counted() {
        let source = ScriptedSource::new()
            .then_error(AuthError::refresh_failed("503"))
            .then_token("t1", Duration::from_secs(60));
        let clone = source.clone();
        let first = clone.fetch(None).await.unwrap_err();
        assert!(first.is_retryable(), "{first}");
        let second = clone.fetch(None).await.unwrap();
        assert_eq!(second.access_token().expose_secret(), "t1");
        assert_eq!(second.lifetime(), Some(Duration::from_secs(60)));
        assert_eq!(source.calls(), 2, "clones share the count");
    }

    #[tokio::test]
    async fn a_spent_script_fails_with_what_to_add() {
        let source = ScriptedSource::new().then_token("t1", Duration::from_secs(60));
        source.fetch(None).await.unwrap();
        let error = source.fetch(None).await.unwrap_err();
        assert!(!error.is_retryable() && !error.needs_reauthentication());
        let text = error.to_string();
        assert!(
            text.contains("call 2")
                && text.contains("only 1 answers")
                && text.contains("then_token"),
            "{text}"
        );
    }

    #[tokio::test]
    async fn then_issuing_numbers_tokens_by_call() {
        let source = ScriptedSource::new()
            .then_token("first", Duration::from_secs(60))
            .then_issuing("n", Duration::from_secs(60));
        let mut seen = Vec::new();
        for _ in 0..3 {
            let token = source.fetch(None).await.unwrap();
            seen.push(token.access_token().expose_secret().to_owned());
        }
        assert_eq!(seen, ["first", "n2", "n3"]);
    }

    #[tokio::test(start_paused = true)]
    async fn the_delay_is_waited_on_tokios_clock() {
        let source = ScriptedSource::new()
            .then_token("t1", Duration::from_secs(60))
            .with_delay(Duration::from_secs(5));
        let start = tokio::time::Instant::now();
        source.fetch(None).await.unwrap();
        assert_eq!(start.elapsed(), Duration::from_secs(5));
    }
}
