// Input: the bounded, redacted text of a non-2xx answer, its content type, and the type the
// method's (or the trait's) `error_body = ...` names.
// Output: the body decoded into that type (or into `Problem` for `application/problem+json`),
// kept in the error beside the text; nothing when it does not decode, which is never an
// error of its own: the status and the text still say what happened.

use std::any::Any;
use std::fmt;

use http::HeaderMap;
use http::header::CONTENT_TYPE;
use serde::de::DeserializeOwned;

use super::problem::Problem;

/// The body of a non-2xx answer, decoded into the type the method's `error_body = ...`
/// option names, or into [`Problem`] for `application/problem+json`.
///
/// [`Error::error_body`](super::Error::error_body) gives it back as that type.
pub struct ErrorBody(Box<dyn Decoded>);

/// What an error body may be decoded into: `Debug`, so that the error still is, and `Any`,
/// so that it can be had back as its type.
trait Decoded: Any + fmt::Debug + Send + Sync {
    fn as_any(&self) -> &dyn Any;
}

impl<T: Any + fmt::Debug + Send + Sync> Decoded for T {
    fn as_any(&self) -> &dyn Any {
        self
    }
}

impl ErrorBody {
    /// The decoded body, if it was decoded into `T`.
    #[must_use]
    pub fn downcast_ref<T: Any>(&self) -> Option<&T> {
        // Through the box: `Box<dyn Decoded>` is itself `Any`, and would downcast as the box.
        let value: &dyn Decoded = &*self.0;
        value.as_any().downcast_ref()
    }
}

impl fmt::Debug for ErrorBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// What the generated code puts in a [`Spec`](super::spec::Spec) for `error_body = T`: a
/// decoder of the text into `T`.
pub type DecodeErrorBody = fn(&str) -> Option<ErrorBody>;

/// What a type named by `error_body = ...` must be.
#[diagnostic::on_unimplemented(
    message = "`error_body = {Self}`: the type must implement `serde::Deserialize` (and `Debug`, `Send`, `Sync`, `'static`)",
    label = "a non-2xx answer's body is decoded into this type",
    note = "derive them: `#[derive(Debug, serde::Deserialize)]`; for an RFC 9457 problem document write `error_body = freshtoken::client::Problem`"
)]
pub trait ErrorBodyType: DeserializeOwned + fmt::Debug + Send + Sync + 'static {}

impl<T: DeserializeOwned + fmt::Debug + Send + Sync + 'static> ErrorBodyType for T {}

/// Decodes `text` as JSON into `T`.
#[must_use]
pub fn decode_error_body<T: ErrorBodyType>(text: &str) -> Option<ErrorBody> {
    serde_json::from_str::<T>(text)
        .ok()
        .map(|value| ErrorBody(Box::new(value)))
}

/// The body decoded by the method's decoder; failing that (or without one), as a
/// [`Problem`] when the answer says it is one.
pub(super) fn decode(
    decoder: Option<DecodeErrorBody>,
    problem: bool,
    text: &str,
) -> Option<ErrorBody> {
    decoder.and_then(|decode| decode(text)).or_else(|| {
        problem
            .then(|| decode_error_body::<Problem>(text))
            .flatten()
    })
}

/// Whether the answer's content type is `application/problem+json` (any parameters, any
/// case).
pub(super) fn is_problem(headers: &HeaderMap) -> bool {
    headers
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .is_some_and(|media| {
            media
                .trim()
                .eq_ignore_ascii_case("application/problem+json")
        })
}

#[cfg(test)]
mod tests {
    use http::HeaderMap;
    use http::header::{CONTENT_TYPE, HeaderValue};

    use super::{Problem, decode, decode_error_body, is_problem};

    #[derive(Debug, PartialEq, serde::Deserialize)]
    struct Code {
        code: u32,
    }

    #[test]
    fn the_method_s_type_comes_first_and_a_problem_second() {
        let text = r#"{"code":7,"title":"t"}"#;
        let body = decode(Some(decode_error_body::<Code>), true, text).expect("decodes");
        assert_eq!(body.downcast_ref::<Code>(), Some(&Code { code: 7 }));
        assert!(body.downcast_ref::<Problem>().is_none());
        let body =
            decode(Some(decode_error_body::<Code>), true, r#"{"title":"t"}"#).expect("a problem");
        assert_eq!(
            body.downcast_ref::<Problem>()
                .and_then(|problem| problem.title.as_deref()),
            Some("t")
        );
        assert!(decode(Some(decode_error_body::<Code>), false, r#"{"title":"t"}"#).is_none());
        assert!(decode(None, true, "not json").is_none());
    }

    #[test]
    fn problem_json_is_known_with_parameters_and_in_any_case() {
        let mut headers = HeaderMap::new();
        assert!(!is_problem(&headers));
        for value in [
            "application/problem+json",
            "Application/Problem+JSON; charset=utf-8",
        ] {
            headers.insert(CONTENT_TYPE, HeaderValue::from_static(value));
            assert!(is_problem(&headers), "{value}");
        }
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        assert!(!is_problem(&headers));
    }
}
