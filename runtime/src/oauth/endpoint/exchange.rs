// Input: a token request (endpoint, body, optional Basic header) and a source's HTTP settings
// (client, timeout).
// Output: the endpoint's answer (status, content type, `Retry-After`, body read up to a size
// limit into memory that is zeroed on drop), or the `AuthError` for a request that got none.

use std::error::Error as StdError;
use std::time::Duration;

use http::header::{ACCEPT, CONTENT_TYPE, RETRY_AFTER, SET_COOKIE};
use http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use zeroize::Zeroizing;

use super::endpoint_error::EndpointError;
use super::request_body::RequestBody;
use super::url::Endpoint;
use crate::{AuthError, AuthErrorKind};

/// How long a token request may take when the user does not say.
pub(crate) const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// A token response is a few kilobytes; more than this is not one, and is not read further.
pub(crate) const MAX_BODY: usize = 1024 * 1024;

/// The HTTP client and timeout that one source uses.
#[derive(Debug, Clone)]
pub(crate) struct Http {
    pub(crate) client: reqwest::Client,
    pub(crate) timeout: Duration,
    /// The key token requests prove possession of, if the source was given one.
    #[cfg(feature = "dpop")]
    pub(crate) dpop: Option<crate::dpop::DpopKey>,
}

impl Http {
    /// A client that does not follow redirects, with the default timeout.
    ///
    /// A token request carries secrets in its body: following a 307 or 308 would send them
    /// to wherever the `Location` header points, so a redirect is reported instead.
    pub(crate) fn new() -> Self {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect(
                "a reqwest client without redirects builds wherever `reqwest::Client::new` does",
            );
        Self {
            client,
            timeout: DEFAULT_TIMEOUT,
            #[cfg(feature = "dpop")]
            dpop: None,
        }
    }

    /// These settings for a refresh of `previous`: a refresh token bound to a DPoP key is
    /// refreshed with that key (kept with the token, also across restarts), whatever key
    /// the source was given since.
    #[cfg_attr(not(feature = "dpop"), allow(unused_variables))]
    pub(crate) fn for_refresh_of(&self, previous: &crate::Token) -> std::borrow::Cow<'_, Http> {
        #[cfg(feature = "dpop")]
        if let Some(key) = previous.dpop_key()
            && !self.dpop.as_ref().is_some_and(|own| own.is_same(key))
        {
            let mut http = self.clone();
            http.dpop = Some(key.clone());
            return std::borrow::Cow::Owned(http);
        }
        std::borrow::Cow::Borrowed(self)
    }
}

/// What an endpoint answered.
pub(crate) struct Answer {
    pub(crate) status: StatusCode,
    /// The media type (`text/html`), lowercased, if the endpoint sent a printable one.
    pub(crate) content_type: Option<String>,
    /// The raw `Retry-After` header, if any.
    pub(crate) retry_after: Option<String>,
    /// The body, or its first `MAX_BODY` bytes.
    pub(crate) body: Zeroizing<Vec<u8>>,
    /// Whether the body was longer than `MAX_BODY`.
    pub(crate) truncated: bool,
    /// The `Set-Cookie` headers: an API may send the refresh token in one.
    pub(crate) set_cookies: Vec<HeaderValue>,
    /// The `DPoP-Nonce` header, if any: the server's nonce for the next DPoP proof.
    #[cfg_attr(not(feature = "dpop"), allow(dead_code))]
    pub(crate) dpop_nonce: Option<HeaderValue>,
    /// The key the request proved possession of: a `DPoP` token in the answer is bound to it.
    #[cfg(feature = "dpop")]
    pub(crate) dpop_key: Option<crate::dpop::DpopKey>,
}

impl Answer {
    /// The answer with `status` and `headers`, whose body (or its first `MAX_BODY` bytes, if
    /// `truncated`) is `body`.
    pub(crate) fn new(
        status: StatusCode,
        headers: &HeaderMap,
        body: Zeroizing<Vec<u8>>,
        truncated: bool,
    ) -> Self {
        Self {
            status,
            content_type: media_type(headers),
            retry_after: headers
                .get(RETRY_AFTER)
                .and_then(|value| value.to_str().ok())
                .map(str::to_owned),
            body,
            truncated,
            set_cookies: headers.get_all(SET_COOKIE).iter().cloned().collect(),
            dpop_nonce: headers.get("dpop-nonce").cloned(),
            #[cfg(feature = "dpop")]
            dpop_key: None,
        }
    }

