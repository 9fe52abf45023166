// Input: the URL(s) a bearer layer is for, as its user wrote them; then the URL of each
// request passing through.
// Output: whether that request goes to one of those origins (scheme, host and port, compared
// as the `url` crate normalises them: case, IDNA, IP forms, default ports), or a clear error
// for a URL that names no origin.

use std::fmt;

use url::Url;

/// A URL given as the origin of a bearer layer could not be used: not an absolute `http(s)`
/// URL, or one with credentials, a query or a fragment.
///
/// ```
/// # #[cfg(feature = "reqwest-middleware")] {
/// use freshtoken::middleware::BearerAuth;
/// use freshtoken::{Token, TokenCache, source_fn};
///
/// let cache = TokenCache::new(source_fn(|_previous| async { Token::builder("t").build() }));
/// let error = BearerAuth::new(cache, "api.example.com").unwrap_err();
/// assert!(error.to_string().starts_with("invalid origin `api.example.com`"));
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OriginError {
    origin: String,
    reason: String,
}

impl OriginError {
    fn new(origin: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            origin: origin.into(),
            reason: reason.into(),
        }
    }

    /// The URL as given (without credentials, a query or a fragment it had).
    #[must_use]
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// What is wrong with it and what to write instead.
    #[must_use]
    pub fn reason(&self) -> &str {
        &self.reason
    }
}

impl fmt::Display for OriginError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid origin `{}`: {}", self.origin, self.reason)
    }
}

impl std::error::Error for OriginError {}

/// One origin, as `url` normalises it: lowercase scheme, host as serialised (punycode,
/// canonical IP), port with the scheme's default filled in.
#[derive(Clone, PartialEq, Eq)]
struct Origin {
    scheme: String,
    host: String,
    port: u16,
}

impl Origin {
    fn of(url: &Url) -> Option<Self> {
        Some(Self {
            scheme: url.scheme().to_owned(),
            host: url.host_str()?.to_owned(),
            port: url.port_or_known_default()?,
        })
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://{}:{}", self.scheme, self.host, self.port)
    }
}

/// The origins a bearer layer sends its token to, and whose 401s it acts on.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Origins {
    list: Vec<Origin>,
}

impl Origins {
    /// The origin of `url`, an absolute `http(s)` URL (a path is allowed and ignored, so a
    /// base URL will do).
    pub(crate) fn parse(url: &str) -> Result<Self, OriginError> {
        Ok(Self {
            list: vec![parse_origin(url)?],
        })
    }

    /// The first origin, `scheme://host:port`: where a request without an authority goes.
    #[cfg(feature = "tower")]
    pub(crate) fn first(&self) -> String {
        self.list
            .first()
            .map(ToString::to_string)
            .unwrap_or_default()
    }

    /// These origins and that of `url`.
    pub(crate) fn and(mut self, url: &str) -> Result<Self, OriginError> {
        let origin = parse_origin(url)?;
        if !self.list.contains(&origin) {
            self.list.push(origin);
        }
        Ok(self)
    }

    /// Whether `url` is at one of these origins.
    #[cfg(feature = "reqwest-middleware")]
    pub(crate) fn contains_url(&self, url: &Url) -> bool {
        let (Some(host), Some(port)) = (url.host_str(), url.port_or_known_default()) else {
            return false;
        };
        self.list.iter().any(|origin| {
            origin.scheme == url.scheme() && origin.host == host && origin.port == port
        })
    }

    /// Whether `uri`, which has an authority, is at one of these origins. Most requests
    /// match as they are; the others are parsed by `url` before they are judged, so that
    /// `HTTP://API.Example.com:443` matches `https://api.example.com`.
    #[cfg(feature = "tower")]
    pub(crate) fn contains_uri(&self, uri: &http::Uri) -> bool {
        let (Some(scheme), Some(authority)) = (uri.scheme_str(), uri.authority()) else {
            return false;
        };
        let port = authority.port_u16().or(match scheme {
            "http" => Some(80),
            "https" => Some(443),
            _ => None,
        });
        let host = authority.host();
        let exact = self.list.iter().any(|origin| {
            origin.scheme == scheme && origin.host == host && Some(origin.port) == port
        });
        exact
            || Url::parse(&format!("{scheme}://{authority}/"))
                .is_ok_and(|url| self.contains_url_parsed(&url))
    }

    #[cfg(feature = "tower")]
    fn contains_url_parsed(&self, url: &Url) -> bool {
        Origin::of(url).is_some_and(|origin| self.list.contains(&origin))
    }
}

