// Input: one request of the MCP transport, as a function that sends it with a given
// `Authorization` header through rmcp's reqwest client.
// Output: its answer, sent with a token from the cache; after a 401, the answer to one more
// attempt with a new token; after a 403 `insufficient_scope`, the answer to one more attempt
// with a token that has the scopes the server asked for.

use std::sync::Arc;

use ::rmcp::transport::streamable_http_client::{InsufficientScopeError, StreamableHttpError};
use tracing::Instrument;

use super::error::{AuthorizedHttpError, ScopeList, TransportError, from_reqwest_client};
use crate::oauth::resource::{Challenge, ChallengeError};
use crate::{AuthError, Token, TokenCache, TokenSource};

/// Sends a request with the cache's token, by freshtoken's policy: at most one resend after
/// a 401 (the rejected token invalidated first) and at most one after a 403
/// `insufficient_scope` (the token stepped up first). `send` is called once per attempt
/// with the token to put on the request.
pub(crate) async fn send_authorized<S, T, F, Fut>(
    cache: &TokenCache<S>,
    mut send: F,
) -> Result<T, TransportError>
where
    S: TokenSource,
    F: FnMut(Arc<Token>) -> Fut,
    Fut: Future<Output = Result<T, StreamableHttpError<reqwest::Error>>>,
{
    let mut token = cache.token().await.map_err(no_token)?;
    let mut renewed = false;
    let mut stepped_up = false;
    // The span of the attempt under way: none for the first, a resend's after.
    let mut span = tracing::Span::none();
    let mut resends = 0;
    loop {
        let error = match send(Arc::clone(&token)).instrument(span.clone()).await {
            Ok(answer) => return Ok(answer),
            Err(error) => error,
        };
        if rejects_token(&error) {
            // Rejected: no caller gets this token again, whether or not this one retries.
            cache.invalidate(&token);
            if renewed {
                tracing::debug!(target: "freshtoken", "MCP server: 401 after a retry with a new token; giving up");
                return Err(from_reqwest_client(error));
            }
            renewed = true;
            resends += 1;
            crate::metrics::resent(cache.name(), "unauthorized");
            tracing::debug!(target: "freshtoken", "MCP server: 401, retrying once with a new token");
            span = crate::spans::resend(cache.name(), resends, "unauthorized");
            token = cache
                .token()
                .instrument(span.clone())
                .await
                .map_err(no_token)?;
            continue;
        }
        let challenge = match &error {
            StreamableHttpError::InsufficientScope(refusal) if !stepped_up => {
                insufficient_scope(refusal)
            }
            _ => None,
        };
        let Some(challenge) = challenge else {
            return Err(from_reqwest_client(error));
        };
        stepped_up = true;
        resends += 1;
        crate::metrics::resent(cache.name(), "step_up");
        span = crate::spans::resend(cache.name(), resends, "step_up");
        token = stepped_up_token(cache, &token, &challenge)
            .instrument(span.clone())
            .await?;
    }
}

fn no_token(error: AuthError) -> TransportError {
    StreamableHttpError::Client(AuthorizedHttpError::NoToken(error))
}

/// Whether the server refused the token itself (HTTP 401). rmcp's reqwest client reports a
/// 401 with a challenge as `AuthRequired` (on a POST or the SSE GET), and a 401 without one
/// to the SSE GET or the session's DELETE as reqwest's status error. A 401 without a
/// challenge to a POST reaches us only as text, and is returned as it is: RFC 6750 servers
/// always send the challenge.
fn rejects_token(error: &StreamableHttpError<reqwest::Error>) -> bool {
    match error {
        StreamableHttpError::AuthRequired(_) => true,
        StreamableHttpError::Client(error) => {
            error.status() == Some(http::StatusCode::UNAUTHORIZED)
        }
        _ => false,
    }
}

/// The Bearer challenge of a 403 when it says `insufficient_scope` (RFC 6750 §3.1); a 403
/// for any other reason is not a matter of scope.
fn insufficient_scope(refusal: &InsufficientScopeError) -> Option<Challenge> {
    Challenge::parse(&refusal.www_authenticate_header)
        .into_iter()
        .find(|challenge| {
            challenge.is_scheme("Bearer")
                && challenge.error() == Some(ChallengeError::InsufficientScope)
        })
}

async fn stepped_up_token<S: TokenSource>(
    cache: &TokenCache<S>,
    used: &Token,
    challenge: &Challenge,
) -> Result<Arc<Token>, TransportError> {
    let scopes: Vec<String> = challenge.scopes().map(str::to_owned).collect();
    tracing::debug!(
        target: "freshtoken",
        scopes = %ScopeList(&scopes),
        "MCP server: 403 insufficient_scope, stepping up the token's scope"
    );
    cache.step_up(used, challenge).await.map_err(|source| {
        StreamableHttpError::Client(AuthorizedHttpError::StepUp {
            scopes: ScopeList(&scopes).to_string(),
            source,
        })
    })
}
