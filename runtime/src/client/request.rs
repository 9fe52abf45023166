// Input: one method's spec and its arguments, added one at a time by the generated code.
// Output: the parts of one HTTP request (path, query, headers, body), built anew for every
// attempt, so a retry after a 401 never reuses a sent body.

use std::borrow::Cow;

use bytes::Bytes;
use http::header::{CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};
use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};
use serde::Serialize;

use super::Error;
use super::body::{BodySource, Multipart};
use super::error::Call;
use super::query_value::QueryValue;
use super::spec::{PathPart, Spec};

/// What a path segment percent-encodes: everything but RFC 3986 unreserved characters, so a
/// value can never add a segment (`/`), a query (`?`) or a fragment (`#`).
const SEGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'!')
    .add(b'"')
    .add(b'#')
    .add(b'$')
    .add(b'%')
    .add(b'&')
    .add(b'\'')
    .add(b'(')
    .add(b')')
    .add(b'*')
    .add(b'+')
    .add(b',')
    .add(b'/')
    .add(b':')
    .add(b';')
    .add(b'<')
    .add(b'=')
    .add(b'>')
    .add(b'?')
    .add(b'@')
    .add(b'[')
    .add(b'\\')
    .add(b']')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}');

/// One attempt's request, as the generated method fills it in.
///
/// The generated code calls these methods; users see them only in the expansion.
#[derive(Debug)]
pub struct Request {
    spec: &'static Spec,
    /// The path values, by the index of their `{name}` in the template.
    path_values: Vec<Option<String>>,
    pub(super) query: String,
    pub(super) headers: HeaderMap,
    pub(super) body: Option<reqwest::Body>,
    pub(super) multipart: Option<reqwest::multipart::Form>,
    /// A whole URL that replaces the base URL, path and query: the next page a paginated
    /// method's answer named (`Link: <...>; rel="next"`), checked to be on the base URL's
    /// origin. Boxed: most requests have none, and are made on every call.
    pub(super) url: Option<Box<reqwest::Url>>,
}

impl Request {
    pub(super) fn new(spec: &'static Spec) -> Self {
        Self {
            spec,
            path_values: vec![None; spec.path.len()],
            query: String::new(),
            headers: HeaderMap::new(),
            body: None,
            multipart: None,
            url: None,
        }
    }

    /// A copy of this request (which has no body: a paginated method takes none) for the
    /// next page, which then sets its own query parameter or URL.
    pub(super) fn copy_for_page(&self) -> Self {
        Self {
            spec: self.spec,
            path_values: self.path_values.clone(),
            query: self.query.clone(),
            headers: self.headers.clone(),
            body: None,
            multipart: None,
            url: None,
        }
    }

    pub(super) fn invalid(&self, param: &'static str, reason: impl Into<String>) -> Error {
        Error::InvalidArgument {
            call: call(self.spec),
            param,
            reason: reason.into(),
        }
    }

    /// Fills the `{name}` of the path with `value`, percent-encoded as one segment.
    ///
    /// # Errors
    /// `InvalidArgument` when the value is empty, `.` or `..`: it would change which
    /// resource the path names.
    pub fn path_param(
        &mut self,
        name: &'static str,
        value: &(impl std::fmt::Display + ?Sized),
    ) -> Result<(), Error> {
        let value = value.to_string();
        if matches!(value.as_str(), "" | "." | "..") {
            return Err(self.invalid(
                name,
                format!("a path segment cannot be `{value}`: it would change the path"),
            ));
        }
        // Most values (ids, slugs) need no escaping: then the formatted value is the segment
        // as it is, and no second string is made for it.
        let escaped = match Cow::from(utf8_percent_encode(&value, SEGMENT)) {
            Cow::Borrowed(text) if text == value => None,
            other => Some(other.into_owned()),
        };
        // Moved into the last slot that names the parameter, cloned only for a name that the
        // template repeats.
        let mut encoded = Some(escaped.unwrap_or(value));
        let mut slots = self
            .path_values
            .iter_mut()
            .zip(self.spec.path)
            .filter(|(_, part)| **part == PathPart::Param(name))
            .map(|(slot, _)| slot)
            .peekable();
        while let Some(slot) = slots.next() {
            *slot = if slots.peek().is_some() {
                encoded.clone()
            } else {
                encoded.take()
            };
        }
        Ok(())
    }

