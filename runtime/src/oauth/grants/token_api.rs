// Input: how a token API that is not OAuth2 wants its requests: the body's format, the API's
// own fields (some of them secrets), and where the refresh token goes.
// Output: the bodies and credential headers of those requests, and the refresh request
// itself, which `JsonLogin` and `JsonRefresh` share.

use std::borrow::Cow;

use http::header::{AUTHORIZATION, COOKIE};
use http::{HeaderName, HeaderValue, StatusCode};

use crate::oauth::endpoint::endpoint_error::EndpointError;
use crate::oauth::endpoint::error_response::{Remedy, oauth_remedy};
use crate::oauth::endpoint::exchange::{CredentialHeader, Http};
use crate::oauth::endpoint::redaction::Redactions;
use crate::oauth::endpoint::request_body::RequestBody;
use crate::oauth::endpoint::response_fields::TokenResponseFields;
use crate::oauth::endpoint::token_request::{Judge, TokenRequest};
use crate::oauth::endpoint::url::Endpoint;
use crate::{AuthError, ClientSecret, Token};

/// How a request's fields are sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum BodyFormat {
    /// A JSON object of strings (`application/json`), as most login APIs take.
    #[default]
    Json,
    /// `application/x-www-form-urlencoded`, as FastAPI's `OAuth2PasswordRequestForm` and
    /// other OAuth2-flavoured logins take.
    Form,
}

/// Where a refresh request carries the refresh token.
///
/// ```
/// use freshtoken::oauth::RefreshTokenIn;
///
/// // {"refresh": "..."}
/// let field = RefreshTokenIn::Field("refresh".into());
/// // Authorization: Bearer <refresh token>, no body (flask-jwt-extended, fastjwt)
/// let bearer = RefreshTokenIn::BearerHeader;
/// // Cookie: refresh_token=<refresh token>, renewed by the answers' Set-Cookie
/// let cookie = RefreshTokenIn::Cookie("refresh_token".into());
/// # let _ = (field, bearer, cookie);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RefreshTokenIn {
    /// A field of the body: `refresh_token` by default, or the API's own name.
    Field(String),
    /// `Authorization: Bearer <refresh token>` and no body (unless the source has other
    /// refresh fields): the default of flask-jwt-extended and fastjwt.
    BearerHeader,
    /// A header of the API's own, `<name>: <refresh token>`.
    Header(String),
    /// A cookie, `Cookie: <name>=<refresh token>`. An API that keeps the refresh token in a
    /// cookie sets it with `Set-Cookie` on the login and refresh answers: the source reads
    /// the new refresh token there when the answer's body has none.
    Cookie(String),
}

impl Default for RefreshTokenIn {
    /// `Field("refresh_token")`.
    fn default() -> Self {
        Self::Field("refresh_token".to_owned())
    }
}

/// A field value that is or is not a secret.
#[derive(Debug, Clone)]
enum FieldValue {
    Plain(String),
    Secret(ClientSecret),
}

/// Fields an API wants beside the ones a source knows (`grant_type`, `client_id`, a
/// one-time code...), in the order given; the secret ones are cut out of errors.
#[derive(Debug, Clone, Default)]
pub(super) struct ExtraFields(Vec<(String, FieldValue)>);

impl ExtraFields {
    pub(super) fn plain(&mut self, name: String, value: String) {
        self.0.push((name, FieldValue::Plain(value)));
    }

    pub(super) fn secret(&mut self, name: String, value: ClientSecret) {
        self.0.push((name, FieldValue::Secret(value)));
    }

    pub(super) fn pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(name, value)| match value {
            FieldValue::Plain(value) => (name.as_str(), value.as_str()),
            FieldValue::Secret(value) => (name.as_str(), value.expose_secret()),
        })
    }

    pub(super) fn secrets(&self) -> impl Iterator<Item = &str> {
        self.0.iter().filter_map(|(_, value)| match value {
            FieldValue::Plain(_) => None,
            FieldValue::Secret(value) => Some(value.expose_secret()),
        })
    }
}

/// `fields` as a body in `format`; no body at all when there are none.
pub(super) fn body(format: BodyFormat, fields: &[(&str, &str)]) -> RequestBody {
    match format {
        _ if fields.is_empty() => RequestBody::empty(),
        BodyFormat::Json => RequestBody::json(fields),
        BodyFormat::Form => RequestBody::form(fields),
    }
}

