// Input: an `anyhow::Error` a wrapped method returned, with any number of `.context(..)`
// layers.
// Output: whether some error in its chain is a 401 from reqwest or from a generated client.

use std::error::Error as StdError;

use crate::Unauthorized;

/// Unauthorized when any error in the chain ([`anyhow::Error::chain`]) is a
/// `reqwest::Error` with status 401 or a [`client::Error`](crate::client::Error) that
/// [is unauthorized](crate::client::Error::is_unauthorized); both need the `reqwest`
/// feature, without which no `anyhow::Error` is unauthorized.
///
/// So a wrapped method can return `anyhow::Result` and add context freely: a 401 under the
/// context is still retried once with a new token.
#[cfg_attr(
    feature = "reqwest",
    doc = r#"
```no_run
use anyhow::Context as _;
use freshtoken::{Token, TokenCache, TokenSource, refresh_token};

#[refresh_token(cache = auth)]
async fn list_tasks<S: TokenSource>(
    auth: &TokenCache<S>,
    http: &reqwest::Client,
    #[token] token: &Token,
) -> anyhow::Result<String> {
    let response = http
        .get("https://tasks.example/tasks")
        .header(reqwest::header::AUTHORIZATION, token.authorization().clone())
        .send()
        .await
        .context("sending the task list request")?
        .error_for_status()
        .context("listing tasks")?; // a 401 under this context is still retried
    Ok(response.text().await?)
}
```
"#
)]
#[cfg_attr(docsrs, doc(cfg(feature = "anyhow")))]
impl Unauthorized for anyhow::Error {
    fn is_unauthorized(&self) -> bool {
        self.chain().any(is_a_401)
    }

    /// The scopes of a generated client's 403 `insufficient_scope` anywhere in the chain.
    fn insufficient_scope(&self) -> Option<Vec<String>> {
        #[cfg(feature = "reqwest")]
        {
            self.chain()
                .filter_map(|error| error.downcast_ref::<crate::client::Error>())
                .find_map(Unauthorized::insufficient_scope)
        }
        #[cfg(not(feature = "reqwest"))]
        None
    }

    /// What a generated client's 401 anywhere in the chain said about the DPoP nonce.
    fn dpop_nonce(&self) -> crate::NonceDemand {
        #[cfg(feature = "reqwest")]
        {
            self.chain()
                .filter_map(|error| error.downcast_ref::<crate::client::Error>())
                .map(Unauthorized::dpop_nonce)
                .find(|demand| *demand != crate::NonceDemand::None)
                .unwrap_or_default()
        }
        #[cfg(not(feature = "reqwest"))]
        crate::NonceDemand::None
    }
}

/// Whether this one error, not its sources, is a 401 this crate knows how to recognise.
fn is_a_401(error: &(dyn StdError + 'static)) -> bool {
    #[cfg(feature = "reqwest")]
    {
        if let Some(error) = error.downcast_ref::<reqwest::Error>() {
            return error.is_unauthorized();
        }
        if let Some(error) = error.downcast_ref::<crate::client::Error>() {
            return error.is_unauthorized();
        }
    }
    #[cfg(not(feature = "reqwest"))]
    let _ = error;
    false
}

#[cfg(all(test, feature = "reqwest"))]
mod tests {
    use anyhow::Context as _;
    use http::{Method, StatusCode};

    use super::*;
    use crate::AuthError;
    use crate::client::{Call, Error};

    fn status_error(status: StatusCode) -> Error {
        Error::Status {
            call: Call {
                name: "get_task",
                method: Method::GET,
                template: "/tasks/{id}",
            },
            status,
            body: String::new(),
            challenge: None,
            dpop_nonce: crate::NonceDemand::None,
            error_body: None,
        }
    }

    /// The error `error_for_status` gives for an answer with `status`; no network needed.
    fn reqwest_error(status: u16) -> reqwest::Error {
        let answer = http::Response::builder().status(status).body("").unwrap();
        reqwest::Response::from(answer)
            .error_for_status()
            .unwrap_err()
    }

    #[test]
    fn a_401_under_context_layers_is_unauthorized() {
        let client = anyhow::Error::from(status_error(StatusCode::UNAUTHORIZED))
            .context("loading task 7")
            .context("syncing");
        assert!(client.is_unauthorized());

        let wrapped: anyhow::Result<()> = Err(reqwest_error(401)).context("listing tasks");
        assert!(wrapped.unwrap_err().is_unauthorized());
    }

    #[test]
    fn other_errors_are_not_unauthorized() {
        let forbidden =
            anyhow::Error::from(status_error(StatusCode::FORBIDDEN)).context("loading task 7");
        assert!(!forbidden.is_unauthorized());
        assert!(!anyhow::Error::from(reqwest_error(500)).is_unauthorized());
        assert!(!anyhow::Error::from(reqwest_error(403)).is_unauthorized());
        let refresh = AuthError::refresh_failed("token endpoint said 401");
        assert!(
            !anyhow::Error::from(refresh)
                .context("any")
                .is_unauthorized()
        );
        assert!(!anyhow::anyhow!("HTTP 401 Unauthorized").is_unauthorized());
        let io = std::io::Error::other("401");
        assert!(!anyhow::Error::from(io).context("reading").is_unauthorized());
    }

    #[test]
    fn a_client_error_wrapping_a_refresh_failure_is_not_unauthorized() {
        let error = Error::Auth(AuthError::refresh_failed("down"));
        assert!(!anyhow::Error::from(error).context("call").is_unauthorized());
    }
}
