//! Token sources for OAuth2 token endpoints and login-style APIs, over `reqwest`.
//!
//! - [`RefreshTokenGrant`]: renews a token with its refresh token (RFC 6749 section 6), for
//!   clients that got their first token from a login flow.
//! - [`ClientCredentials`]: a service's own token (RFC 6749 section 4.4), no user involved.
//! - [`PasswordGrant`]: a user's username and password at an RFC 6749 token endpoint
//!   (section 4.3, form-encoded, with client authentication), then the refresh token grant.
//! - [`JsonLogin`]: a login API of its own (username and password first, as JSON or a form,
//!   then its refresh route, the refresh token in a body field, `Authorization: Bearer`, a
//!   header or a cookie; every field name configurable), like the reference server's.
//! - [`JsonRefresh`]: an API whose only route is refresh, started from a refresh token the
//!   program is given.
//!
//! - `JwtBearerGrant` (feature `jsonwebtoken`): the JWT bearer grant (RFC 7523), with an
//!   assertion signed here or supplied from elsewhere.
//! - [`TokenExchangeGrant`]: token exchange (RFC 8693), with subject and actor tokens from
//!   other caches or functions ([`TokenSupplier`]).
//!
//! Each is a [`TokenSource`](crate::TokenSource) to give a [`TokenCache`](crate::TokenCache).
//! For a grant of your own at an RFC 6749 token endpoint, [`GrantRequest`] sends the form
//! with the client authentication of a [`ClientAuth`] and reads the answer as these sources
//! do.
//! For a login flow of your own, [`TokenAnswer`] reads the token endpoint's answer as these
//! sources read theirs: a [`Token`](crate::Token), or the classified error below;
//! [`TokenAnswer::receive`] reads it straight from what reqwest's `send()` returned.
//!
//! # What the errors mean
//!
//! | The endpoint answered | Error | The cache |
//! |---|---|---|
//! | `invalid_grant`, or 401 to a public client | [`AuthErrorKind::ReauthenticationRequired`] | stops until given a new token |
//! | `invalid_client`, or 401 to a client that sent a secret | [`AuthErrorKind::InvalidClient`]: check the client id and secret | stops until given a new token |
//! | 5xx, 408, 429, no answer | [`AuthErrorKind::RefreshFailed`], with `Retry-After` on 429 and 503 | retries after a backoff |
//! | no answer within the timeout | [`AuthErrorKind::Timeout`] | retries after a backoff |
//! | any other 4xx or 3xx (`invalid_scope`, `invalid_request`...) | [`AuthErrorKind::Rejected`] | stops: the configuration needs fixing |
//! | 2xx without a usable `access_token`, or not JSON | [`AuthErrorKind::InvalidToken`] | retries after a backoff |
//!
//! [`JsonLogin`] and [`JsonRefresh`] also count a 403 as a refusal (and a 422 to a refresh,
//! which flask-jwt-extended and FastAPI answer for a refresh token they cannot decode), and
//! read `invalid_client` as a refused login (they send no client credentials). The `source` of the first four is an
//! [`EndpointError`] with the status and the RFC 6749 error code.
//!
//! Every message names the endpoint (scheme, host, port and path, never the query string)
//! and the status, and never contains a token, a refresh token, a client secret or a
//! password: bodies sent are zeroed when dropped, bodies received are described, not quoted,
//! and a server's `error_description` (or the `message`, `detail` or `msg` that JSON login
//! APIs, FastAPI and flask-jwt-extended answer instead; of FastAPI's list of field errors,
//! each field and message, never the value sent) is repeated only with those secrets cut
//! out in every spelling a server may echo them in: raw, form-urlencoded (any hex case, `+`
//! or `%20`, any choice of escaped characters), JSON-escaped (including `\uXXXX` and `\/`),
//! and the Basic credentials in base64 (standard or URL-safe, padded or not). An `error` code
//! that holds a secret is dropped. A secret escaped twice over (a JSON body quoted inside
//! another JSON string) is not recognized, and would be cut only where it is shown raw.
//!
//! # Reading answers
//!
//! Lenient where servers differ: `expires_in` may be an integer, a float or a string holding
//! a number (negative means already expired; absurdly large means unknown); without it, an
//! `expires_at` field may say when the token expires, in epoch seconds or milliseconds or as
//! an RFC 3339 time (see [`TokenResponseFields::expires_at`]); with neither, a JWT access
//! token expires at its `exp`. `token_type` may be in any case, and unknown fields are
//! ignored. Strict where a wrong guess would hurt: a
//! 2xx answer must be a JSON object with a non-empty string access token.
//!
//! `Retry-After` is read as delta-seconds or as an HTTP-date (all three formats of
//! RFC 9110).
//!
//! # HTTP
//!
//! Each request has a timeout (default 30 s, set with the sources' `timeout`). The default
//! client follows no redirects, so that secrets are never re-sent elsewhere; pass your own
//! with `http_client`. This crate enables no TLS backend of `reqwest`: for `https` token
//! endpoints, enable one (for example reqwest 0.13's `rustls` feature) in your own crate.
//!
//! [`AuthErrorKind::ReauthenticationRequired`]: crate::AuthErrorKind::ReauthenticationRequired
//! [`AuthErrorKind::InvalidClient`]: crate::AuthErrorKind::InvalidClient
//! [`AuthErrorKind::RefreshFailed`]: crate::AuthErrorKind::RefreshFailed
//! [`AuthErrorKind::Timeout`]: crate::AuthErrorKind::Timeout
//! [`AuthErrorKind::Rejected`]: crate::AuthErrorKind::Rejected
//! [`AuthErrorKind::InvalidToken`]: crate::AuthErrorKind::InvalidToken

mod discovery;
pub(crate) mod endpoint;
mod grants;
mod mcp_2025_03_26;
pub mod resource;
mod revocation;

pub use discovery::{Issuer, ServerMetadata};
pub use endpoint::answer::TokenAnswer;
pub use endpoint::client_auth::ClientAuth;
pub use endpoint::endpoint_error::EndpointError;
pub use endpoint::grant_request::GrantRequest;
pub use endpoint::received_answer::ReceivedAnswer;
pub(crate) use endpoint::redaction;
pub use endpoint::response_fields::TokenResponseFields;
pub use grants::client_credentials::ClientCredentials;
pub use grants::device_code::{DeviceAuthorization, DeviceCodeGrant};
pub use grants::json_login::JsonLogin;
pub use grants::json_refresh::JsonRefresh;
pub use grants::password::PasswordGrant;
pub use grants::pkce::{AuthorizationCodePkce, LoopbackLogin};
pub use grants::refresh_token::RefreshTokenGrant;
pub use grants::token_api::{BodyFormat, RefreshTokenIn};
pub use grants::token_exchange::TokenExchangeGrant;
pub use grants::token_supplier::TokenSupplier;
pub use revocation::Revocation;
#[cfg(feature = "jsonwebtoken")]
#[cfg_attr(docsrs, doc(cfg(feature = "jsonwebtoken")))]
pub use {endpoint::assertion::JwtSigner, grants::jwt_bearer::JwtBearerGrant};

/// The JSON login-route source under its former name.
#[deprecated(
    since = "0.1.0",
    note = "renamed `JsonLogin`: it posts JSON to a login route; for an RFC 6749 token \
            endpoint use `PasswordGrant`"
)]
pub type PasswordLogin = JsonLogin;

/// The URL type the sources take (re-exported from `reqwest`, so callers need no direct
/// dependency on it).
pub use reqwest::Url;