    /// `content type text/html, 52 bytes`: what an error message may say about a body that
    /// is not what was expected, without quoting it.
    pub(crate) fn describe_body(&self) -> String {
        let content_type = match &self.content_type {
            Some(content_type) => format!("content type {content_type}"),
            None => "no content type".to_owned(),
        };
        let more = if self.truncated { " or more" } else { "" };
        format!("{content_type}, {} bytes{more}", self.body.len())
    }
}

/// A header that carries a credential: `Authorization` (client authentication, a bearer
/// refresh token), a `Cookie`, or an API's own header.
pub(crate) type CredentialHeader = (HeaderName, HeaderValue);

/// POSTs `body` to `endpoint` and reads the whole answer within `http.timeout`.
pub(crate) async fn post(
    http: &Http,
    endpoint: &Endpoint,
    body: RequestBody,
    credential: Option<CredentialHeader>,
    dpop_proof: Option<HeaderValue>,
) -> Result<Answer, AuthError> {
    let mut request = http
        .client
        .post(endpoint.url().clone())
        .timeout(http.timeout)
        .header(ACCEPT, "application/json");
    if let Some(content_type) = body.content_type {
        request = request.header(CONTENT_TYPE, content_type);
    }
    request = request.body(body.bytes);
    if let Some((name, value)) = credential {
        request = request.header(name, value);
    }
    if let Some(proof) = dpop_proof {
        request = request.header("dpop", proof);
    }
    exchange(http, endpoint, request).await
}

/// GETs `endpoint` (a metadata document) and reads the whole answer within `http.timeout`.
pub(crate) async fn get(http: &Http, endpoint: &Endpoint) -> Result<Answer, AuthError> {
    let request = http
        .client
        .get(endpoint.url().clone())
        .timeout(http.timeout)
        .header(ACCEPT, "application/json");
    exchange(http, endpoint, request).await
}

/// What a search for a metadata document found.
pub(crate) enum Found {
    /// The first location that answered 2xx with a JSON object, and its answer.
    Document(Endpoint, Box<Answer>),
    /// No location did; what each answered, for the error.
    Nowhere(Vec<String>),
}

/// GETs each of `locations` in turn until one answers 2xx with a JSON object. A location
/// that cannot be reached ends the search with its error.
pub(crate) async fn first_json_object(
    http: &Http,
    locations: Vec<reqwest::Url>,
) -> Result<Found, AuthError> {
    let mut passed_over = Vec::new();
    for url in locations {
        let endpoint = Endpoint::new(url);
        let answer = get(http, &endpoint).await?;
        if !answer.status.is_success() {
            passed_over.push(format!("{} answered {}", endpoint.name(), answer.status));
        } else if !matches!(
            serde_json::from_slice(&answer.body),
            Ok(serde_json::Value::Object(_))
        ) {
            passed_over.push(format!(
                "{} answered {} but not a JSON object ({})",
                endpoint.name(),
                answer.status,
                answer.describe_body()
            ));
        } else {
            return Ok(Found::Document(endpoint, Box::new(answer)));
        }
    }
    Ok(Found::Nowhere(passed_over))
}

async fn exchange(
    http: &Http,
    endpoint: &Endpoint,
    request: reqwest::RequestBuilder,
) -> Result<Answer, AuthError> {
    let failed = |error| transport_error(endpoint, error, http.timeout);
    let mut response = request.send().await.map_err(failed)?;
    let (status, headers) = (response.status(), response.headers().clone());
    let (body, truncated) = read_body(&mut response).await.map_err(failed)?;
    Ok(Answer::new(status, &headers, body, truncated))
}

/// Reads at most `MAX_BODY` bytes. The buffer grows by copying into a new zeroizing one, so
/// no freed allocation keeps a copy of the token.
pub(crate) async fn read_body(
    response: &mut reqwest::Response,
) -> Result<(Zeroizing<Vec<u8>>, bool), reqwest::Error> {
    let expected = response
        .content_length()
        .and_then(|length| usize::try_from(length).ok())
        .unwrap_or(4096)
        .min(MAX_BODY);
    let mut body = Zeroizing::new(Vec::with_capacity(expected));
    while let Some(chunk) = response.chunk().await? {
        let room = MAX_BODY - body.len();
        if chunk.len() > room {
            append(&mut body, &chunk[..room]);
            return Ok((body, true));
        }
        append(&mut body, &chunk);
    }
    Ok((body, false))
}

