// Input: a token a resource refused for lack of scope, and the scopes the resource named.
// Output: a token that holds them, from one new authorization shared by every caller that
// asks at the same time; or an error when asking again cannot help.
//
// The bound: a step-up asks for the scopes held plus those named, and nothing once the token
// holds (or the cache has already asked for) every scope named. A resource that keeps refusing
// therefore costs one authorization in all, not one per call, and never a loop.

use std::sync::Arc;

use tokio::sync::watch;
use tokio::time::Instant;

use super::flight::{self, Outcome};
use super::schedule::Freshness;
use super::{State, TokenCache, outcome_of};
use crate::{AuthError, AuthErrorKind, Token, TokenSource};

/// What a step-up does after looking at the state under the lock.
enum Step {
    /// Another caller's step-up already brought a token with the scopes.
    Serve(Arc<Token>),
    Fail(AuthError),
    /// A step-up for (at least) these scopes is under way: its token is this caller's.
    Join(watch::Receiver<Option<Outcome>>),
    /// Another refresh is under way: wait for it, then look again.
    WaitFirst(watch::Receiver<Option<Outcome>>),
}

/// How many other refreshes a step-up waits out before it gives up looking for its turn.
const MAX_WAITS: usize = 3;

impl<S: TokenSource> TokenCache<S> {
    /// After a resource refused `used` for lack of scope (HTTP 403 with
    /// `WWW-Authenticate: Bearer error="insufficient_scope", scope="..."`): a token that also
    /// holds the scopes the challenge names, for one retry of the request.
    ///
    /// The cache asks its source for the scopes `used` holds plus those named
    /// ([`TokenSource::fetch_with_scopes`], without the previous token: a new authorization),
    /// once for every caller that steps up at the same time, and keeps asking for them at
    /// every later refresh. The token in service meanwhile stays in service.
    ///
    /// The generated clients, the reqwest-middleware and tower integrations and
    /// `#[refresh_token]` call it for you after a 403; call it yourself from other code.
    ///
    /// # Errors
    /// [`AuthErrorKind::InsufficientScope`] when asking cannot help: the challenge names no
    /// scope, `used` already holds every scope it names, or those scopes were already asked
    /// for and not granted (a resource that keeps refusing costs one authorization, not one
    /// per call); the source's error when the new authorization fails (the default
    /// `fetch_with_scopes` refuses: a source must support asking for scopes).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use freshtoken::oauth::resource::Challenge;
    /// use freshtoken::{AuthError, Token, TokenCache, TokenSource};
    ///
    /// struct Scoped;
    ///
    /// impl TokenSource for Scoped {
    ///     async fn fetch(&self, _previous: Option<&Token>) -> Result<Token, AuthError> {
    ///         Token::builder("narrow").scope("files:read").build()
    ///     }
    ///
    ///     async fn fetch_with_scopes(
    ///         &self,
    ///         _previous: Option<&Token>,
    ///         scopes: &[String],
    ///     ) -> Result<Token, AuthError> {
    ///         Token::builder("wide").scope(scopes.join(" ")).build()
    ///     }
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), AuthError> {
    /// let cache = TokenCache::new(Scoped);
    /// let used = cache.token().await?;
    /// // The resource answered 403 with this challenge:
    /// let challenge = &Challenge::parse(r#"Bearer error="insufficient_scope", scope="files:write""#)[0];
    /// let wider = cache.step_up(&used, challenge).await?;
    /// assert_eq!(wider.scope(), Some("files:read files:write"));
    /// // Asking again for what the token holds is refused, not another login:
    /// assert!(cache.step_up(&wider, challenge).await.is_err());
    /// # Ok(())
    /// # }
    /// ```
    #[cfg(feature = "reqwest")]
    #[cfg_attr(docsrs, doc(cfg(feature = "reqwest")))]
    pub async fn step_up(
        &self,
        used: &Token,
        challenge: &crate::oauth::resource::Challenge,
    ) -> Result<Arc<Token>, AuthError> {
        self.step_up_for(used, challenge.scopes()).await
    }

    /// [`step_up`](Self::step_up) for scopes named some other way than by a `Bearer`
    /// challenge (a gRPC status, an error body).
    ///
    /// # Errors
    /// As for [`step_up`](Self::step_up).
    pub async fn step_up_for<I>(&self, used: &Token, scopes: I) -> Result<Arc<Token>, AuthError>
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        let mut named: Vec<String> = Vec::new();
        for scope in scopes {
            let scope = scope.as_ref();
            if !scope.is_empty() && !named.iter().any(|have| have == scope) {
                named.push(scope.to_owned());
            }
        }
        if named.is_empty() {
            return Err(refused(
                &named,
                "the resource named no scope (no `scope` in its challenge), so there is nothing \
                 more to ask for: configure the source with the scopes the resource needs",
            ));
        }
        for _ in 0..=MAX_WAITS {
            let (step, launch) = self.decide_step_up(used, &named);
            if let Some(launch) = launch {
                launch.spawn();
            }
            match step {
                Step::Serve(token) => return Ok(token),
                Step::Fail(error) => return Err(error),
                Step::Join(flight) => {
                    let token = outcome_of(flight).await?;
                    let asked = self.shared.lock().scopes.clone();
                    return if holds(&token, asked.as_deref(), &named) {
                        Ok(token)
                    } else {
                        Err(refused(
                            &named,
                            "the authorization server did not grant these scopes: the user or \
                             the server's policy may not allow them",
                        ))
                    };
                }
                // Its outcome is looked at in the next round, whatever it was.
                Step::WaitFirst(flight) => drop(outcome_of(flight).await),
            }
        }
        Err(AuthError::refresh_failed(
            "other refreshes kept running while a step-up waited for its turn; try again",
        ))
    }

    /// Decides, under the lock, whether to serve, fail, join or start a step-up.
    fn decide_step_up(&self, used: &Token, named: &[String]) -> (Step, Option<flight::Launch>) {
        let mut state = self.shared.lock();
        let scopes = match self.look(&state, used, named) {
            Look::Step(step) => return (step, None),
            Look::Start(scopes) => scopes,
        };
        tracing::info!(target: "freshtoken", scope = %scopes.join(" "), "stepping up: asking for more scope");
        match flight::step_up(&self.shared, &mut state, scopes.into()) {
            Ok((flight, launch)) => (Step::Join(flight), Some(launch)),
            Err(error) => (Step::Fail(error), None),
        }
    }

    /// Whether a step-up for `named` after a refusal of `used` would do anything but fail at
    /// once: what a call's retry policy asks before it runs the call again.
    pub(crate) fn step_up_would_help(&self, used: &Token, named: &[String]) -> bool {
        !named.is_empty()
            && !matches!(
                self.look(&self.shared.lock(), used, named),
                Look::Step(Step::Fail(_))
            )
    }

    /// What a step-up for `named` would do now, without starting anything.
    fn look(&self, state: &State, used: &Token, named: &[String]) -> Look {
        if state.closed {
            return Look::Step(Step::Fail(AuthErrorKind::Closed.into()));
        }
        if let Some(current) = self.shared.current.load_full()
            && !current.token.is_same(used)
            && current.freshness(Instant::now()) != Freshness::Expired
            && holds(&current.token, state.scopes.as_deref(), named)
        {
            return Look::Step(Step::Serve(Arc::clone(&current.token)));
        }
        if let Some(flight) = &state.flight {
            if flight::is_running_in(&self.shared) {
                return Look::Step(Step::Fail(AuthErrorKind::SourceUsesOwnCache.into()));
            }
            let covers = state
                .step_up
                .as_deref()
                .is_some_and(|asked| includes(asked, named));
            let flight = flight.clone();
            return Look::Step(if covers {
                Step::Join(flight)
            } else {
                Step::WaitFirst(flight)
            });
        }
        let mut scopes = held_scopes(used, state);
        if includes(&scopes, named) {
            return Look::Step(Step::Fail(refused(
                named,
                "the token holds these scopes, or they were already asked for and not \
                 granted: asking again would get the same answer",
            )));
        }
        for scope in named {
            if !scopes.contains(scope) {
                scopes.push(scope.clone());
            }
        }
        Look::Start(scopes)
    }
}