/// The refresh request of a token API: where it goes, how it carries the refresh token, and
/// the other fields it sends.
#[derive(Debug, Clone)]
pub(super) struct RefreshRequest {
    pub(super) endpoint: Endpoint,
    pub(super) token_in: RefreshTokenIn,
    pub(super) format: BodyFormat,
    pub(super) extra: ExtraFields,
}

impl RefreshRequest {
    pub(super) fn new(endpoint: Endpoint) -> Self {
        Self {
            endpoint,
            token_in: RefreshTokenIn::default(),
            format: BodyFormat::Json,
            extra: ExtraFields::default(),
        }
    }

    /// The answers' fields, reading a cookie the refresh token lives in (copied only then).
    pub(super) fn answer_fields<'f>(
        &self,
        fields: &'f TokenResponseFields,
    ) -> Cow<'f, TokenResponseFields> {
        match &self.token_in {
            RefreshTokenIn::Cookie(name) => {
                let mut fields = fields.clone();
                fields.refresh_token_cookie = Some(name.clone());
                Cow::Owned(fields)
            }
            _ => Cow::Borrowed(fields),
        }
    }

    /// Renews `previous` with `refresh_token` (a token bound to a DPoP key with that key).
    /// `other_secrets` are cut out of errors too; `judge` reads a refusal.
    pub(super) async fn send(
        &self,
        http: &Http,
        fields: &TokenResponseFields,
        previous: &Token,
        refresh_token: &str,
        other_secrets: &[&str],
        judge: Judge,
    ) -> Result<Token, AuthError> {
        let mut pairs: Vec<(&str, &str)> = Vec::new();
        if let RefreshTokenIn::Field(name) = &self.token_in {
            pairs.push((name, refresh_token));
        }
        pairs.extend(self.extra.pairs());
        let mut secrets = Redactions::new(&[refresh_token]);
        for secret in other_secrets.iter().copied().chain(self.extra.secrets()) {
            secrets.add(secret);
        }
        TokenRequest {
            endpoint: &self.endpoint,
            body: body(self.format, &pairs),
            credential: self.credential(refresh_token)?,
            fields: &self.answer_fields(fields),
            secrets,
            judge,
        }
        .send(&http.for_refresh_of(previous))
        .await
    }

    /// The header that carries `refresh_token`, if it goes in one.
    fn credential(&self, refresh_token: &str) -> Result<Option<CredentialHeader>, AuthError> {
        let (name, prefix, separator) = match &self.token_in {
            RefreshTokenIn::Field(_) => return Ok(None),
            RefreshTokenIn::BearerHeader => (AUTHORIZATION, "Bearer", " "),
            RefreshTokenIn::Cookie(cookie) => (COOKIE, cookie.as_str(), "="),
            RefreshTokenIn::Header(header) => {
                let name = HeaderName::try_from(header.as_str()).map_err(|_| {
                    self.not_sent(&format!(
                        "the refresh token header name `{header}` is not a valid HTTP header \
                         name; check `RefreshTokenIn::Header`"
                    ))
                })?;
                (name, "", "")
            }
        };
        if let RefreshTokenIn::Cookie(cookie) = &self.token_in
            && (cookie.is_empty() || !cookie.bytes().all(is_cookie_name_byte))
        {
            return Err(self.not_sent(&format!(
                "the refresh token cookie name `{cookie}` is not a valid cookie name; check \
                 `RefreshTokenIn::Cookie`"
            )));
        }
        let value = credential_value(prefix, separator, refresh_token).ok_or_else(|| {
            AuthError::reauthenticate(EndpointError::unanswered(
                &self.endpoint,
                "not sent: the refresh token holds characters a header cannot carry; log in \
                 again or give the cache a valid refresh token"
                    .to_owned(),
            ))
        })?;
        Ok(Some((name, value)))
    }

    /// A configuration error: nothing was sent, and sending again will not help.
    fn not_sent(&self, detail: &str) -> AuthError {
        AuthError::rejected(EndpointError::unanswered(
            &self.endpoint,
            format!("not sent: {detail}"),
        ))
    }
}

/// `<prefix><separator><secret>` as a sensitive header value, built in a buffer that is
/// zeroed on drop.
fn credential_value(prefix: &str, separator: &str, secret: &str) -> Option<HeaderValue> {
    if prefix.is_empty() {
        let mut value = HeaderValue::from_str(secret).ok()?;
        value.set_sensitive(true);
        return Some(value);
    }
    let mut text = zeroize::Zeroizing::new(String::with_capacity(
        prefix.len() + separator.len() + secret.len(),
    ));
    text.push_str(prefix);
    text.push_str(separator);
    text.push_str(secret);
    let mut value = HeaderValue::from_str(&text).ok()?;
    value.set_sensitive(true);
    Some(value)
}

