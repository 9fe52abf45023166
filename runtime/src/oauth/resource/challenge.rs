// Input: the `WWW-Authenticate` values of an answer, as servers send them (well-formed or
// not).
// Output: the challenges they hold, each with its scheme and parameters, and the OAuth
// meaning of those parameters (error, scopes, where the resource's metadata is).

use std::collections::HashSet;
use std::fmt;

use http::HeaderMap;
use http::header::WWW_AUTHENTICATE;
use reqwest::Url;

/// One authentication challenge from a `WWW-Authenticate` header: a scheme and either its
/// parameters or a `token68`.
///
/// Read them with [`parse_all`](Self::parse_all) (every challenge of every
/// `WWW-Authenticate` header of an answer), [`bearer`](Self::bearer) (the `Bearer` one) or
/// [`parse`](Self::parse) (one header value).
///
/// # What is accepted
///
/// Parsing is best-effort and never fails: a challenge that cannot be read (a parameter
/// without `=`, a scheme that is not a token, a quoted string that never ends) is skipped,
/// with the parameters after it up to the next challenge, and the challenges around it are
/// kept. Beyond the grammar of RFC 9110 section 11.6.1, it accepts what servers send:
/// several challenges in one header, several headers, empty list elements, spaces around
/// `=` and `,`, parameters in any order, parameters separated by spaces without a comma,
/// and unquoted values that are not tokens (a URL, a base64 value). Scheme and parameter
/// names compare case-insensitively; quoted values are unquoted, with `\"` and `\\`
/// resolved. When a parameter is repeated, the first one counts. Bytes that are not UTF-8
/// are read as U+FFFD.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    scheme: String,
    token68: Option<String>,
    params: Vec<(String, String)>,
}

impl Challenge {
    /// Every challenge of every `WWW-Authenticate` header in `headers`, in the order sent.
    pub fn parse_all(headers: &HeaderMap) -> Vec<Challenge> {
        headers
            .get_all(WWW_AUTHENTICATE)
            .iter()
            .flat_map(|value| Challenge::parse(&String::from_utf8_lossy(value.as_bytes())))
            .collect()
    }

    /// The first challenge with the scheme `Bearer` (in any case) in `headers`, if any.
    ///
    /// A server that binds tokens to a key answers with a `DPoP` challenge instead: find it
    /// with [`with_scheme`](Self::with_scheme).
    #[must_use]
    pub fn bearer(headers: &HeaderMap) -> Option<Challenge> {
        Challenge::with_scheme(headers, "Bearer")
    }

    /// The first challenge with the scheme `scheme` (compared case-insensitively) in
    /// `headers`, if any.
    #[must_use]
    pub fn with_scheme(headers: &HeaderMap, scheme: &str) -> Option<Challenge> {
        Challenge::parse_all(headers)
            .into_iter()
            .find(|challenge| challenge.is_scheme(scheme))
    }

    /// The scopes a 403's `Bearer` or `DPoP` challenge asks for with `insufficient_scope`
    /// (a server answers a DPoP-bound token's request with the `DPoP` scheme).
    pub(crate) fn scope_refusal(headers: &HeaderMap) -> Option<Vec<String>> {
        Challenge::parse_all(headers)
            .into_iter()
            .filter(|challenge| challenge.is_scheme("Bearer") || challenge.is_scheme("DPoP"))
            .find_map(|challenge| challenge.insufficient_scope())
    }

    /// The challenges in one `WWW-Authenticate` value, in the order sent.
    #[must_use]
    pub fn parse(value: &str) -> Vec<Challenge> {
        Parser::new(value).challenges()
    }

    /// The scheme as the server spelled it (`Bearer`, `DPoP`, `Basic`...).
    #[must_use]
    pub fn scheme(&self) -> &str {
        &self.scheme
    }

    /// Whether the scheme is `scheme`, compared case-insensitively.
    #[must_use]
    pub fn is_scheme(&self, scheme: &str) -> bool {
        self.scheme.eq_ignore_ascii_case(scheme)
    }

    /// The `token68` the challenge carries instead of parameters, if it has one.
    #[must_use]
    pub fn token68(&self) -> Option<&str> {
        self.token68.as_deref()
    }