/// What a look at the state found for a step-up.
enum Look {
    Step(Step),
    /// Nothing under way, and more scopes to ask for: these.
    Start(Vec<String>),
}

/// The scopes `used` holds as far as the cache knows, with those already asked for.
fn held_scopes(used: &Token, state: &State) -> Vec<String> {
    let mut held: Vec<String> = used
        .scope()
        .map(|scope| scope.split_whitespace().map(str::to_owned).collect())
        .unwrap_or_default();
    for scope in state.scopes.iter().flat_map(|asked| asked.iter()) {
        if !held.contains(scope) {
            held.push(scope.clone());
        }
    }
    held
}

/// Whether `token` holds every scope `named`: by its granted `scope`, or, when the server did
/// not say (it then granted what was asked, RFC 6749 section 5.1), by the scopes `asked`.
fn holds(token: &Token, asked: Option<&[String]>, named: &[String]) -> bool {
    match token.scope() {
        Some(granted) => {
            let granted: Vec<&str> = granted.split_whitespace().collect();
            named.iter().all(|scope| granted.contains(&scope.as_str()))
        }
        None => asked.is_some_and(|asked| includes(asked, named)),
    }
}

fn includes(asked: &[String], named: &[String]) -> bool {
    named.iter().all(|scope| asked.contains(scope))
}

fn refused(named: &[String], reason: &'static str) -> AuthError {
    AuthErrorKind::InsufficientScope {
        scope: named.join(" "),
        reason,
    }
    .into()
}
