// Input: an answer from a token endpoint that the user's own code requested (a login flow
// freshtoken has no source for): status, headers, body.
// Output: the `Token`, or the classified `AuthError`, read exactly as the built-in sources
// read theirs (`token_request::read_answer`), so users' logins need not hand-parse JSON.

use http::{HeaderMap, StatusCode};
use reqwest::Url;
use zeroize::Zeroizing;

use super::client_auth::judge_for;
use super::exchange::{Answer, MAX_BODY};
use super::redaction::Redactions;
use super::response_fields::TokenResponseFields;
use super::token_request::read_answer;
use super::url::Endpoint;
use crate::{AuthError, Token};

/// A token endpoint's answer to a request your own code sent, read as freshtoken's sources
/// read theirs: a 2xx JSON token response becomes a [`Token`]; anything else becomes the
/// [`AuthError`] the cache understands (`invalid_grant` means log in again, 5xx and 429 mean
/// retry, with `Retry-After`...; see the table in [the module docs](crate::oauth)), naming
/// the endpoint and never quoting a secret.
///
/// A token source of your own reads the answer straight from what `send()` returned with
/// [`receive`](Self::receive), which also turns a request that got no answer into the error
/// the sources give for it:
///
/// ```no_run
/// use freshtoken::oauth::TokenAnswer;
/// use freshtoken::{AuthError, Token, TokenSource};
///
/// /// Renews a session at an API of its own: the refresh token as bearer, an RFC 6749 answer.
/// struct Session {
///     http: reqwest::Client,
/// }
///
/// impl TokenSource for Session {
///     async fn fetch(&self, previous: Option<&Token>) -> Result<Token, AuthError> {
///         let refresh_token = previous
///             .and_then(Token::refresh_token)
///             .ok_or_else(|| AuthError::reauthenticate("no session: log in first"))?
///             .expose_secret();
///         let sent = self.http.post("https://api.example.com/session/refresh")
///             .bearer_auth(refresh_token)
///             .send()
///             .await;
///         TokenAnswer::receive(sent).await?.answer().sent_secrets(&[refresh_token]).read()
///     }
/// }
/// ```
///
/// With the status, headers and body in hand, [`new`](Self::new) reads them:
///
/// ```
/// use freshtoken::oauth::{TokenAnswer, Url};
/// use http::{HeaderMap, StatusCode};
///
/// let endpoint: Url = "https://auth.example.com/token".parse().unwrap();
/// let headers = HeaderMap::new();
///
/// let body = br#"{"access_token":"at-1","token_type":"Bearer","expires_in":3600,"refresh_token":"rt-1"}"#;
/// let token = TokenAnswer::new(&endpoint, StatusCode::OK, &headers, body).read().unwrap();
/// assert_eq!(token.refresh_token().unwrap().expose_secret(), "rt-1");
///
/// let refused = br#"{"error":"invalid_grant","error_description":"rt-0 was used already"}"#;
/// let error = TokenAnswer::new(&endpoint, StatusCode::BAD_REQUEST, &headers, refused)
///     .sent_secrets(&["rt-0"])
///     .read()
///     .unwrap_err();
/// assert!(error.needs_reauthentication());
/// assert!(!error.to_string().contains("rt-0"));
/// ```
#[derive(Debug, Clone)]
pub struct TokenAnswer<'a> {
    endpoint: &'a Url,
    status: StatusCode,
    headers: &'a HeaderMap,
    body: &'a [u8],
    fields: Option<&'a TokenResponseFields>,
    sent_secrets: Vec<&'a str>,
    client_authenticated: bool,
    /// The body is the first `MAX_BODY` bytes of a longer one.
    truncated: bool,
}

impl<'a> TokenAnswer<'a> {
    /// What `endpoint` answered: the status, headers and body as received. Only the first
    /// 1 MiB of the body is read, as the sources do. [`receive`](Self::receive) gets all
    /// three from a `reqwest` response.
    #[must_use]
    pub fn new(
        endpoint: &'a Url,
        status: StatusCode,
        headers: &'a HeaderMap,
        body: &'a [u8],
    ) -> Self {
        Self {
            endpoint,
            status,
            headers,
            body,
            fields: None,
            sent_secrets: Vec::new(),
            client_authenticated: false,
            truncated: false,
        }
    }

