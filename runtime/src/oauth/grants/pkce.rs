// Input: the client's authorization and token endpoints, and a way to show the user a URL.
// Output: the first token of a native app or CLI by the authorization code flow with PKCE
// (RFC 7636) and a loopback redirect (RFC 8252): a one-shot listener on 127.0.0.1, the
// `state` checked, the code exchanged with its verifier; later tokens from the refresh token.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::Url;
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use zeroize::Zeroizing;

use super::builder_methods::{extra_fields, grant_methods, http_methods};
use crate::oauth::endpoint::client_auth::ClientAuth;
use crate::oauth::endpoint::exchange::Http;
use crate::oauth::endpoint::response_fields::TokenResponseFields;
use crate::oauth::endpoint::url::Endpoint;
use crate::{AuthError, Token, TokenSource};

/// How long the user has to finish in the browser, unless set.
const DEFAULT_LOGIN_TIMEOUT: Duration = Duration::from_secs(300);
/// The most of a redirect request that is read: a request line and some headers.
const MAX_REQUEST: usize = 16 * 1024;

/// Logs a user in with the authorization code flow for native apps: PKCE (RFC 7636, `S256`)
/// and a loopback redirect (RFC 8252), as `gh`, `gcloud` and `az` do. Renews with the
/// refresh token afterwards.
///
/// [`login`](Self::login) listens on `127.0.0.1` on a port the OS picks, hands the authorize
/// URL to your callback (print it, or open a browser with the crate of your choice), waits
/// for the browser's redirect (at most the login timeout, 5 minutes by default), checks its
/// `state`, and exchanges the code with its verifier. A denied consent
/// (`error=access_denied`) is [`AuthErrorKind::Rejected`](crate::AuthErrorKind::Rejected),
/// naming the error.
///
/// As a [`TokenSource`], a fetch with a refresh token renews it; one without logs in. A login
/// takes as long as the user does, and the cache bounds every fetch with its
/// [`refresh_timeout`](crate::TokenCacheBuilder::refresh_timeout) (30 s by default): log in
/// first and hand the token to the cache, as below, or raise that timeout.
///
/// ```no_run
/// use freshtoken::TokenCache;
/// use freshtoken::oauth::{AuthorizationCodePkce, ClientAuth};
///
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// let source = AuthorizationCodePkce::new(
///     "https://auth.example.com/oauth/authorize".parse()?,
///     "https://auth.example.com/oauth/token".parse()?,
///     ClientAuth::public("tasks-cli"),
///     |url| println!("Open this page to log in: {url}"),
/// )
/// .scopes(["tasks"]);
/// let token = source.login().await?;
/// let cache = TokenCache::builder(source).build();
/// cache.save_token(token).await?;
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct AuthorizationCodePkce {
    authorize: Url,
    endpoint: Endpoint,
    client: ClientAuth,
    scope: Option<String>,
    params: Vec<(String, String)>,
    fields: TokenResponseFields,
    http: Http,
    show: Arc<dyn Fn(&Url) + Send + Sync>,
    login_timeout: Duration,
}

impl std::fmt::Debug for AuthorizationCodePkce {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthorizationCodePkce")
            .field("authorize", &Endpoint::new(self.authorize.clone()))
            .field("endpoint", &self.endpoint)
            .field("client", &self.client)
            .field("login_timeout", &self.login_timeout)
            .finish_non_exhaustive()
    }
}

impl AuthorizationCodePkce {
    /// A source that logs in at `authorization_url` and `token_url` as `client` (usually
    /// [`ClientAuth::public`]), handing the authorize URL to `show`.
    ///
    /// # Panics
    /// Like `reqwest::Client::new`, if the HTTP client cannot be initialized; pass your own
    /// with [`http_client`](Self::http_client) to choose.
    #[must_use]
    pub fn new(
        authorization_url: Url,
        token_url: Url,
        client: ClientAuth,
        show: impl Fn(&Url) + Send + Sync + 'static,
    ) -> Self {
        Self {
            authorize: authorization_url,
            endpoint: Endpoint::new(token_url),
            client,
            scope: None,
            params: Vec::new(),
            fields: TokenResponseFields::default(),
            http: Http::new(),
            show: Arc::new(show),
            login_timeout: DEFAULT_LOGIN_TIMEOUT,
        }
    }

