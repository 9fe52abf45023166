// Input: the secrets one token request carries (refresh token, client secret, password) and
// the Basic credentials it sends.
// Output: text from the endpoint with every one of them cut out, in every spelling it may
// come back in, for servers that repeat what they were sent in their error messages.
//
// A secret travels encoded: form-urlencoded in a form body, JSON-escaped in a login body,
// base64 in a Basic header. An echo repeats it in that spelling, or decodes it, or encodes it
// again by another hand (lowercase hex, `%20` for a space, `\u00e9` for `é`, `\/`). Listing
// spellings would miss the next encoder's choices, so the form-urlencoded and JSON-escaped
// spellings are recognized by decoding: any text whose percent-decoding (or JSON unescaping)
// is the secret is cut, whichever characters the encoder chose to escape and in which case.
// Base64 is not decoded (a run of base64 has no start or end to decode from); the credentials
// are encoded here in the four alphabet and padding variants, and cut as they are.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use zeroize::Zeroizing;

/// What a secret is replaced with.
pub(crate) const MARK: &str = "[redacted]";

/// The secrets of one request, to cut out of whatever the endpoint answers.
#[derive(Default)]
pub(crate) struct Redactions<'a> {
    /// Cut raw, and in any form-urlencoded or JSON-escaped spelling.
    secrets: Vec<&'a str>,
    /// Cut as `secrets` are: secrets made while the request was under way (the new client
    /// assertion of a resend), kept here and zeroed on drop.
    owned: Vec<Zeroizing<String>>,
    /// Cut exactly as they are: base64 of Basic credentials. Zeroed on drop, since they
    /// decode to a secret.
    literals: Vec<Zeroizing<String>>,
}