    /// The value of the parameter `name` (compared case-insensitively), unquoted.
    #[must_use]
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    /// Every parameter as sent: its name and its unquoted value.
    pub fn params(&self) -> impl Iterator<Item = (&str, &str)> {
        self.params
            .iter()
            .map(|(key, value)| (key.as_str(), value.as_str()))
    }

    /// The `realm` parameter.
    #[must_use]
    pub fn realm(&self) -> Option<&str> {
        self.param("realm")
    }

    /// The `error` parameter (RFC 6750 section 3.1, RFC 9449 sections 7.1 and 8), if present.
    pub fn error(&self) -> Option<ChallengeError> {
        self.param("error").map(ChallengeError::from_code)
    }

    /// The `error_description` parameter: for a developer, not for the user.
    #[must_use]
    pub fn error_description(&self) -> Option<&str> {
        self.param("error_description")
    }

    /// The `error_uri` parameter, as sent.
    #[must_use]
    pub fn error_uri(&self) -> Option<&str> {
        self.param("error_uri")
    }

    /// The scopes asked for, when this challenge refuses a token for lack of scope
    /// (`error="insufficient_scope"`); `None` for any other challenge. What
    /// [`Unauthorized::insufficient_scope`](crate::Unauthorized::insufficient_scope) answers
    /// from a 403.
    #[must_use]
    pub fn insufficient_scope(&self) -> Option<Vec<String>> {
        (self.error() == Some(ChallengeError::InsufficientScope))
            .then(|| self.scopes().map(str::to_owned).collect())
    }

    /// The scopes of the `scope` parameter, split on spaces (none if it is absent).
    pub fn scopes(&self) -> impl Iterator<Item = &str> {
        self.param("scope")
            .unwrap_or_default()
            .split_ascii_whitespace()
    }

    /// Where the resource's metadata is (RFC 9728 section 5.1): `Ok(None)` without a
    /// `resource_metadata` parameter, an error when it is not an absolute `http` or `https`
    /// URL with a host.
    ///
    /// # Errors
    ///
    /// [`InvalidResourceMetadata`] when the parameter is there but is a relative URL, not a
    /// URL, a URL of another scheme (`ftp:`, `javascript:`...) or one without a host. Its
    /// message says which, without repeating the value.
    pub fn resource_metadata(&self) -> Result<Option<Url>, InvalidResourceMetadata> {
        let Some(value) = self.param("resource_metadata") else {
            return Ok(None);
        };
        let url = Url::parse(value).map_err(|error| InvalidResourceMetadata {
            reason: match error {
                url::ParseError::RelativeUrlWithoutBase => "it is a relative URL".to_owned(),
                other => format!("it is not a URL ({other})"),
            },
        })?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(InvalidResourceMetadata {
                reason: "its scheme is not http or https".to_owned(),
            });
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(InvalidResourceMetadata {
                reason: "it has no host".to_owned(),
            });
        }
        Ok(Some(url))
    }
}

/// The `error` parameter of a challenge: what went wrong with the request's token.
///
/// New codes may get a case of their own; until then they are [`Other`](Self::Other).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ChallengeError {
    /// `invalid_request`: the request is malformed (a missing or repeated parameter).
    InvalidRequest,
    /// `invalid_token`: the token is expired, revoked or otherwise not accepted; a new one
    /// may be.
    InvalidToken,
    /// `insufficient_scope`: the token lacks scopes; the `scope` parameter may say which.
    InsufficientScope,
    /// `use_dpop_nonce` (RFC 9449 section 8): resend with the nonce of the `DPoP-Nonce`
    /// header.
    UseDpopNonce,
    /// `invalid_dpop_proof` (RFC 9449 section 7.1): the `DPoP` proof was refused.
    InvalidDpopProof,
    /// Any other error code, as sent.
    Other(String),
}

