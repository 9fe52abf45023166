// Input: the redirects of a generated client's requests, and the answers they end in.
// Output: the redirect policy of the client's own HTTP client (follow within the API's origin,
// stop at another), and the error for an answer that is a redirect to another origin or came
// from one, so that the token, the method's headers and its body stay with the API and another
// server's 401 never counts as the API's.

use reqwest::redirect::{Attempt, Policy};
use reqwest::{Response, Url};

use super::Error;
use super::request::call;
use super::spec::Spec;

/// As many redirects as reqwest's default policy follows.
const MAX_REDIRECTS: usize = 10;

/// The redirect policy of a generated client: redirects within the origin (scheme, host and
/// port) of the first request are followed, up to 10, with the method's headers, token and body
/// (a 307 or 308 sends a body held in memory again; a streamed one cannot be, so that redirect
/// is returned as a [`Error::Status`](super::Error::Status)); a redirect to any other origin is
/// **not** followed.
/// The 3xx answer then ends the call, as
/// [`Error::Redirected`](super::Error::Redirected) naming the target's origin.
///
/// A client makes its own `reqwest::Client` with this policy. Give it to the client you pass to
/// [`Builder::http_client`](super::Builder::http_client) (or under
/// `Builder::middleware_client`, feature `reqwest-middleware`), since reqwest's default
/// policy follows a redirect to another origin with every header but `Authorization` and
/// `Cookie`, and with the body:
///
/// ```
/// # use freshtoken::{TokenCache, source_fn, Token};
/// #[freshtoken::client]
/// pub trait Tasks {
///     #[get("/tasks")]
///     async fn list(&self) -> Result<Vec<String>>;
/// }
///
/// let cache = TokenCache::new(source_fn(|_previous| async { Token::builder("t").build() }));
/// let http = reqwest::Client::builder()
///     .redirect(freshtoken::client::redirect_policy())
///     .pool_max_idle_per_host(4)
///     .build()
///     .unwrap();
/// let client = TasksClient::builder("https://tasks.example/v1", cache)
///     .http_client(http)
///     .build()
///     .unwrap();
/// # let _ = client;
/// ```
#[must_use]
pub fn redirect_policy() -> Policy {
    Policy::custom(follow_within_origin)
}

fn follow_within_origin(attempt: Attempt<'_>) -> reqwest::redirect::Action {
    let within = attempt
        .previous()
        .first()
        .is_some_and(|first| first.origin() == attempt.url().origin());
    if !within {
        attempt.stop()
    } else if attempt.previous().len() > MAX_REDIRECTS {
        attempt.error(format!("more than {MAX_REDIRECTS} redirects"))
    } else {
        attempt.follow()
    }
}

/// The error for `response` when it is not the API's answer to take: it came from another
/// origin than `base` (a redirect the caller's own HTTP client followed), or it is a redirect
/// to another origin (which is not followed).
pub(super) fn other_origin(spec: &'static Spec, base: &Url, response: &Response) -> Option<Error> {
    let status = response.status();
    let origin = base.origin();
    if response.url().origin() != origin {
        return Some(Error::OtherOrigin {
            call: call(spec),
            status,
            origin: shown_origin(response.url()),
        });
    }
    if !status.is_redirection() {
        return None;
    }
    let target = response
        .headers()
        .get(http::header::LOCATION)
        .and_then(|location| location.to_str().ok())
        .and_then(|location| response.url().join(location).ok())?;
    (target.origin() != origin).then(|| Error::Redirected {
        call: call(spec),
        status,
        origin: shown_origin(&target),
    })
}

/// `scheme://host[:port]`, without the path or query (a signed URL's query is a secret); for a
/// URL without a host (`data:`), just its scheme.
pub(super) fn shown_origin(url: &Url) -> String {
    match url.origin() {
        origin @ url::Origin::Tuple(..) => origin.ascii_serialization(),
        url::Origin::Opaque(_) => format!("{}:", url.scheme()),
    }
}