impl<'a> Redactions<'a> {
    /// Cuts out each of `secrets` (empty ones are ignored: they would match everywhere).
    pub(crate) fn new(secrets: &[&'a str]) -> Self {
        let mut redactions = Self::default();
        for &secret in secrets {
            redactions.add(secret);
        }
        redactions
    }

    /// Cuts out `secret` too.
    pub(crate) fn add(&mut self, secret: &'a str) {
        if !secret.is_empty() {
            self.secrets.push(secret);
        }
    }

    /// Cuts out `secret` too, keeping it: a secret made after the others, which nothing
    /// else holds.
    #[cfg_attr(not(feature = "dpop"), allow(dead_code))]
    pub(crate) fn add_owned(&mut self, secret: Zeroizing<String>) {
        if !secret.is_empty() {
            self.owned.push(secret);
        }
    }

    /// Cuts out the base64 of `credentials`, a Basic `id:secret` pair, in the standard and
    /// URL-safe alphabets, with and without padding.
    pub(crate) fn add_basic_credentials(&mut self, credentials: &[u8]) {
        if credentials.is_empty() {
            return;
        }
        let capacity = credentials.len().div_ceil(3) * 4;
        for engine in [STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD] {
            // Sized up front: a reallocation would leave an unzeroed copy behind.
            let mut encoded = Zeroizing::new(String::with_capacity(capacity));
            engine.encode_string(credentials, &mut encoded);
            self.literals.push(encoded);
        }
    }

    /// `text` with every secret replaced by `[redacted]`, cut after about `max_chars`
    /// characters, and whether it was cut. A secret straddling the cut is cut whole: the scan
    /// matches against the whole text, and only the output is bounded, which also bounds the
    /// work, whatever the length of `text`.
    pub(crate) fn redact(&self, text: &str, max_chars: usize) -> (String, bool) {
        let mut out = String::new();
        let mut chars = 0;
        let mut at = 0;
        while at < text.len() && chars < max_chars {
            if let Some(len) = self.match_at(&text.as_bytes()[at..]) {
                out.push_str(MARK);
                chars += MARK.len();
                at = next_boundary(text, at + len);
            } else if let Some(c) = text[at..].chars().next() {
                out.push(c);
                chars += 1;
                at += c.len_utf8();
            }
        }
        (out, at < text.len())
    }

    /// Whether `text` holds a secret anywhere.
    pub(crate) fn found_in(&self, text: &str) -> bool {
        text.char_indices()
            .any(|(at, _)| self.match_at(&text.as_bytes()[at..]).is_some())
    }

    /// The length of the longest secret, in any spelling, that `text` starts with.
    fn match_at(&self, text: &[u8]) -> Option<usize> {
        let owned = self.owned.iter().map(|secret| secret.as_str());
        let spelled = self
            .secrets
            .iter()
            .copied()
            .chain(owned)
            .flat_map(|secret| {
                let secret = secret.as_bytes();
                [
                    text.starts_with(secret).then_some(secret.len()),
                    form_decoded_match(text, secret),
                    json_unescaped_match(text, secret),
                ]
            });
        let literal = self.literals.iter().map(|literal| {
            text.starts_with(literal.as_bytes())
                .then_some(literal.len())
        });
        spelled.chain(literal).flatten().max()
    }
}

/// The first character boundary of `text` at or after `at`.
fn next_boundary(text: &str, mut at: usize) -> usize {
    while !text.is_char_boundary(at) {
        at += 1;
    }
    at
}

/// How much of `text` percent-decodes to `secret`: `%XX` in either case is the byte `XX`,
/// `+` is a space (or itself: not every encoder escapes it), anything else is itself.
fn form_decoded_match(text: &[u8], secret: &[u8]) -> Option<usize> {
    let mut used = 0;
    for &wanted in secret {
        let &byte = text.get(used)?;
        let escaped = (byte == b'%')
            .then(|| Some((hex(*text.get(used + 1)?)? << 4) | hex(*text.get(used + 2)?)?))
            .flatten();
        match escaped {
            Some(decoded) if decoded == wanted => used += 3,
            None if byte == wanted || (byte == b'+' && wanted == b' ') => used += 1,
            _ => return None,
        }
    }
    Some(used)
}

/// How much of `text` JSON-unescapes to `secret`: `\"`, `\\`, `\/`, `\b`, `\f`, `\n`, `\r`,
/// `\t`, `\uXXXX` in either case (surrogate pairs too), and anything else as itself.
fn json_unescaped_match(text: &[u8], secret: &[u8]) -> Option<usize> {
    let (mut used, mut matched) = (0, 0);
    while matched < secret.len() {
        let (decoded, len) = json_char(&text[used..])?;
        let decoded = decoded.as_bytes();
        if !secret[matched..].starts_with(decoded) {
            return None;
        }
        used += len;
        matched += decoded.len();
    }
    Some(used)
}

/// The bytes of one unescaped character (or one raw byte), and how many bytes of `text` it
/// took.
fn json_char(text: &[u8]) -> Option<(Decoded, usize)> {
    let &first = text.first()?;
    if first != b'\\' {
        return Some((Decoded::byte(first), 1));
    }
    let simple = match text.get(1) {
        Some(b'"') => Some(b'"'),
        Some(b'\\') => Some(b'\\'),
        Some(b'/') => Some(b'/'),
        Some(b'b') => Some(0x08),
        Some(b'f') => Some(0x0C),
        Some(b'n') => Some(b'\n'),
        Some(b'r') => Some(b'\r'),
        Some(b't') => Some(b'\t'),
        _ => None,
    };
    if let Some(byte) = simple {
        return Some((Decoded::byte(byte), 2));
    }
    let Some(unit) = utf16_escape(text) else {
        return Some((Decoded::byte(first), 1)); // not an escape: a backslash
    };
    let (c, len) = if (0xD800..0xDC00).contains(&unit) {
        let low = utf16_escape(text.get(6..)?).filter(|low| (0xDC00..0xE000).contains(low))?;
        let c = 0x10000 + ((u32::from(unit) - 0xD800) << 10) + (u32::from(low) - 0xDC00);
        (char::from_u32(c)?, 12)
    } else {
        (char::from_u32(u32::from(unit))?, 6)
    };
    Some((Decoded::char(c), len))
}

/// The code unit of a `\uXXXX` at the start of `text`.
fn utf16_escape(text: &[u8]) -> Option<u16> {
    let [b'\\', b'u', a, b, c, d, ..] = *text else {
        return None;
    };
    let digits = [a, b, c, d].map(hex);
    digits
        .into_iter()
        .try_fold(0u16, |unit, digit| Some((unit << 4) | u16::from(digit?)))
}

fn hex(byte: u8) -> Option<u8> {
    match byte {
        b'0'..=b'9' => Some(byte - b'0'),
        b'a'..=b'f' => Some(byte - b'a' + 10),
        b'A'..=b'F' => Some(byte - b'A' + 10),
        _ => None,
    }
}

/// Up to four bytes: one UTF-8 character, or one byte of raw text.
struct Decoded {
    bytes: [u8; 4],
    len: usize,
}

impl Decoded {
    fn byte(byte: u8) -> Self {
        Self {
            bytes: [byte, 0, 0, 0],
            len: 1,
        }
    }