    /// Adds `name=value` to the query; a `None` adds nothing, a sequence adds `name` once
    /// per item.
    ///
    /// # Errors
    /// `InvalidArgument` when the value is not a scalar, an `Option` of one, or a sequence of
    /// them (a type whose [`QueryValue`] impl claims more than it serializes as).
    pub fn query<T: QueryValue + ?Sized>(
        &mut self,
        name: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        let value = serde_json::to_value(value)
            .map_err(|error| self.invalid(name, format!("cannot be serialized: {error}")))?;
        let items = match value {
            serde_json::Value::Array(items) => items,
            other => vec![other],
        };
        let mut pairs = Vec::with_capacity(items.len());
        for item in items {
            let text = match item {
                serde_json::Value::Null => continue,
                serde_json::Value::String(text) => text,
                serde_json::Value::Bool(_) | serde_json::Value::Number(_) => item.to_string(),
                _ => {
                    return Err(self.invalid(
                        name,
                        "a `#[query]` parameter must be a scalar, an `Option` or a sequence of scalars; for a struct write `#[query(flatten)]`",
                    ));
                }
            };
            pairs.push((name, text));
        }
        let encoded = serde_urlencoded::to_string(pairs)
            .map_err(|error| self.invalid(name, error.to_string()))?;
        self.push_query(&encoded);
        Ok(())
    }

    /// Adds every field of `value`, a struct or map, to the query (`None` fields omitted).
    ///
    /// # Errors
    /// `InvalidArgument` when `value` is not a flat struct or map of scalars.
    pub fn query_flatten<T: Serialize + ?Sized>(
        &mut self,
        name: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        let encoded = serde_urlencoded::to_string(value).map_err(|error| {
            self.invalid(
                name,
                format!(
                    "`#[query(flatten)]` needs a struct or map of scalars ({error}); for nested objects or arrays (`created[gte]=1`, `expand[0]=a`) write `#[query(flatten, brackets)]`"
                ),
            )
        })?;
        self.push_query(&encoded);
        Ok(())
    }

    pub(super) fn push_query(&mut self, encoded: &str) {
        if encoded.is_empty() {
            return;
        }
        if !self.query.is_empty() {
            self.query.push('&');
        }
        self.query.push_str(encoded);
    }

    /// Sets header `name` (checked by the macro) to `value`, marked sensitive so that no
    /// `Debug` output shows it.
    ///
    /// # Errors
    /// `InvalidArgument` when the value has a character a header cannot carry (a newline).
    pub fn header(
        &mut self,
        name: &'static str,
        param: &'static str,
        value: &(impl std::fmt::Display + ?Sized),
    ) -> Result<(), Error> {
        let name = HeaderName::from_static(name);
        let mut value = HeaderValue::try_from(value.to_string()).map_err(|_| {
            self.invalid(
                param,
                "a header value must be visible ASCII or spaces, without newlines",
            )
        })?;
        value.set_sensitive(true);
        self.headers.append(name, value);
        Ok(())
    }

    /// Sets an optional header: `None` sends none.
    ///
    /// # Errors
    /// As [`header`](Request::header).
    pub fn header_opt(
        &mut self,
        name: &'static str,
        param: &'static str,
        value: Option<&(impl std::fmt::Display + ?Sized)>,
    ) -> Result<(), Error> {
        match value {
            Some(value) => self.header(name, param, value),
            None => Ok(()),
        }
    }

    /// Sends `value` as a JSON body.
    ///
    /// # Errors
    /// `InvalidArgument` when `value` cannot be serialized (a map with non-string keys).
    pub fn json<T: Serialize + ?Sized>(
        &mut self,
        param: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        let bytes = serde_json::to_vec(value).map_err(|error| {
            self.invalid(param, format!("cannot be serialized as JSON: {error}"))
        })?;
        self.set_body(Bytes::from(bytes).into(), "application/json");
        Ok(())
    }

    /// Sends `value` as an `application/x-www-form-urlencoded` body.
    ///
    /// # Errors
    /// `InvalidArgument` when `value` is not a flat struct or map of scalars.
    pub fn form<T: Serialize + ?Sized>(
        &mut self,
        param: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        let text = serde_urlencoded::to_string(value).map_err(|error| {
            self.invalid(
                param,
                format!(
                    "a `#[form]` body needs a struct or map of scalars ({error}); for nested objects or arrays (`metadata[key]=v`, `items[0][price]=x`) write `#[form(brackets)]`"
                ),
            )
        })?;
        self.set_body(text.into(), "application/x-www-form-urlencoded");
        Ok(())
    }

    /// Sends `value` as the body, as it is: bytes, text, or a stream made anew each
    /// attempt ([`Streamed`](super::Streamed)).
    ///
    /// # Errors
    /// `InvalidArgument` when a [`Streamed`](super::Streamed) body cannot be opened.
    pub fn body<B: BodySource + ?Sized>(
        &mut self,
        param: &'static str,
        value: &B,
    ) -> Result<(), Error> {
        let body = value
            .to_body()
            .map_err(|reason| self.invalid(param, reason))?;
        self.set_body(body, value.content_type());
        Ok(())
    }