    /// How long [`login`](Self::login) waits for the browser's redirect (default 5 minutes).
    #[must_use]
    pub fn login_timeout(mut self, timeout: Duration) -> Self {
        self.login_timeout = timeout;
        self
    }

    /// Logs the user in: the authorize URL to `show`, the redirect to the loopback listener,
    /// the code exchanged for a token.
    ///
    /// # Errors
    /// [`AuthErrorKind::Rejected`](crate::AuthErrorKind::Rejected) when the user denies
    /// consent, the redirect's `state` does not match, or no port on 127.0.0.1 can be
    /// bound; [`AuthErrorKind::Timeout`](crate::AuthErrorKind::Timeout) when no redirect
    /// comes within the login timeout; the errors of a token request for the exchange.
    pub async fn login(&self) -> Result<Token, AuthError> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await.map_err(|error| {
            AuthError::rejected(format!("no loopback port for the redirect: {error}"))
        })?;
        let port = listener.local_addr().map_err(AuthError::rejected)?.port();
        let redirect_uri = format!("http://127.0.0.1:{port}/callback");
        let verifier = random_text(32)?;
        let state = random_text(16)?;
        (self.show)(&self.authorize_url(&redirect_uri, &verifier, &state));

        let code = tokio::time::timeout(self.login_timeout, receive_code(&listener, &state))
            .await
            .map_err(|_| crate::AuthErrorKind::Timeout(self.login_timeout))??;
        self.form()
            .send(
                &[
                    ("grant_type", "authorization_code"),
                    ("code", &code),
                    ("redirect_uri", &redirect_uri),
                    ("code_verifier", &verifier),
                ],
                &[&code, &verifier],
            )
            .await
    }

    fn authorize_url(&self, redirect_uri: &str, verifier: &str, state: &str) -> Url {
        let mut url = self.authorize.clone();
        {
            let mut query = url.query_pairs_mut();
            query
                .append_pair("response_type", "code")
                .append_pair("client_id", self.client.client_id())
                .append_pair("redirect_uri", redirect_uri)
                .append_pair("state", state)
                .append_pair("code_challenge", &challenge(verifier))
                .append_pair("code_challenge_method", "S256");
            for (name, value) in extra_fields(self.scope.as_deref(), &self.params) {
                query.append_pair(name, value);
            }
        }
        url
    }
}

grant_methods!(AuthorizationCodePkce);
http_methods!(AuthorizationCodePkce);

impl TokenSource for AuthorizationCodePkce {
    async fn fetch(&self, previous: Option<&Token>) -> Result<Token, AuthError> {
        match previous.and_then(Token::refresh_token) {
            Some(refresh_token) => self.form().refresh(refresh_token).await,
            None => self.login().await,
        }
    }
}

/// `bytes` random bytes from the OS, as URL-safe base64 (43 characters for 32 bytes: a
/// verifier of RFC 7636's allowed length and alphabet).
fn random_text(bytes: usize) -> Result<Zeroizing<String>, AuthError> {
    let mut random = Zeroizing::new(vec![0; bytes]);
    getrandom::fill(&mut random)
        .map_err(|error| AuthError::rejected(format!("no randomness from the OS: {error}")))?;
    Ok(Zeroizing::new(URL_SAFE_NO_PAD.encode(&*random)))
}