    fn char(c: char) -> Self {
        let mut bytes = [0; 4];
        let len = c.encode_utf8(&mut bytes).len();
        Self { bytes, len }
    }

    fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

#[cfg(test)]
mod tests {
    use super::super::request_body::RequestBody;
    use super::*;

    const CLIENT_SECRET: &str = "q7/Zx+Lm9w==";
    const REFRESH_TOKEN: &str = "1//0gAb+c=";
    const PASSWORD: &str = "pass\"word\\ é 42";

    fn redactions() -> Redactions<'static> {
        Redactions::new(&[CLIENT_SECRET, REFRESH_TOKEN, PASSWORD, ""])
    }

    fn redacted(text: &str) -> String {
        redactions().redact(text, 1000).0
    }

    /// `text` around a secret spelled as `spelled` loses exactly that spelling.
    fn assert_cut(spelled: &str) {
        let text = format!("before {spelled} after");
        assert_eq!(redacted(&text), "before [redacted] after", "{spelled:?}");
        assert!(redactions().found_in(&text), "{spelled:?}");
    }

    fn form_body(value: &str) -> String {
        let body = RequestBody::form(&[("v", value)]);
        String::from_utf8(body.bytes.to_vec())
            .unwrap()
            .strip_prefix("v=")
            .unwrap()
            .to_owned()
    }