    /// Sends `value` as a `multipart/form-data` body.
    ///
    /// # Errors
    /// `InvalidArgument` when a part's file name or content type is invalid.
    pub fn multipart(&mut self, param: &'static str, value: &Multipart) -> Result<(), Error> {
        let form = value
            .to_form()
            .map_err(|reason| self.invalid(param, reason))?;
        self.multipart = Some(form);
        Ok(())
    }

    pub(super) fn set_body(&mut self, body: reqwest::Body, content_type: &'static str) {
        self.body = Some(body);
        self.headers
            .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    }

    /// A copy to send again, when the body can be copied: `None` for a streamed or
    /// multipart body, which is read once.
    pub(super) fn try_clone(&self) -> Option<Self> {
        let body = match &self.body {
            None => None,
            Some(body) => Some(reqwest::Body::from(Bytes::copy_from_slice(
                body.as_bytes()?,
            ))),
        };
        if self.multipart.is_some() {
            return None;
        }
        Some(Self {
            spec: self.spec,
            path_values: self.path_values.clone(),
            query: self.query.clone(),
            headers: self.headers.clone(),
            body,
            multipart: None,
            url: self.url.clone(),
        })
    }

    /// The whole path: `base` (the base URL's path, without a trailing `/`), then the
    /// template with every `{name}` filled in, made in one allocation.
    pub(super) fn path(&self, base: &str) -> Result<String, Error> {
        let parts = self.spec.path.iter().zip(&self.path_values);
        let len: usize = parts
            .clone()
            .map(|(part, value)| match (part, value) {
                (PathPart::Literal(text), _) => text.len(),
                (PathPart::Param(_), value) => value.as_ref().map_or(0, String::len),
            })
            .sum();
        let mut path = String::with_capacity(base.len() + len);
        path.push_str(base);
        for (part, value) in parts {
            match (part, value) {
                (PathPart::Literal(text), _) => path.push_str(text),
                (PathPart::Param(_), Some(value)) => path.push_str(value),
                (PathPart::Param(name), None) => {
                    return Err(self.invalid(name, "no value was given for this path parameter"));
                }
            }
        }
        Ok(path)
    }
}

pub(super) fn call(spec: &Spec) -> Call {
    Call {
        name: spec.name,
        method: spec.method.clone(),
        template: spec.template,
    }
}

#[cfg(test)]
mod tests {
    use http::Method;

    use super::{PathPart, Request, Spec};
    use crate::client::refused::TokenRefused;

    static REPEATED: Spec = Spec {
        name: "copy",
        method: Method::POST,
        template: "/items/{id}/copies/{id}",
        path: &[
            PathPart::Literal("/items/"),
            PathPart::Param("id"),
            PathPart::Literal("/copies/"),
            PathPart::Param("id"),
        ],
        auth: false,
        timeout: None,
        headers: &[],
        unauthorized: TokenRefused::Status401,
        error_body: None,
        accept: None,
        retry: None,
    };

    fn path_with(value: &str) -> String {
        let mut request = Request::new(&REPEATED);
        request.path_param("id", value).expect("a valid segment");
        request.path("/v2").expect("every parameter has a value")
    }

    #[test]
    fn a_value_without_reserved_characters_is_sent_as_it_is_in_every_slot() {
        assert_eq!(
            path_with("item-7_a.b~"),
            "/v2/items/item-7_a.b~/copies/item-7_a.b~"
        );
    }

    #[test]
    fn reserved_characters_are_escaped_in_every_slot() {
        assert_eq!(path_with("a b/c"), "/v2/items/a%20b%2Fc/copies/a%20b%2Fc");
        assert_eq!(path_with("é"), "/v2/items/%C3%A9/copies/%C3%A9");
    }

    // percent-encoding hands back one escaped character as a borrowed `Cow` too, which
    // must not be taken for "nothing escaped".
    #[test]
    fn a_single_reserved_character_is_escaped() {
        assert_eq!(path_with("#"), "/v2/items/%23/copies/%23");
        assert_eq!(path_with("?"), "/v2/items/%3F/copies/%3F");
    }

    #[test]
    fn a_missing_parameter_is_an_error_naming_it() {
        let request = Request::new(&REPEATED);
        let error = request.path("").expect_err("no value for `id`");
        assert!(error.to_string().contains("id"), "{error}");
    }
}