impl ChallengeError {
    /// The error for an `error` code; codes are matched case-insensitively.
    #[must_use]
    pub fn from_code(code: &str) -> ChallengeError {
        const KNOWN: [(&str, ChallengeError); 5] = [
            ("invalid_request", ChallengeError::InvalidRequest),
            ("invalid_token", ChallengeError::InvalidToken),
            ("insufficient_scope", ChallengeError::InsufficientScope),
            ("use_dpop_nonce", ChallengeError::UseDpopNonce),
            ("invalid_dpop_proof", ChallengeError::InvalidDpopProof),
        ];
        KNOWN
            .into_iter()
            .find(|(known, _)| known.eq_ignore_ascii_case(code))
            .map_or_else(
                || ChallengeError::Other(code.to_owned()),
                |(_, error)| error,
            )
    }

    /// The error code, as RFC 6750 and RFC 9449 spell it (or as sent, for `Other`).
    #[must_use]
    pub fn code(&self) -> &str {
        match self {
            ChallengeError::InvalidRequest => "invalid_request",
            ChallengeError::InvalidToken => "invalid_token",
            ChallengeError::InsufficientScope => "insufficient_scope",
            ChallengeError::UseDpopNonce => "use_dpop_nonce",
            ChallengeError::InvalidDpopProof => "invalid_dpop_proof",
            ChallengeError::Other(code) => code,
        }
    }
}

impl fmt::Display for ChallengeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A `resource_metadata` parameter that is not an absolute `http` or `https` URL.
///
/// The message says what is wrong without repeating the value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidResourceMetadata {
    reason: String,
}

impl fmt::Display for InvalidResourceMetadata {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the challenge's resource_metadata is not an absolute http(s) URL: {}; \
             find the resource's metadata another way (its well-known location)",
            self.reason
        )
    }
}

impl std::error::Error for InvalidResourceMetadata {}

/// A cursor over one header value. Every step either consumes at least one byte or ends a
/// loop, so no input makes it spin.
struct Parser<'a> {
    text: &'a str,
    at: usize,
}

impl<'a> Parser<'a> {
    fn new(text: &'a str) -> Parser<'a> {
        Parser { text, at: 0 }
    }

    fn challenges(mut self) -> Vec<Challenge> {
        let mut found = Vec::new();
        loop {
            self.skip_separators();
            if self.peek().is_none() {
                return found;
            }
            match self.challenge() {
                Some(challenge) => found.push(challenge),
                None => self.skip_broken_challenge(),
            }
        }
    }

    /// One challenge from its scheme; `None` if it is broken (the cursor is then somewhere
    /// inside it).
    fn challenge(&mut self) -> Option<Challenge> {
        let scheme = self.token()?;
        let mut challenge = Challenge {
            scheme: scheme.to_owned(),
            token68: None,
            params: Vec::new(),
        };
        let spaced = self.skip_spaces();
        if self.at_element_end() {
            return Some(challenge);
        }
        if !spaced {
            // `name=value` with no scheme before it, or a scheme glued to other characters.
            return None;
        }
        if let Some(token68) = self.token68() {
            challenge.token68 = Some(token68.to_owned());
            return Some(challenge);
        }
        // Names seen so far, lowercased: a header of thousands of parameters stays linear.
        let mut seen = HashSet::new();
        loop {
            let (name, value) = self.param()?;
            if seen.insert(name.to_ascii_lowercase()) {
                challenge.params.push((name, value));
            }
            let spaced = self.skip_spaces();
            if self.peek().is_none() {
                return Some(challenge);
            }
            if self.peek() != Some(b',') {
                // Some servers separate parameters with spaces alone: `name=` after a space
                // is one more parameter; anything else breaks the challenge.
                if spaced && self.param_follows() {
                    continue;
                }
                return None;
            }
            self.skip_separators();
            if !self.param_follows() {
                return Some(challenge);
            }
        }
    }

    /// A `token68` that makes up the whole rest of the element; the cursor stays put if the
    /// element is something else (parameters).
    fn token68(&mut self) -> Option<&'a str> {
        let start = self.at;
        let mut end = start;
        let bytes = self.text.as_bytes();
        while end < bytes.len() && is_token68_char(bytes[end]) {
            end += 1;
        }
        if end == start {
            return None;
        }
        while end < bytes.len() && bytes[end] == b'=' {
            end += 1;
        }
        let mut after = end;
        while after < bytes.len() && is_space(bytes[after]) {
            after += 1;
        }
        if after < bytes.len() && bytes[after] != b',' {
            return None;
        }
        self.at = after;
        Some(&self.text[start..end])
    }