/// The `S256` code challenge of `verifier` (RFC 7636 section 4.2).
fn challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// Serves the loopback listener until the redirect with the code arrives; other requests
/// (a browser's `favicon.ico`) get a 404.
async fn receive_code(listener: &TcpListener, state: &str) -> Result<Zeroizing<String>, AuthError> {
    loop {
        let Ok((mut stream, _)) = listener.accept().await else {
            continue;
        };
        let Some(target) = request_target(&mut stream).await else {
            continue;
        };
        let Ok(url) = Url::parse(&format!("http://127.0.0.1{target}")) else {
            respond(&mut stream, "400 Bad Request", "Not a redirect.").await;
            continue;
        };
        if url.path() != "/callback" {
            respond(&mut stream, "404 Not Found", "Not found.").await;
            continue;
        }
        let pair = |name: &str| {
            url.query_pairs()
                .find(|(key, _)| key == name)
                .map(|(_, value)| Zeroizing::new(value.into_owned()))
        };
        if pair("state").as_deref().map(String::as_str) != Some(state) {
            respond(
                &mut stream,
                "400 Bad Request",
                "The login did not match; try again.",
            )
            .await;
            return Err(AuthError::rejected(
                "the redirect's `state` does not match the login's: the redirect did not come \
                 from this login (a forged or stale one); log in again",
            ));
        }
        if let Some(error) = pair("error") {
            respond(
                &mut stream,
                "200 OK",
                "Login cancelled. You can close this window.",
            )
            .await;
            return Err(AuthError::rejected(format!(
                "the authorization server answered the login with error `{}`{}",
                printable(&error),
                if error.as_str() == "access_denied" {
                    " (consent was denied)"
                } else {
                    ""
                }
            )));
        }
        let Some(code) = pair("code").filter(|code| !code.is_empty()) else {
            respond(&mut stream, "400 Bad Request", "No code in the redirect.").await;
            return Err(AuthError::rejected(
                "the redirect carries neither a code nor an error",
            ));
        };
        respond(
            &mut stream,
            "200 OK",
            "Logged in. You can close this window.",
        )
        .await;
        return Ok(code);
    }
}

/// The request target of `GET <target> HTTP/1.1`, if the stream starts with such a line.
async fn request_target(stream: &mut TcpStream) -> Option<String> {
    let mut head = Zeroizing::new(Vec::with_capacity(1024));
    let mut chunk = [0; 1024];
    while !head.windows(4).any(|window| window == b"\r\n\r\n") && head.len() < MAX_REQUEST {
        let read = stream.read(&mut chunk).await.ok()?;
        if read == 0 {
            break;
        }
        head.extend_from_slice(&chunk[..read]);
    }
    let line = head.split(|&byte| byte == b'\r').next()?;
    let line = std::str::from_utf8(line).ok()?;
    let mut parts = line.split(' ');
    (parts.next()? == "GET").then_some(())?;
    parts.next().map(str::to_owned)
}

async fn respond(stream: &mut TcpStream, status: &str, text: &str) {
    let body = format!("<!doctype html><title>Login</title><p>{text}</p>");
    let response = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    // The browser may have gone; the login's outcome does not depend on it.
    let _ = stream.write_all(response.as_bytes()).await;
    let _ = stream.shutdown().await;
}

/// An error code as it may be shown: RFC 6749 codes are printable ASCII; anything else is
/// not repeated.
fn printable(code: &str) -> &str {
    if !code.is_empty() && code.len() <= 64 && code.bytes().all(|b| b.is_ascii_graphic()) {
        code
    } else {
        "(unprintable)"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_s256_challenge_is_rfc_7636s_example() {
        // RFC 7636 appendix B.
        assert_eq!(
            challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn verifiers_have_rfc_7636s_length_and_alphabet_and_differ() {
        let (a, b) = (random_text(32).unwrap(), random_text(32).unwrap());
        assert_eq!(a.len(), 43);
        assert!(
            a.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_".contains(&b))
        );
        assert_ne!(a, b);
    }
}