impl fmt::Debug for Origins {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.list.iter().map(ToString::to_string))
            .finish()
    }
}

fn parse_origin(text: &str) -> Result<Origin, OriginError> {
    let url = Url::parse(text).map_err(|error| {
        // The text may hold credentials (`https://user:secret@...`) that failed to parse.
        let shown = if text.contains('@') {
            "<not shown: it contains `@`>"
        } else {
            text
        };
        OriginError::new(
            shown,
            format!("{error}; write an absolute URL such as `https://api.example.com`"),
        )
    })?;
    let mut shown = url.clone();
    let _ = shown.set_username("");
    let _ = shown.set_password(None);
    shown.set_query(None);
    shown.set_fragment(None);
    if !matches!(url.scheme(), "http" | "https") {
        return Err(OriginError::new(
            shown.as_str(),
            "the scheme must be `http` or `https`",
        ));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(OriginError::new(
            shown.as_str(),
            "an origin has no credentials: remove `user:password@`",
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(OriginError::new(
            shown.as_str(),
            "only the scheme, host and port count: remove the query and fragment",
        ));
    }
    Origin::of(&url).ok_or_else(|| OriginError::new(shown.as_str(), "the URL has no host"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origins(url: &str) -> Origins {
        Origins::parse(url).expect("a valid origin")
    }

    #[cfg(feature = "reqwest-middleware")]
    fn has(origins: &Origins, url: &str) -> bool {
        origins.contains_url(&Url::parse(url).expect("a valid URL"))
    }

    #[cfg(feature = "reqwest-middleware")]
    #[test]
    fn an_origin_matches_after_normalisation_whatever_the_path() {
        let api = origins("HTTPS://API.Example.com:443/v1/");
        assert!(has(&api, "https://api.example.com/tasks?page=2"));
        assert!(has(&api, "https://api.example.com:443"));
        let local = origins("http://127.0.0.1/");
        assert!(has(&local, "http://127.0.0.1:80/x"));
        let ipv6 = origins("http://[0:0:0:0:0:0:0:1]:8080");
        assert!(has(&ipv6, "http://[::1]:8080/"));
    }

    #[cfg(feature = "reqwest-middleware")]
    #[test]
    fn another_scheme_host_or_port_is_another_origin() {
        let api = origins("https://api.example.com");
        for other in [
            "http://api.example.com/",
            "https://api.example.com:8443/",
            "https://uploads.example.com/",
            "https://api.example.com.evil.test/",
            "https://evil.test/api.example.com",
        ] {
            assert!(!has(&api, other), "{other}");
        }
        let both = api.and("https://uploads.example.com").expect("valid");
        assert!(has(&both, "https://uploads.example.com/files"));
        assert!(has(&both, "https://api.example.com/files"));
    }

    #[cfg(feature = "tower")]
    #[test]
    fn a_request_uri_matches_exactly_or_after_normalisation() {
        let api = origins("https://api.example.com");
        let has = |uri: &str| api.contains_uri(&uri.parse().expect("a valid URI"));
        assert!(has("https://api.example.com/tasks"));
        assert!(has("https://API.example.COM:443/tasks"));
        assert!(has("https://user@api.example.com/tasks"));
        assert!(!has("http://api.example.com/tasks"));
        assert!(!has("https://api.example.com:444/tasks"));
        assert!(!has("https://other.example.com/tasks"));
        assert!(!has("/tasks"), "no authority: the caller decides");
    }

    #[test]
    fn a_url_that_names_no_origin_is_an_error_saying_what_to_write() {
        for (input, shown, says) in [
            ("api.example.com", "api.example.com", "absolute URL"),
            (
                "ftp://files.example.com",
                "ftp://files.example.com/",
                "`http` or `https`",
            ),
            (
                "https://api.example.com/?key=K-SECRET#top",
                "https://api.example.com/",
                "remove the query",
            ),
        ] {
            let error = Origins::parse(input).expect_err(input);
            assert_eq!(error.origin(), shown);
            let text = error.to_string();
            assert!(text.contains(says), "{text}");
        }
    }

    #[test]
    fn credentials_in_an_origin_are_refused_and_never_shown() {
        for input in [
            "https://me:PW-SECRET@api.example.com",
            "https://me:PW-SECRET@[bad/",
        ] {
            let error = Origins::parse(input).expect_err(input);
            assert!(!error.to_string().contains("PW-SECRET"), "{error}");
        }
    }
}