    /// `body` is the start of a longer body, cut at `MAX_BODY` as it was read.
    pub(crate) fn truncated(mut self, truncated: bool) -> Self {
        self.truncated = truncated;
        self
    }

    /// The names of the answer's fields, when they are not RFC 6749's.
    #[must_use]
    pub fn fields(mut self, fields: &'a TokenResponseFields) -> Self {
        self.fields = Some(fields);
        self
    }

    /// The secrets your request carried (password, client secret, refresh token, code...): cut
    /// out, in every spelling, of whatever the server says back in an error.
    #[must_use]
    pub fn sent_secrets(mut self, secrets: &[&'a str]) -> Self {
        self.sent_secrets.extend_from_slice(secrets);
        self
    }

    /// The request authenticated the client (a secret or an assertion): a 401 then means the
    /// client was refused ([`AuthErrorKind::InvalidClient`](crate::AuthErrorKind::InvalidClient)),
    /// not that the grant is dead.
    #[must_use]
    pub fn client_authenticated(mut self, authenticated: bool) -> Self {
        self.client_authenticated = authenticated;
        self
    }

    /// The token, or the error the answer means.
    ///
    /// # Errors
    /// The [`AuthError`] of a non-2xx answer, classified as the sources classify theirs, or
    /// [`AuthErrorKind::InvalidToken`](crate::AuthErrorKind::InvalidToken) for a 2xx answer
    /// without a usable access token.
    pub fn read(&self) -> Result<Token, AuthError> {
        let truncated = self.truncated || self.body.len() > MAX_BODY;
        let body = Zeroizing::new(self.body[..self.body.len().min(MAX_BODY)].to_vec());
        let answer = Answer::new(self.status, self.headers, body, truncated);
        let default_fields = TokenResponseFields::default();
        read_answer(
            &Endpoint::new(self.endpoint.clone()),
            &answer,
            self.fields.unwrap_or(&default_fields),
            &Redactions::new(&self.sent_secrets),
            judge_for(self.client_authenticated),
        )
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, SystemTime, UNIX_EPOCH};

    use http::header::RETRY_AFTER;

    use super::*;
    use crate::AuthErrorKind;

    fn read(
        status: u16,
        headers: &HeaderMap,
        body: &[u8],
        authenticated: bool,
    ) -> Result<Token, AuthError> {
        let endpoint: Url = "https://auth.example.com/token?key=SECRET-KEY"
            .parse()
            .unwrap();
        TokenAnswer::new(
            &endpoint,
            StatusCode::from_u16(status).unwrap(),
            headers,
            body,
        )
        .sent_secrets(&["SECRET-RT"])
        .client_authenticated(authenticated)
        .read()
    }

    #[test]
    fn answers_are_classified_as_the_sources_classify_theirs() {
        let none = HeaderMap::new();
        let mut later = HeaderMap::new();
        later.insert(RETRY_AFTER, "7".parse().unwrap());

        let token = read(
            200,
            &none,
            br#"{"access_token":"at","expires_in":"60"}"#,
            false,
        )
        .unwrap();
        assert_eq!(token.lifetime(), Some(Duration::from_secs(60)));

        let error = read(400, &none, br#"{"error":"invalid_grant"}"#, false).unwrap_err();
        assert!(matches!(
            error.kind(),
            AuthErrorKind::ReauthenticationRequired { .. }
        ));
        let error = read(401, &none, b"", true).unwrap_err();
        assert!(matches!(error.kind(), AuthErrorKind::InvalidClient { .. }));
        let error = read(401, &none, b"", false).unwrap_err();
        assert!(matches!(
            error.kind(),
            AuthErrorKind::ReauthenticationRequired { .. }
        ));
        let error = read(503, &later, b"", false).unwrap_err();
        assert_eq!(error.retry_after(), Some(Duration::from_secs(7)));
        let error = read(400, &none, br#"{"error":"invalid_scope"}"#, false).unwrap_err();
        assert!(matches!(error.kind(), AuthErrorKind::Rejected { .. }));
        let error = read(200, &none, b"<html>", false).unwrap_err();
        assert!(matches!(error.kind(), AuthErrorKind::InvalidToken { .. }));
    }

    #[test]
    fn no_secret_sent_or_in_the_url_appears_in_the_error() {
        let body = br#"{"error":"invalid_grant","error_description":"SECRET-RT is spent"}"#;
        let error = read(400, &HeaderMap::new(), body, false).unwrap_err();
        let text = format!("{error} {error:?}");
        assert!(!text.contains("SECRET"), "{text}");
        assert!(
            text.contains("https://auth.example.com:443/token"),
            "{text}"
        );
    }

    /// `lifetime` is `expected` give or take the couple of seconds the wall clock may tick.
    fn assert_about(lifetime: Option<Duration>, expected: u64) {
        let lifetime = lifetime.expect("a known lifetime");
        let expected = Duration::from_secs(expected);
        assert!(
            lifetime <= expected + Duration::from_secs(1)
                && lifetime + Duration::from_secs(2) >= expected,
            "{lifetime:?} is not about {expected:?}"
        );
    }

    fn epoch_now() -> u64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs()
    }

    fn read_ok(fields: &TokenResponseFields, body: &serde_json::Value) -> Token {
        let endpoint: Url = "https://api.example.com/v1/login".parse().unwrap();
        let body = serde_json::to_vec(body).unwrap();
        TokenAnswer::new(&endpoint, StatusCode::OK, &HeaderMap::new(), &body)
            .fields(fields)
            .read()
            .unwrap()
    }

    #[tokio::test(start_paused = true)]
    async fn a_nested_camel_case_answer_with_an_rfc_3339_expiry_becomes_a_token() {
        let fields = TokenResponseFields::default()
            .access_token("/data/accessToken")
            .refresh_token("/data/refreshToken")
            .expires_at("/data/expiresAt");
        // 2099-12-31T23:59:59Z is far enough to be in the future whenever this runs.
        let token = read_ok(
            &fields,
            &serde_json::json!({ "data": {
                "accessToken": "at-1",
                "refreshToken": "rt-1",
                "expiresAt": "2099-12-31T23:59:59Z",
            }}),
        );
        assert_eq!(token.access_token().expose_secret(), "at-1");
        assert_eq!(token.refresh_token().unwrap().expose_secret(), "rt-1");
        assert_about(token.lifetime(), 4_102_444_799 - epoch_now());

        let fields = TokenResponseFields::default().expires_at("expiresAt");
        let token = read_ok(
            &fields,
            &serde_json::json!({ "access_token": "at", "expiresAt": (epoch_now() + 300) * 1000 }),
        );
        assert_about(token.lifetime(), 300);
    }

    #[tokio::test(start_paused = true)]
    async fn a_token_field_with_only_a_jwt_expires_at_the_jwt_exp() {
        use base64::Engine as _;
        let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(format!(r#"{{"sub":"u","exp":{}}}"#, epoch_now() + 900));
        let jwt = format!("eyJhbGciOiJIUzI1NiJ9.{payload}.sig");
        let fields = TokenResponseFields::default().access_token("token");
        let token = read_ok(&fields, &serde_json::json!({ "token": jwt }));
        assert_eq!(token.access_token().expose_secret(), jwt);
        assert_about(token.lifetime(), 900);
        let opaque = read_ok(&fields, &serde_json::json!({ "token": "opaque" }));
        assert_eq!(opaque.expires_at(), None, "no lifetime anywhere: unknown");
    }

    #[test]
    fn an_answer_over_a_mebibyte_is_not_read_whole() {
        let mut body = br#"{"access_token":"at","padding":""#.to_vec();
        body.resize(MAX_BODY + 10, b'x');
        let error = read(200, &HeaderMap::new(), &body, false).unwrap_err();
        assert!(
            matches!(error.kind(), AuthErrorKind::InvalidToken { .. }),
            "{error}"
        );
    }
}
