// Input: the fields of a token request, some of them secrets (a refresh token, a client
// secret, a password).
// Output: the request body, form-urlencoded or JSON, written into a buffer sized up front (so
// no reallocation leaves a copy behind) and zeroed when the HTTP client drops it.

use bytes::Bytes;
use zeroize::Zeroizing;

/// A request body and its content type (none for an empty body).
#[derive(Clone)]
pub(crate) struct RequestBody {
    pub(crate) content_type: Option<&'static str>,
    pub(crate) bytes: Bytes,
}

impl RequestBody {
    /// `application/x-www-form-urlencoded`, as RFC 6749 token requests are.
    pub(crate) fn form(fields: &[(&str, &str)]) -> Self {
        // Each byte takes at most three (`%XX`), plus `=` and `&` per field.
        let capacity = fields
            .iter()
            .map(|(k, v)| 3 * (k.len() + v.len()) + 2)
            .sum();
        let mut buf = Zeroizing::new(Vec::with_capacity(capacity));
        for (i, (name, value)) in fields.iter().enumerate() {
            if i > 0 {
                buf.push(b'&');
            }
            form_urlencode(&mut buf, name);
            buf.push(b'=');
            form_urlencode(&mut buf, value);
        }
        Self::new("application/x-www-form-urlencoded", buf)
    }

    /// A flat JSON object of strings, as login APIs take.
    pub(crate) fn json(fields: &[(&str, &str)]) -> Self {
        // Each byte takes at most six (`\u00XX`), plus quotes, `:` and `,` per field.
        let capacity = 2 + fields
            .iter()
            .map(|(k, v)| 6 * (k.len() + v.len()) + 6)
            .sum::<usize>();
        let mut buf = Zeroizing::new(Vec::with_capacity(capacity));
        buf.push(b'{');
        for (i, (name, value)) in fields.iter().enumerate() {
            if i > 0 {
                buf.push(b',');
            }
            json_string(&mut buf, name);
            buf.push(b':');
            json_string(&mut buf, value);
        }
        buf.push(b'}');
        Self::new("application/json", buf)
    }

    /// `value` as a JSON body: client metadata, with arrays and objects, and no secret (the
    /// buffer may grow and leave copies behind).
    pub(crate) fn json_value(value: &serde_json::Value) -> Self {
        let mut buf = Zeroizing::new(Vec::with_capacity(1024));
        // Serializing to a `Vec` only fails for maps with non-string keys, which a `Value`
        // cannot have.
        let _ = serde_json::to_writer(&mut *buf, value);
        Self::new("application/json", buf)
    }

    /// No body, as an API takes a refresh token sent in a header.
    pub(crate) fn empty() -> Self {
        Self {
            content_type: None,
            bytes: Bytes::new(),
        }
    }

    fn new(content_type: &'static str, buf: Zeroizing<Vec<u8>>) -> Self {
        Self {
            content_type: Some(content_type),
            // The zeroizing buffer becomes the body's storage: no copy, wiped on drop.
            bytes: Bytes::from_owner(buf),
        }
    }
}

/// The `application/x-www-form-urlencoded` byte serializer of the WHATWG URL standard, which
/// RFC 6749 (appendix B) prescribes for form fields and for Basic credentials.
pub(crate) fn form_urlencode(out: &mut Vec<u8>, value: &str) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for &byte in value.as_bytes() {
        match byte {
            b'*' | b'-' | b'.' | b'_' | b'0'..=b'9' | b'A'..=b'Z' | b'a'..=b'z' => out.push(byte),
            b' ' => out.push(b'+'),
            _ => out.extend_from_slice(&[
                b'%',
                HEX[usize::from(byte >> 4)],
                HEX[usize::from(byte & 0xF)],
            ]),
        }
    }
}

/// A JSON string literal. Written by hand so that no intermediate `String` or `Value` holds a
/// copy of the secret.
fn json_string(out: &mut Vec<u8>, value: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push(b'"');
    for &byte in value.as_bytes() {
        match byte {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            0x00..=0x1F => out.extend_from_slice(&[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[usize::from(byte >> 4)],
                HEX[usize::from(byte & 0xF)],
            ]),
            _ => out.push(byte),
        }
    }
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(body: &RequestBody) -> &str {
        std::str::from_utf8(&body.bytes).unwrap()
    }

    #[test]
    fn form_fields_are_urlencoded() {
        let body = RequestBody::form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", "a b+c/d=e&f~é"),
            ("scope", "read write"),
        ]);
        assert_eq!(body.content_type, Some("application/x-www-form-urlencoded"));
        assert_eq!(
            text(&body),
            "grant_type=refresh_token&refresh_token=a+b%2Bc%2Fd%3De%26f%7E%C3%A9&scope=read+write"
        );
    }

    #[test]
    fn json_fields_are_escaped_and_parse_back() {
        let password = "quote\" back\\slash\nnew\u{1}line é";
        let body = RequestBody::json(&[("user name", "alice"), ("password", password)]);
        assert_eq!(body.content_type, Some("application/json"));
        let parsed: serde_json::Value = serde_json::from_slice(&body.bytes).unwrap();
        assert_eq!(
            parsed,
            serde_json::json!({ "user name": "alice", "password": password })
        );
    }

    #[test]
    fn the_worst_case_fits_the_buffer_sized_up_front() {
        // A reallocation would leave an unzeroed copy of the secret behind.
        let nasty: String = (0u8..0x20).map(char::from).chain("é\"\\".chars()).collect();
        let mut out = Vec::with_capacity(6 * nasty.len() + 2);
        let capacity = out.capacity();
        json_string(&mut out, &nasty);
        assert_eq!(
            out.capacity(),
            capacity,
            "json_string outgrew its worst case"
        );
        let mut out = Vec::with_capacity(3 * nasty.len());
        let capacity = out.capacity();
        form_urlencode(&mut out, &nasty);
        assert_eq!(
            out.capacity(),
            capacity,
            "form_urlencode outgrew its worst case"
        );
    }
}
