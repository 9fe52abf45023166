// Input: the URL of a token or login endpoint, as the user configured it.
// Output: the URL to send requests to, and a name for messages that keeps the scheme, host,
// port and path but never the query string or user info (either may carry a credential).

use std::fmt;

use reqwest::Url;

/// Where a source sends its requests, with the name its errors use.
#[derive(Clone)]
pub(crate) struct Endpoint {
    url: Url,
    name: String,
}

impl Endpoint {
    pub(crate) fn new(url: Url) -> Self {
        let name = name_of(&url);
        Self { url, name }
    }

    /// The URL requests go to, query string included.
    pub(crate) fn url(&self) -> &Url {
        &self.url
    }

    /// `scheme://host:port/path`, safe to print.
    pub(crate) fn name(&self) -> &str {
        &self.name
    }
}

// The URL itself may hold a key in its query string, so even `Debug` shows only the name.
impl fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}

fn name_of(url: &Url) -> String {
    let host = url.host_str().unwrap_or("");
    match url.port_or_known_default() {
        Some(port) => format!("{}://{host}:{port}{}", url.scheme(), url.path()),
        None => format!("{}://{host}{}", url.scheme(), url.path()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(url: &str) -> String {
        Endpoint::new(Url::parse(url).unwrap()).name().to_owned()
    }

    #[test]
    fn the_name_keeps_scheme_host_port_and_path_only() {
        assert_eq!(
            name("https://user:pw@auth.example/oauth/token?api_key=k#frag"),
            "https://auth.example:443/oauth/token"
        );
        assert_eq!(
            name("http://127.0.0.1:8080/token"),
            "http://127.0.0.1:8080/token"
        );
        assert_eq!(name("http://[::1]:9/t"), "http://[::1]:9/t");
    }

    #[test]
    fn debug_shows_the_name_not_the_query() {
        let endpoint = Endpoint::new(Url::parse("https://a.example/t?key=SECRET").unwrap());
        assert_eq!(format!("{endpoint:?}"), "https://a.example:443/t");
    }
}
