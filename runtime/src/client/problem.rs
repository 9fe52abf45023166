// Input: the body of an `application/problem+json` answer.
// Output: its members by name, the ones RFC 9457 defines typed and the rest as JSON, so that
// an error can say what the server said without a type of the user's own.

use std::fmt;

use serde::{Deserialize, Serialize};

/// An RFC 9457 problem document: what an API answering `application/problem+json` says
/// went wrong.
///
/// A generated client decodes the body of a non-2xx answer of that content type into it
/// without any option; [`Error::error_body`](super::Error::error_body) gives it back:
///
/// ```
/// use freshtoken::client::{Error, Problem};
///
/// fn explain(error: &Error) -> String {
///     match error.error_body::<Problem>() {
///         Some(problem) => format!("the API says: {problem}"),
///         None => error.to_string(),
///     }
/// }
/// # let _ = explain;
/// ```
///
/// Every member is optional, as the RFC has it; members of the API's own (`balance`,
/// `errors`) are in [`extensions`](Problem::extensions).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Problem {
    /// A URI naming the kind of problem (`https://example.com/probs/out-of-credit`);
    /// `about:blank` when the status says it all.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub type_: Option<String>,
    /// A short summary of the kind of problem, the same for every occurrence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// The HTTP status the server gave it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// What went wrong this time, for a person.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// A URI naming this occurrence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
    /// The members the RFC does not define, by name.
    #[serde(flatten)]
    pub extensions: serde_json::Map<String, serde_json::Value>,
}

/// `title: detail`, or whichever of the two the server sent; else the type, else the status.
impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.title, &self.detail) {
            (Some(title), Some(detail)) => write!(f, "{title}: {detail}"),
            (Some(text), None) | (None, Some(text)) => f.write_str(text),
            (None, None) => match (&self.type_, self.status) {
                (Some(type_), _) => write!(f, "a problem of type {type_}"),
                (None, Some(status)) => write!(f, "a problem with status {status}"),
                (None, None) => f.write_str("a problem without a title or detail"),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Problem;

    #[test]
    fn the_rfc_s_members_are_typed_and_the_others_kept_as_extensions() {
        let problem: Problem = serde_json::from_str(
            r#"{"type":"about:blank","status":403,"detail":"no","balance":30,"accounts":["/a"]}"#,
        )
        .expect("a problem");
        assert_eq!(problem.type_.as_deref(), Some("about:blank"));
        assert_eq!(problem.status, Some(403));
        assert_eq!(problem.title, None);
        assert_eq!(problem.extensions.len(), 2);
        assert_eq!(problem.extensions["accounts"][0], "/a");
        assert_eq!(problem.to_string(), "no");
    }

    #[test]
    fn a_problem_without_title_or_detail_names_its_type_or_status() {
        let typed: Problem = serde_json::from_str(r#"{"type":"urn:x"}"#).expect("a problem");
        assert_eq!(typed.to_string(), "a problem of type urn:x");
        let bare: Problem = serde_json::from_str(r#"{"status":500}"#).expect("a problem");
        assert_eq!(bare.to_string(), "a problem with status 500");
    }
}
