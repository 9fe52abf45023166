//! A token source that grants the scopes it is asked for: `narrow` (scope `tasks:read`) at
//! first, then `wide-N` with the scopes of each step-up, after a short wait (a login).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use freshtoken::{AuthError, Token, TokenSource, Unauthorized};

/// The scopes a resource asks for in the step-up tests.
pub const WRITE: &str = "tasks:write";

/// The `WWW-Authenticate` of a 403 that asks for [`WRITE`].
pub const INSUFFICIENT_SCOPE: &str =
    r#"Bearer error="insufficient_scope", scope="tasks:write", error_description="needs write""#;

/// Grants what it is asked; clones share the record of what was asked.
#[derive(Clone, Default)]
pub struct ScopedSource {
    step_ups: Arc<Mutex<Vec<Vec<String>>>>,
}

impl ScopedSource {
    /// The scopes of each step-up, in order.
    ///
    /// # Panics
    /// If a thread panicked while recording a step-up.
    #[must_use]
    pub fn step_ups(&self) -> Vec<Vec<String>> {
        self.step_ups.lock().unwrap().clone()
    }
}

impl TokenSource for ScopedSource {
    async fn fetch(&self, _previous: Option<&Token>) -> Result<Token, AuthError> {
        Token::builder("narrow")
            .expires_in(Duration::from_secs(3600))
            .scope("tasks:read")
            .build()
    }

    async fn fetch_with_scopes(
        &self,
        _previous: Option<&Token>,
        scopes: &[String],
    ) -> Result<Token, AuthError> {
        let n = {
            let mut step_ups = self.step_ups.lock().unwrap();
            step_ups.push(scopes.to_vec());
            step_ups.len()
        };
        // A login takes a while: concurrent callers all arrive while it runs.
        tokio::time::sleep(Duration::from_millis(200)).await;
        Token::builder(format!("wide-{n}"))
            .expires_in(Duration::from_secs(3600))
            .scope(scopes.join(" "))
            .build()
    }
}

/// The error of a `#[refresh_token]` method that keeps the answer's status and headers, as a
/// step-up needs: the 403's challenge says which scope is missing.
#[derive(Debug)]
pub enum KeptError {
    /// No token could be had.
    Auth(AuthError),
    /// The server's answer, without its body.
    Answer(http::Response<()>),
}

impl KeptError {
    /// The answer with `status` and `headers`.
    #[must_use]
    pub fn answer(status: http::StatusCode, headers: &http::HeaderMap) -> Self {
        let mut answer = http::Response::new(());
        *answer.status_mut() = status;
        answer.headers_mut().clone_from(headers);
        Self::Answer(answer)
    }
}

impl From<AuthError> for KeptError {
    fn from(error: AuthError) -> Self {
        Self::Auth(error)
    }
}

impl Unauthorized for KeptError {
    fn is_unauthorized(&self) -> bool {
        matches!(self, Self::Answer(answer) if answer.is_unauthorized())
    }

    fn insufficient_scope(&self) -> Option<Vec<String>> {
        match self {
            Self::Answer(answer) => answer.insufficient_scope(),
            Self::Auth(_) => None,
        }
    }
}