fn append(body: &mut Zeroizing<Vec<u8>>, data: &[u8]) {
    let needed = body.len() + data.len();
    if needed > body.capacity() {
        let mut grown = Zeroizing::new(Vec::with_capacity(needed.max(2 * body.capacity())));
        grown.extend_from_slice(body);
        *body = grown; // the old buffer is zeroed as it drops
    }
    body.extend_from_slice(data);
}

/// The media type of `Content-Type`, without parameters, if it looks like one.
fn media_type(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(CONTENT_TYPE)?.to_str().ok()?;
    let media_type = value.split(';').next()?.trim();
    let printable = !media_type.is_empty()
        && media_type.len() <= 100
        && media_type
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$&-^_.+/".contains(&b));
    printable.then(|| media_type.to_ascii_lowercase())
}

/// A request that got no answer: a timeout, a connection failure (retryable), or a request
/// that could not even be built (a configuration error, not retryable).
pub(crate) fn transport_error(
    endpoint: &Endpoint,
    error: reqwest::Error,
    timeout: Duration,
) -> AuthError {
    if error.is_timeout() {
        // `AuthErrorKind::Timeout` has no room for the endpoint; say it here, without secrets.
        tracing::debug!(
            target: "freshtoken",
            endpoint = endpoint.name(),
            timeout_ms = timeout.as_millis(),
            "token endpoint did not answer in time"
        );
        return AuthErrorKind::Timeout(timeout).into();
    }
    let is_builder = error.is_builder();
    // reqwest prints the full URL, query string included; the endpoint's name replaces it.
    let detail = chain(&error.without_url());
    if is_builder {
        return AuthError::rejected(EndpointError::unanswered(
            endpoint,
            format!(
                "the request could not be built ({detail}); check the endpoint URL and the \
                 HTTP client given with `http_client`"
            ),
        ));
    }
    // This crate turns on no TLS backend, and hyper-util then refuses `https` with this
    // message. Retrying cannot fix a missing feature, so say what can. (Matching the text
    // only sharpens the diagnosis: any other failure stays retryable.)
    if endpoint.url().scheme() == "https" && detail.contains("scheme is not http") {
        return AuthError::rejected(EndpointError::unanswered(
            endpoint,
            format!(
                "{detail}; reqwest has no TLS backend in this build: enable one of its TLS \
                 features (for example `rustls-tls`) to reach https endpoints"
            ),
        ));
    }
    AuthError::refresh_failed(EndpointError::unanswered(
        endpoint,
        format!("no answer: {detail}"),
    ))
}

/// An error and its causes, `a: b: c`, each cause once.
fn chain(error: &(dyn StdError + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_type_drops_parameters_and_unprintable_values() {
        let mut headers = HeaderMap::new();
        assert_eq!(media_type(&headers), None);
        headers.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("Text/HTML; charset=utf-8"),
        );
        assert_eq!(media_type(&headers).as_deref(), Some("text/html"));
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("a b <script>"));
        assert_eq!(media_type(&headers), None);
    }

    #[test]
    fn a_body_is_described_by_type_and_size() {
        let mut answer = Answer {
            status: StatusCode::OK,
            content_type: Some("text/html".to_owned()),
            retry_after: None,
            body: Zeroizing::new(b"<html>".to_vec()),
            truncated: false,
            set_cookies: Vec::new(),
            dpop_nonce: None,
            #[cfg(feature = "dpop")]
            dpop_key: None,
        };
        assert_eq!(answer.describe_body(), "content type text/html, 6 bytes");
        answer.content_type = None;
        answer.truncated = true;
        assert_eq!(answer.describe_body(), "no content type, 6 bytes or more");
    }

    #[test]
    fn append_grows_into_a_new_buffer_and_keeps_the_bytes() {
        let mut body = Zeroizing::new(Vec::with_capacity(2));
        append(&mut body, b"ab");
        append(&mut body, b"cde");
        append(&mut body, b"");
        assert_eq!(body.as_slice(), b"abcde");
    }

    #[test]
    fn the_chain_lists_each_cause_once() {
        #[derive(Debug)]
        struct Outer(std::io::Error);
        impl std::fmt::Display for Outer {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("error sending request")
            }
        }
        impl StdError for Outer {
            fn source(&self) -> Option<&(dyn StdError + 'static)> {
                Some(&self.0)
            }
        }
        let error = Outer(std::io::Error::other("connection refused"));
        assert_eq!(chain(&error), "error sending request: connection refused");
    }
}