/// A `token` of RFC 6265's cookie-name grammar (RFC 7230's tchar).
fn is_cookie_name_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&byte)
}

/// Login APIs say "no" with 401 or 403 more often than with an RFC 6749 error code. The
/// sources send no client credentials, so an `invalid_client` refuses the login itself.
pub(super) fn refused(status: StatusCode, error_code: Option<&str>) -> Remedy {
    if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
        return Remedy::Reauthenticate;
    }
    match oauth_remedy(status, error_code) {
        Remedy::InvalidClient => Remedy::Reauthenticate,
        remedy => remedy,
    }
}

/// A refused refresh token: [`refused`], and also 422, which APIs built on
/// flask-jwt-extended and FastAPI answer for a refresh token they cannot decode.
pub(super) fn refresh_refused(status: StatusCode, error_code: Option<&str>) -> Remedy {
    if status == StatusCode::UNPROCESSABLE_ENTITY {
        return Remedy::Reauthenticate;
    }
    refused(status, error_code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_login_or_refresh_needs_reauthentication() {
        let status = |code: u16| StatusCode::from_u16(code).unwrap();
        assert_eq!(refused(status(401), None), Remedy::Reauthenticate);
        assert_eq!(refused(status(403), None), Remedy::Reauthenticate);
        assert_eq!(
            refused(status(400), Some("invalid_grant")),
            Remedy::Reauthenticate
        );
        assert_eq!(
            refused(status(400), Some("invalid_client")),
            Remedy::Reauthenticate
        );
        assert_eq!(refused(status(400), None), Remedy::Reject);
        assert_eq!(refused(status(422), None), Remedy::Reject);
        assert_eq!(refresh_refused(status(422), None), Remedy::Reauthenticate);
        assert_eq!(refused(status(503), None), Remedy::Retry);
        assert_eq!(refresh_refused(status(503), None), Remedy::Retry);
    }

    fn header(token_in: RefreshTokenIn, secret: &str) -> Result<Option<(String, String)>, String> {
        let mut request = RefreshRequest::new(Endpoint::new(
            "https://api.example/refresh".parse().unwrap(),
        ));
        request.token_in = token_in;
        request
            .credential(secret)
            .map(|header| {
                header.map(|(name, value)| {
                    assert!(value.is_sensitive());
                    (name.to_string(), value.to_str().unwrap().to_owned())
                })
            })
            .map_err(|error| {
                let text = error.to_string();
                assert!(!text.contains(secret), "{text}");
                text
            })
    }

    #[test]
    fn the_refresh_token_goes_where_the_api_wants_it() {
        let pair = |name: &str, value: &str| Ok(Some((name.to_owned(), value.to_owned())));
        assert_eq!(header(RefreshTokenIn::default(), "rt"), Ok(None));
        assert_eq!(
            header(RefreshTokenIn::BearerHeader, "rt"),
            pair("authorization", "Bearer rt")
        );
        assert_eq!(
            header(RefreshTokenIn::Cookie("refresh_token".into()), "rt"),
            pair("cookie", "refresh_token=rt")
        );
        assert_eq!(
            header(RefreshTokenIn::Header("X-Refresh-Token".into()), "rt"),
            pair("x-refresh-token", "rt")
        );
    }

    #[test]
    fn bad_names_and_values_are_errors_that_say_which_and_never_quote_the_token() {
        let error = header(RefreshTokenIn::Header("bad header".into()), "SECRET").unwrap_err();
        assert!(error.contains("`bad header`"), "{error}");
        let error = header(RefreshTokenIn::Cookie("a=b".into()), "SECRET").unwrap_err();
        assert!(error.contains("`a=b`"), "{error}");
        let error = header(RefreshTokenIn::BearerHeader, "SECRET\nline").unwrap_err();
        assert!(
            error.contains("characters a header cannot carry"),
            "{error}"
        );
    }

    #[test]
    fn no_fields_means_no_body() {
        assert!(body(BodyFormat::Json, &[]).content_type.is_none());
        assert_eq!(
            body(BodyFormat::Form, &[("a", "b c")]).bytes.as_ref(),
            b"a=b+c"
        );
        assert_eq!(
            body(BodyFormat::Json, &[("a", "b")]).bytes.as_ref(),
            br#"{"a":"b"}"#
        );
    }
}