    fn json_body(value: &str) -> String {
        let body = RequestBody::json(&[("v", value)]);
        let text = String::from_utf8(body.bytes.to_vec()).unwrap();
        text.strip_prefix(r#"{"v":""#)
            .unwrap()
            .strip_suffix(r#""}"#)
            .unwrap()
            .to_owned()
    }

    #[test]
    fn a_secret_added_later_is_cut_in_every_spelling_like_the_others() {
        let mut redactions = Redactions::default();
        redactions.add_owned(Zeroizing::new(PASSWORD.to_owned()));
        redactions.add_owned(Zeroizing::new(String::new()));
        for spelled in [
            PASSWORD.to_owned(),
            form_body(PASSWORD),
            json_body(PASSWORD),
        ] {
            let text = format!("before {spelled} after");
            assert_eq!(
                redactions.redact(&text, 1000).0,
                "before [redacted] after",
                "{spelled:?}"
            );
        }
        assert!(!redactions.found_in("an empty secret matches nothing"));
    }

    #[test]
    fn raw() {
        for secret in [CLIENT_SECRET, REFRESH_TOKEN, PASSWORD] {
            assert_cut(secret);
        }
    }

    #[test]
    fn form_urlencoded_as_sent() {
        assert_eq!(form_body(CLIENT_SECRET), "q7%2FZx%2BLm9w%3D%3D");
        assert_eq!(form_body(REFRESH_TOKEN), "1%2F%2F0gAb%2Bc%3D");
        for secret in [CLIENT_SECRET, REFRESH_TOKEN, PASSWORD] {
            assert_cut(&form_body(secret));
        }
    }

    #[test]
    fn form_urlencoded_in_lowercase_with_percent_20_or_escaping_more() {
        assert_cut("q7%2fZx%2bLm9w%3d%3d");
        assert_cut("1%2f%2F0gAb%2bc%3D");
        assert_cut("pass%22word%5C%20%C3%A9%2042");
        assert_cut("pass%22word%5c+%c3%a9+42");
        // Every byte escaped, letters too; and `+` left raw by an encoder that does not
        // escape it.
        assert_cut("%71%37%2F%5A%78%2B%4C%6D%39%77%3D%3D");
        assert_cut("1%2F%2F0gAb+c%3D");
    }

    #[test]
    fn json_escaped_as_sent() {
        assert_eq!(json_body(PASSWORD), r#"pass\"word\\ é 42"#);
        assert_cut(&json_body(PASSWORD));
        assert_cut(&json_body(REFRESH_TOKEN));
    }

    #[test]
    fn json_escaped_by_other_encoders() {
        let serde = serde_json::to_string(PASSWORD).unwrap();
        assert_cut(&serde[1..serde.len() - 1]);
        assert_cut(r#"pass\"word\\ \u00e9 42"#);
        assert_cut(r"pass\u0022word\u005C \u00E9 42");
        assert_cut(r"1\/\/0gAb+c=");
        let emoji = "k\u{1F511}\n";
        let only = Redactions::new(&[emoji]);
        for spelled in [r"k\ud83d\udd11\n", r"k\uD83D\uDD11\u000a", "k\u{1F511}\\n"] {
            assert_eq!(only.redact(spelled, 100).0, MARK, "{spelled:?}");
        }
        // A lone surrogate or a broken escape is no spelling of it.
        assert_eq!(only.redact(r"k\ud83d\n", 100).0, r"k\ud83d\n");
    }

    #[test]
    fn base64_of_the_basic_credentials_in_each_alphabet_and_padding() {
        let pair = "my+app:q7%2FZx%2BLm9w%3D%3D";
        let mut redactions = Redactions::new(&[CLIENT_SECRET]);
        redactions.add_basic_credentials(pair.as_bytes());
        redactions.add_basic_credentials(b"");
        for engine in [STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD] {
            let encoded = engine.encode(pair);
            let text = format!("Authorization: Basic {encoded}.");
            assert_eq!(
                redactions.redact(&text, 1000).0,
                "Authorization: Basic [redacted].",
                "{encoded}"
            );
        }
        // Decoded, the pair still holds the urlencoded secret.
        assert_eq!(redactions.redact(pair, 1000).0, "my+app:[redacted]");
    }

    #[test]
    fn the_longest_spelling_wins_and_text_around_it_stays() {
        assert_eq!(
            redacted("a 1%2F%2F0gAb%2Bc%3D&b=q7/Zx+Lm9w==, é"),
            "a [redacted]&b=[redacted], é"
        );
        assert_eq!(
            redacted("nothing secret: %zz \\q \\u12"),
            "nothing secret: %zz \\q \\u12"
        );
    }

    #[test]
    fn a_secret_across_the_cut_is_cut_whole() {
        let text = format!("{}{CLIENT_SECRET} tail", "x".repeat(8));
        let (out, cut) = redactions().redact(&text, 10);
        assert_eq!(out, "xxxxxxxx[redacted]");
        assert!(cut);
        let (out, cut) = redactions().redact("short", 10);
        assert_eq!((out.as_str(), cut), ("short", false));
    }

    #[test]
    fn a_long_text_is_cut_at_the_limit() {
        // A megabyte of near-misses: the scan stops with the output.
        let text = "q7/Zx+Lm9w=".repeat(100_000);
        let (out, cut) = redactions().redact(&text, 200);
        assert!(cut);
        assert_eq!(out.chars().count(), 200);
    }

    #[test]
    fn garbage_never_panics() {
        let mut rng = fastrand::Rng::with_seed(11);
        let alphabet: Vec<char> = "%+\\u\"/=2FfdD8é0aA 🔑".chars().collect();
        for _ in 0..20_000 {
            let text: String = (0..rng.usize(0..40))
                .map(|_| alphabet[rng.usize(..alphabet.len())])
                .collect();
            let secret: String = (0..rng.usize(1..6))
                .map(|_| alphabet[rng.usize(..alphabet.len())])
                .collect();
            let redactions = Redactions::new(&[&secret]);
            let (out, _) = redactions.redact(&text, 20);
            let _ = redactions.found_in(&text);
            assert!(
                !out.contains(&secret) || out.contains(MARK),
                "{text:?} {secret:?}"
            );
        }
    }
}