    /// `name = value`, the value quoted or not.
    fn param(&mut self) -> Option<(String, String)> {
        let name = self.token()?.to_owned();
        self.skip_spaces();
        if self.peek() != Some(b'=') {
            return None;
        }
        self.at += 1;
        self.skip_spaces();
        let value = if self.peek() == Some(b'"') {
            self.quoted()?
        } else {
            self.unquoted().to_owned()
        };
        Some((name, value))
    }

    /// Whether the next list element is `name=` (a parameter of the current challenge)
    /// rather than a new challenge's scheme.
    fn param_follows(&self) -> bool {
        let mut probe = Parser {
            text: self.text,
            at: self.at,
        };
        probe.token().is_some() && {
            probe.skip_spaces();
            probe.peek() == Some(b'=')
        }
    }

    fn token(&mut self) -> Option<&'a str> {
        let start = self.at;
        let bytes = self.text.as_bytes();
        while self.at < bytes.len() && is_token_char(bytes[self.at]) {
            self.at += 1;
        }
        (self.at > start).then(|| &self.text[start..self.at])
    }

    /// A value outside quotes: up to the next space, comma or quote. Servers put URLs and
    /// base64 there, which are not tokens; reading them costs nothing.
    fn unquoted(&mut self) -> &'a str {
        let start = self.at;
        let bytes = self.text.as_bytes();
        while self.at < bytes.len() && !matches!(bytes[self.at], b',' | b'"' | b' ' | b'\t') {
            self.at += 1;
        }
        &self.text[start..self.at]
    }

    /// A quoted string from its opening quote, unquoted; `None` if it never ends.
    fn quoted(&mut self) -> Option<String> {
        let bytes = self.text.as_bytes();
        self.at += 1;
        let mut value = Vec::new();
        while let Some(&byte) = bytes.get(self.at) {
            self.at += 1;
            match byte {
                b'"' => return Some(String::from_utf8_lossy(&value).into_owned()),
                b'\\' => {
                    // Only the escaped byte is taken: the rest of a multi-byte character
                    // follows as ordinary text, so the value stays UTF-8.
                    value.push(*bytes.get(self.at)?);
                    self.at += 1;
                }
                other => value.push(other),
            }
        }
        None
    }

    /// Skips the rest of a broken challenge: up to the next comma outside quotes, then any
    /// parameters that follow it, which belonged to the broken challenge.
    fn skip_broken_challenge(&mut self) {
        loop {
            self.skip_to_comma();
            self.skip_separators();
            if !self.param_follows() {
                return;
            }
        }
    }

    fn skip_to_comma(&mut self) {
        let bytes = self.text.as_bytes();
        let mut quoted = false;
        while let Some(&byte) = bytes.get(self.at) {
            match byte {
                b',' if !quoted => return,
                b'"' => quoted = !quoted,
                b'\\' if quoted => self.at += 1,
                _ => {}
            }
            self.at += 1;
        }
        self.at = bytes.len();
    }

    /// Skips spaces and tabs; whether there were any.
    fn skip_spaces(&mut self) -> bool {
        let start = self.at;
        while self.peek().is_some_and(is_space) {
            self.at += 1;
        }
        self.at > start
    }

    /// Skips spaces and the commas of empty list elements.
    fn skip_separators(&mut self) {
        while self
            .peek()
            .is_some_and(|byte| byte == b',' || is_space(byte))
        {
            self.at += 1;
        }
    }

    fn at_element_end(&self) -> bool {
        matches!(self.peek(), None | Some(b','))
    }

    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.at).copied()
    }
}

fn is_space(byte: u8) -> bool {
    byte == b' ' || byte == b'\t'
}

/// `tchar` of RFC 9110 section 5.6.2.
fn is_token_char(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&byte)
}

/// The characters of a `token68` before its trailing `=` (RFC 9110 section 11.2).
fn is_token68_char(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || b"-._~+/".contains(&byte)
}

#[cfg(test)]
#[path = "challenge_tests.rs"]
mod tests;
