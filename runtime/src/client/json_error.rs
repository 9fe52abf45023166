// Input: serde_json's error for a body that did not decode.
// Output: its message without the body's text. serde quotes the input in some messages
// (`invalid type: string "<value>"`, `unknown variant `<value>``), and a body can hold a
// secret: the token, when the server echoed it. What stays is serde_json's own wording, the
// kind of value found, what the type expected, and the line and column.

use serde_json::error::Category;

/// The reason of an [`Error::Decode`](super::Error::Decode) for `error`, without the body's
/// text.
pub(super) fn reason(error: &serde_json::Error) -> String {
    let text = error.to_string();
    let at = if error.line() == 0 {
        String::new()
    } else {
        format!(" at line {} column {}", error.line(), error.column())
    };
    let message = text.strip_suffix(at.as_str()).unwrap_or(&text);
    let shown = match error.classify() {
        // serde_json's fixed words (`expected value`, `trailing characters`), or the I/O
        // error of a reader: never the input.
        Category::Syntax | Category::Eof | Category::Io => message.to_owned(),
        Category::Data => data_message(message),
    };
    format!("invalid JSON: {shown}{at}")
}

/// A data error's message with any value taken from the input left out.
fn data_message(message: &str) -> String {
    for prefix in ["invalid type: ", "invalid value: "] {
        if let Some(rest) = message.strip_prefix(prefix)
            && let Some((unexpected, expected)) = rest.rsplit_once(", expected ")
        {
            // `string "<value>"`, `integer `5``, `map`: the kind, without the value.
            let kind = unexpected.split(['"', '`']).next().unwrap_or_default();
            return format!("{prefix}{}, expected {expected}", kind.trim());
        }
    }
    for (prefix, what) in [
        ("unknown variant `", "unknown variant"),
        ("unknown field `", "unknown field"),
    ] {
        if let Some(rest) = message.strip_prefix(prefix) {
            // The name is the input's, unescaped: the list of what the type knows follows the
            // last separator, whatever the name holds.
            let tail = ["`, expected ", "`, there are no "]
                .iter()
                .filter_map(|separator| rest.rfind(separator))
                .max()
                .map_or("", |at| &rest[at + 1..]);
            return format!("{what} (not shown){tail}");
        }
    }
    // Names the type gave, and numbers.
    if ["missing field `", "duplicate field `", "invalid length "]
        .iter()
        .any(|prefix| message.starts_with(prefix))
    {
        return message.to_owned();
    }
    // A `Deserialize` impl's own message may quote the value it rejected.
    "a value does not fit its type (the deserializer's message is not shown: it may quote the body)"
        .to_owned()
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::reason;

    const SECRET: &str = "tok-SECRET-1";

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Task {
        id: u64,
        state: Option<State>,
    }

    #[derive(Debug, Deserialize)]
    enum State {
        Open,
    }

    fn reason_for(body: &str) -> String {
        let error = serde_json::from_str::<Task>(body).expect_err("the body does not fit");
        reason(&error)
    }

    #[test]
    fn values_from_the_body_are_left_out() {
        for (body, expected) in [
            (
                format!(r#"{{"id": "{SECRET}"}}"#),
                "invalid JSON: invalid type: string, expected u64 at line 1 column 21",
            ),
            (
                format!(r#"{{"id": 1, "state": "{SECRET}, expected `x"}}"#),
                "invalid JSON: unknown variant (not shown), expected `Open` at line 1 column 46",
            ),
            (
                format!(r#"{{"id": 1, "{SECRET}": 2}}"#),
                "invalid JSON: unknown field (not shown), expected `id` or `state` at line 1 column 24",
            ),
            (
                format!(r#"{{"id": Bearer {SECRET}}}"#),
                "invalid JSON: expected value at line 1 column 8",
            ),
        ] {
            assert_eq!(reason_for(&body), expected, "{body}");
        }
    }

    #[test]
    fn names_from_the_type_stay() {
        assert_eq!(
            reason_for("{}"),
            "invalid JSON: missing field `id` at line 1 column 2"
        );
        assert_eq!(
            reason_for(r#"{"id": 1, "id": 2}"#),
            "invalid JSON: duplicate field `id` at line 1 column 14"
        );
    }

    #[test]
    fn a_custom_message_is_not_shown() {
        let error = serde_json::from_str::<std::net::Ipv4Addr>(&format!("\"{SECRET}\""))
            .expect_err("not an address");
        let shown = reason(&error);
        assert!(!shown.contains(SECRET), "{shown}");
        assert!(shown.contains("not shown"), "{shown}");
    }
}
