// Input: the body of an `/oauth/...` POST and its `Content-Type`.
// Output: `Form`, its parameters by name, or an `invalid_request` that quotes nothing.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::http::HeaderMap;
use axum::http::header::CONTENT_TYPE;

use super::oauth_errors::OAuthError;

/// The parameters of an `application/x-www-form-urlencoded` body (RFC 6749 appendix B).
///
/// No `Debug`: the values include passwords, secrets, codes and assertions.
pub(crate) struct Form(HashMap<String, String>);

impl Form {
    /// Parses a form body. Refuses another content type (a JSON body is the mistake this
    /// server exists to catch), an unreadable body, and a parameter sent twice (RFC 6749
    /// §3.1). An empty value counts as absent (same section).
    pub(crate) fn parse(
        headers: &HeaderMap,
        body: Result<Bytes, BytesRejection>,
    ) -> Result<Self, OAuthError> {
        let is_form = headers
            .get(CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.split(';').next())
            .is_some_and(|mime| {
                mime.trim()
                    .eq_ignore_ascii_case("application/x-www-form-urlencoded")
            });
        if !is_form {
            return Err(OAuthError::invalid_request(
                "the body must be application/x-www-form-urlencoded",
            ));
        }
        let pairs: Vec<(String, String)> = body
            .ok()
            .and_then(|bytes| serde_urlencoded::from_bytes(&bytes).ok())
            .ok_or(OAuthError::invalid_request(
                "the body is not a readable form",
            ))?;
        Self::from_pairs(pairs)
    }

    /// The parameters of a query string, with the same rules as a body.
    pub(crate) fn from_query(query: Option<&str>) -> Result<Self, OAuthError> {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query.unwrap_or_default())
            .map_err(|_| OAuthError::invalid_request("the query string is not readable"))?;
        Self::from_pairs(pairs)
    }

    fn from_pairs(pairs: Vec<(String, String)>) -> Result<Self, OAuthError> {
        let mut map = HashMap::with_capacity(pairs.len());
        for (name, value) in pairs {
            if map.insert(name, value).is_some() {
                return Err(OAuthError::invalid_request(
                    "a parameter appears more than once",
                ));
            }
        }
        map.retain(|_, value: &mut String| !value.is_empty());
        Ok(Self(map))
    }

    /// The value of `name`, if sent and not empty.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    /// The value of `name`, or `invalid_request` with `missing` as the description.
    pub(crate) fn require(&self, name: &str, missing: &'static str) -> Result<&str, OAuthError> {
        self.get(name).ok_or(OAuthError::invalid_request(missing))
    }
}
