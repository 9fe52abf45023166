// Input: the names a JSON token API gives its fields (RFC 6749's, or its own).
// Output: the configuration that tells the response parser where to find each value, and the
// lookup itself: a plain name, or a JSON Pointer into nested objects.

use serde_json::Value;

/// The names of the fields of a JSON token response, for APIs that do not use the RFC 6749
/// names.
///
/// A name that starts with `/` is a JSON Pointer (RFC 6901) into nested objects, so
/// `{"data": {"token": "..."}}` is read with `.access_token("/data/token")`.
///
/// ```
/// use freshtoken::oauth::TokenResponseFields;
///
/// // {"token": "...", "refreshToken": "...", "ttl": 3600}
/// let fields = TokenResponseFields::default()
///     .access_token("token")
///     .refresh_token("refreshToken")
///     .expires_in("ttl");
/// # let _ = fields;
/// ```
///
/// The lifetime is read from `expires_in` (seconds from now) or else from
/// [`expires_at`](Self::expires_at) (a time on the wall clock); with neither, a JWT access
/// token expires at its own `exp`, and any other token is used until the server answers 401:
///
/// ```
/// use freshtoken::oauth::{TokenAnswer, TokenResponseFields, Url};
/// use http::{HeaderMap, StatusCode};
///
/// let endpoint: Url = "https://api.example.com/v1/session".parse()?;
/// let body = br#"{"data": {"accessToken": "at-1", "refreshToken": "rt-1",
///                 "expiresAt": "2099-12-31T23:59:59Z"}}"#;
/// let fields = TokenResponseFields::default()
///     .access_token("/data/accessToken")
///     .refresh_token("/data/refreshToken")
///     .expires_at("/data/expiresAt");
/// let token = TokenAnswer::new(&endpoint, StatusCode::OK, &HeaderMap::new(), body)
///     .fields(&fields)
///     .read()?;
/// assert_eq!(token.refresh_token().unwrap().expose_secret(), "rt-1");
/// assert!(token.expires_at().is_some());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct TokenResponseFields {
    pub(crate) access_token: String,
    pub(crate) token_type: String,
    pub(crate) expires_in: String,
    pub(crate) expires_at: String,
    pub(crate) refresh_token: String,
    pub(crate) scope: String,
    pub(crate) refresh_token_cookie: Option<String>,
}

impl Default for TokenResponseFields {
    /// The RFC 6749 names: `access_token`, `token_type`, `expires_in`, `refresh_token`,
    /// `scope`; and `expires_at`, which no OAuth2 server sends and many other token APIs do.
    fn default() -> Self {
        Self {
            access_token: "access_token".to_owned(),
            token_type: "token_type".to_owned(),
            expires_in: "expires_in".to_owned(),
            expires_at: "expires_at".to_owned(),
            refresh_token: "refresh_token".to_owned(),
            scope: "scope".to_owned(),
            refresh_token_cookie: None,
        }
    }
}

impl TokenResponseFields {
    /// The field that holds the access token (required, a non-empty string).
    #[must_use]
    pub fn access_token(mut self, name: impl Into<String>) -> Self {
        self.access_token = name.into();
        self
    }

    /// The field that holds the token type (optional; `Bearer` when absent).
    #[must_use]
    pub fn token_type(mut self, name: impl Into<String>) -> Self {
        self.token_type = name.into();
        self
    }

    /// The field that holds the lifetime in seconds (optional; a number or a string holding
    /// one).
    #[must_use]
    pub fn expires_in(mut self, name: impl Into<String>) -> Self {
        self.expires_in = name.into();
        self
    }

    /// The field that holds when the token expires (optional; read only when the
    /// [`expires_in`](Self::expires_in) field is absent or unreadable, since a lifetime is
    /// immune to a skew between the server's clock and ours).
    ///
    /// Accepted: epoch seconds or milliseconds as a JSON number or a string of digits, told
    /// apart by size (from `100_000_000_000` on, milliseconds: in seconds that would be past
    /// the year 5000), or an RFC 3339 string (`2026-12-31T23:59:59Z`,
    /// `2026-12-31T23:59:59.5+02:00`). The time is turned into a lifetime against the local
    /// wall clock when the answer is read, and counted from then on the monotonic clock. A time
    /// already past gives an expired token; anything else (unreadable, more than a century
    /// away) leaves the expiry unknown, as an absent field does.
    #[must_use]
    pub fn expires_at(mut self, name: impl Into<String>) -> Self {
        self.expires_at = name.into();
        self
    }

    /// The field that holds the refresh token (optional).
    #[must_use]
    pub fn refresh_token(mut self, name: impl Into<String>) -> Self {
        self.refresh_token = name.into();
        self
    }

    /// The cookie that holds the refresh token when the body has none: the answer's
    /// `Set-Cookie: <name>=<refresh token>`, as APIs that keep the refresh token in an
    /// `HttpOnly` cookie send it. A cookie with an empty value (a logout clearing it) is no
    /// refresh token.
    #[must_use]
    pub fn refresh_token_cookie(mut self, name: impl Into<String>) -> Self {
        self.refresh_token_cookie = Some(name.into());
        self
    }

    /// The field that holds the granted scope (optional).
    #[must_use]
    pub fn scope(mut self, name: impl Into<String>) -> Self {
        self.scope = name.into();
        self
    }
}

/// Moves a field out of the body: by name, or by JSON Pointer when it starts with `/`.
pub(crate) fn take(body: &mut Value, field: &str) -> Option<Value> {
    let slot = if field.starts_with('/') {
        body.pointer_mut(field)?
    } else {
        body.get_mut(field)?
    };
    Some(slot.take())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_name_is_a_key_and_a_slash_starts_a_pointer() {
        let mut body = json!({ "a.b": 1, "data": { "token": "t", "list": ["x"] } });
        assert_eq!(take(&mut body, "a.b"), Some(json!(1)));
        assert_eq!(take(&mut body, "/data/token"), Some(json!("t")));
        assert_eq!(take(&mut body, "/data/list/0"), Some(json!("x")));
        assert_eq!(take(&mut body, "/data/missing"), None);
        assert_eq!(take(&mut body, "data/token"), None, "no slash: a key");
        assert_eq!(take(&mut json!("not an object"), "a"), None);
    }

    #[test]
    fn the_default_names_are_rfc_6749_and_expires_at() {
        let fields = TokenResponseFields::default();
        assert_eq!(
            [
                &fields.access_token,
                &fields.token_type,
                &fields.expires_in,
                &fields.expires_at,
                &fields.refresh_token,
                &fields.scope
            ],
            [
                "access_token",
                "token_type",
                "expires_in",
                "expires_at",
                "refresh_token",
                "scope"
            ]
        );
    }
}
