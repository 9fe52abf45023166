// Input: what `#[freshtoken::client]` read from one trait method's attributes.
// Output: a `static` the generated method hands to `ClientCore::call`, so nothing about the
// method is parsed or allocated at run time.

use std::time::Duration;

use http::Method;

use super::error_body::DecodeErrorBody;
use super::refused::TokenRefused;

/// One method of a generated client: its HTTP method, path template, auth, timeout, and
/// what a refused token looks like.
#[derive(Debug)]
pub struct Spec {
    /// The trait method's name, for error messages.
    pub name: &'static str,
    /// The HTTP method.
    pub method: Method,
    /// The path template as written (`/tasks/{id}`), for error messages.
    pub template: &'static str,
    /// The template split into literal text and `{name}` parameters.
    pub path: &'static [PathPart],
    /// Whether the request carries a bearer token from the cache.
    pub auth: bool,
    /// This method's timeout, over the client's default.
    pub timeout: Option<Duration>,
    /// Headers with fixed values, from the method's `#[header("name", "value")]` attributes.
    pub headers: &'static [(&'static str, &'static str)],
    /// Which answers mean the token was refused (the method's or the trait's
    /// `unauthorized = ...`, else a 401): each costs one resend with a new token.
    pub unauthorized: TokenRefused,
    /// What a non-2xx body is decoded into (the method's or the trait's `error_body = T`);
    /// `None` decodes only `application/problem+json`, into `Problem`.
    pub error_body: Option<DecodeErrorBody>,
    /// The `Accept` the return type asks for (`application/json` for JSON), unless the
    /// method's own or a default `accept` header says otherwise.
    pub accept: Option<&'static str>,
}

/// A piece of a path template.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathPart {
    /// Text sent as written.
    Literal(&'static str),
    /// A `{name}` filled by the method's parameter `name`, percent-encoded as one segment.
    Param(&'static str),
}
