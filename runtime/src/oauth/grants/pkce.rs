// Input: the client's authorization and token endpoints, and a way to show the user a URL.
// Output: the first token of a native app or CLI by the authorization code flow with PKCE
// (RFC 7636) and a loopback redirect (RFC 8252): a listener on 127.0.0.1 (see `loopback`),
// the redirect's `iss` checked (RFC 9207), the code exchanged with its verifier; later tokens
// from the refresh token.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::Url;
use sha2::{Digest, Sha256};
use tokio::net::TcpListener;
use zeroize::Zeroizing;

use super::builder_methods::{dpop_method, extra_fields, grant_methods, http_methods, scope_of};
use super::issuer_check::{self, ExpectedIssuer};
use super::loopback::{Redirect, await_redirect};
use super::resource_indicator;
use crate::oauth::endpoint::client_auth::ClientAuth;
use crate::oauth::endpoint::exchange::Http;
use crate::oauth::endpoint::response_fields::TokenResponseFields;
use crate::oauth::endpoint::url::Endpoint;
use crate::{AuthError, Token, TokenSource};

/// How long the user has to finish in the browser, unless set.
const DEFAULT_LOGIN_TIMEOUT: Duration = Duration::from_secs(300);
/// The path of the redirect URI, unless set.
const DEFAULT_REDIRECT_PATH: &str = "/callback";

/// Logs a user in with the authorization code flow for native apps: PKCE (RFC 7636, `S256`)
/// and a loopback redirect (RFC 8252), as `gh`, `gcloud` and `az` do. Renews with the
/// refresh token afterwards.
///
/// [`login`](Self::login) listens on `127.0.0.1` (on a port the OS picks, or the one set
/// with [`redirect_port`](Self::redirect_port)), hands the authorize URL to your callback
/// (print it, or open a browser with the crate of your choice), waits for the browser's
/// redirect to `http://127.0.0.1:<port>/callback` (the path set with
/// [`redirect_path`](Self::redirect_path)) at most the
/// [`login_timeout`](Self::login_timeout) (5 minutes by default), and exchanges the code with
/// its verifier. A denied consent (`error=access_denied`) is
/// [`AuthErrorKind::Rejected`](crate::AuthErrorKind::Rejected), naming the error.
///
/// The listener serves connections concurrently, each given 10 s to send its request of at
/// most 16 KiB, so a connection the browser opens ahead, or another program's, holds up
/// nothing. A request that is not the login's redirect (another path, a missing or wrong
/// `state`: a stale browser tab, a forged redirect) is answered 400 or 404 and ignored, the
/// wrong `state` logged at warn (never the code or the state); after 100 such requests the
/// login gives up.
///
/// The redirect's `iss` (RFC 9207) is compared with the issuer when it is known: a source
/// from [`Issuer::authorization_code_pkce`](crate::oauth::Issuer::authorization_code_pkce)
/// knows it (and requires `iss` when the metadata says
/// `authorization_response_iss_parameter_supported`), a hand-built one when told with
/// [`expect_issuer`](Self::expect_issuer). A redirect naming another issuer, or none when one
/// is required, fails the login with
/// [`AuthErrorKind::Rejected`](crate::AuthErrorKind::Rejected), its code not exchanged.
///
/// For a server that wants the exact redirect URI registered, fix the port with
/// [`redirect_port`](Self::redirect_port), or bind first with [`listen`](Self::listen) and
/// read [`LoopbackLogin::redirect_uri`] before the login sends the user to the browser.
///
/// As a [`TokenSource`], a fetch with a refresh token renews it; one without logs in (or,
/// after a resource's `insufficient_scope`, steps up: a login for wider scopes). A login
/// takes as long as the user does: a cache over this source lets a fetch run for the
/// [`login_timeout`](Self::login_timeout) (and the code exchange), beyond its
/// [`refresh_timeout`](crate::TokenCacheBuilder::refresh_timeout). A program can also log in
/// first and save the token with [`TokenCache::save_token`](crate::TokenCache::save_token),
/// as below, to choose when the browser opens.
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
    redirect_path: String,
    redirect_port: u16,
    issuer: Option<ExpectedIssuer>,
}

impl std::fmt::Debug for AuthorizationCodePkce {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthorizationCodePkce")
            .field("authorize", &Endpoint::new(self.authorize.clone()))
            .field("endpoint", &self.endpoint)
            .field("client", &self.client)
            .field("login_timeout", &self.login_timeout)
            .field("redirect_path", &self.redirect_path)
            .field("redirect_port", &self.redirect_port)
            .field("issuer", &self.issuer)
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
            redirect_path: DEFAULT_REDIRECT_PATH.to_owned(),
            redirect_port: 0,
            issuer: None,
        }
    }

    /// Requires the login's redirect to name `issuer` in `iss` (RFC 9207): a redirect without
    /// `iss`, or naming another issuer, fails the login and its code is not exchanged. For a
    /// server whose metadata says `authorization_response_iss_parameter_supported`, when the
    /// source is built by hand; `issuer` is the metadata's `issuer`, compared exactly.
    #[must_use]
    pub fn expect_issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issuer = Some(ExpectedIssuer {
            issuer: issuer.into(),
            required: true,
        });
        self
    }

    /// The issuer of the metadata this source was built from: an `iss` is compared with it,
    /// and required when the server `announced` it.
    pub(in crate::oauth) fn issuer_from_metadata(mut self, issuer: &str, announced: bool) -> Self {
        self.issuer = Some(ExpectedIssuer {
            issuer: issuer.to_owned(),
            required: announced,
        });
        self
    }

    /// How long [`login`](Self::login) waits for the browser's redirect (default 5 minutes).
    /// Past it the login ends with
    /// [`AuthErrorKind::ReauthenticationRequired`](crate::AuthErrorKind::ReauthenticationRequired),
    /// naming this setting.
    #[must_use]
    pub fn login_timeout(mut self, timeout: Duration) -> Self {
        self.login_timeout = timeout;
        self
    }

    /// The path of the redirect URI (default `/callback`): it must start with `/` and have no
    /// query or fragment, or [`listen`](Self::listen) refuses it.
    #[must_use]
    pub fn redirect_path(mut self, path: impl Into<String>) -> Self {
        self.redirect_path = path.into();
        self
    }

    /// The port of the redirect URI on 127.0.0.1, for servers that match the registered
    /// redirect URI exactly. By default (0) the OS picks a free port for each login, as
    /// RFC 8252 section 7.3 recommends; a fixed port must be free when the login starts.
    #[must_use]
    pub fn redirect_port(mut self, port: u16) -> Self {
        self.redirect_port = port;
        self
    }

    /// Binds the loopback listener, so that its [`redirect_uri`](LoopbackLogin::redirect_uri)
    /// is known before [`LoopbackLogin::login`] sends the user to the browser.
    ///
    /// # Errors
    /// [`AuthErrorKind::Rejected`](crate::AuthErrorKind::Rejected) when the redirect path is
    /// not a path, or the port cannot be bound on 127.0.0.1 (a fixed port in use, say).
    pub async fn listen(&self) -> Result<LoopbackLogin<'_>, AuthError> {
        let path = &self.redirect_path;
        if !path.starts_with('/') || path.contains(['?', '#']) || path.contains(char::is_whitespace)
        {
            return Err(AuthError::rejected(format!(
                "the redirect path {path:?} is not a path: it must start with `/` and have no \
                 query, fragment or spaces; fix `AuthorizationCodePkce::redirect_path`"
            )));
        }
        let port = self.redirect_port;
        let listener = TcpListener::bind(("127.0.0.1", port))
            .await
            .map_err(|error| {
                let fix = if port == 0 {
                    "this login needs a port on the loopback interface"
                } else {
                    "another program holds the port set with \
                     `AuthorizationCodePkce::redirect_port`: stop it, or register and set \
                     another port"
                };
                AuthError::rejected(format!(
                    "cannot listen on 127.0.0.1:{port} for the login's redirect ({error}); {fix}"
                ))
            })?;
        let bound = listener.local_addr().map_err(|error| {
            AuthError::rejected(format!("the loopback listener has no address: {error}"))
        })?;
        let uri =
            Url::parse(&format!("http://127.0.0.1:{}{path}", bound.port())).map_err(|error| {
                AuthError::rejected(format!(
                    "the redirect path {path:?} does not make a URL ({error}); fix \
                     `AuthorizationCodePkce::redirect_path`"
                ))
            })?;
        Ok(LoopbackLogin {
            source: self,
            listener,
            path: uri.path().to_owned(),
            redirect_uri: uri.into(),
            scope: self.scope.clone(),
        })
    }

    /// Logs the user in: the authorize URL to `show`, the redirect to the loopback listener,
    /// the code exchanged for a token. The same as [`listen`](Self::listen) then
    /// [`LoopbackLogin::login`].
    ///
    /// # Errors
    /// As [`listen`](Self::listen) and [`LoopbackLogin::login`].
    pub async fn login(&self) -> Result<Token, AuthError> {
        self.listen().await?.login().await
    }

    fn authorize_url(
        &self,
        redirect_uri: &str,
        verifier: &str,
        state: &str,
        scope: Option<&str>,
    ) -> Url {
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
            for (name, value) in extra_fields(scope, &self.params) {
                query.append_pair(name, value);
            }
            // The code is then bound to the key: only a token request with a proof by it
            // can redeem it (RFC 9449 section 10).
            #[cfg(feature = "dpop")]
            if let Some(key) = &self.http.dpop {
                query.append_pair("dpop_jkt", key.thumbprint());
            }
        }
        url
    }
}

grant_methods!(AuthorizationCodePkce);
http_methods!(AuthorizationCodePkce);
dpop_method!(AuthorizationCodePkce);

impl TokenSource for AuthorizationCodePkce {
    fn grant_type(&self) -> &'static str {
        "authorization_code"
    }

    /// The login's bound ([`login_timeout`](Self::login_timeout)) and the code exchange's:
    /// a cache lets a login run that long.
    fn fetch_timeout(&self) -> Option<Duration> {
        Some(self.login_timeout.saturating_add(self.http.timeout))
    }

    async fn fetch(&self, previous: Option<&Token>) -> Result<Token, AuthError> {
        if let Some(refresh_token) = super::form_grant::refreshable(previous) {
            return self.form().refresh(refresh_token).await;
        }
        super::interactive_login_starts("AuthorizationCodePkce");
        self.login().await
    }

    /// Without `previous` (a step-up), a login asking for exactly `scopes`; with a refresh
    /// token, a refresh sending the same `scopes`, so the widened grant is kept.
    async fn fetch_with_scopes(
        &self,
        previous: Option<&Token>,
        scopes: &[String],
    ) -> Result<Token, AuthError> {
        let scope = scope_of(scopes);
        if let Some(refresh_token) = super::form_grant::refreshable(previous) {
            return self
                .form()
                .with_scope(scope.as_deref())
                .refresh(refresh_token)
                .await;
        }
        super::interactive_login_starts("AuthorizationCodePkce");
        let mut login = self.listen().await?;
        login.scope = scope;
        login.login().await
    }
}

/// A login whose loopback listener is bound: its [`redirect_uri`](Self::redirect_uri) is
/// known before [`login`](Self::login) sends the user to the browser. Made by
/// [`AuthorizationCodePkce::listen`]; dropping it closes the listener.
#[derive(Debug)]
pub struct LoopbackLogin<'a> {
    source: &'a AuthorizationCodePkce,
    listener: TcpListener,
    /// The path requests must have, as the URL parser normalized it.
    path: String,
    redirect_uri: String,
    /// The scope the login asks for: the source's, or a step-up's.
    scope: Option<String>,
}

impl LoopbackLogin<'_> {
    /// The redirect URI the authorize URL carries: `http://127.0.0.1:<port><path>`.
    #[must_use]
    pub fn redirect_uri(&self) -> &str {
        &self.redirect_uri
    }

    /// Logs the user in: the authorize URL to the source's `show`, the redirect to this
    /// listener, the code exchanged for a token.
    ///
    /// # Errors
    /// [`AuthErrorKind::Rejected`](crate::AuthErrorKind::Rejected) when the user denies
    /// consent (or the server refuses the login), the redirect's `iss` is not the expected
    /// issuer, 100 requests that are not the redirect come first, or the resource indicator
    /// is not an absolute URI;
    /// [`AuthErrorKind::ReauthenticationRequired`](crate::AuthErrorKind::ReauthenticationRequired)
    /// when no redirect comes within the login timeout; the errors of a token request for
    /// the exchange.
    pub async fn login(self) -> Result<Token, AuthError> {
        let source = self.source;
        let redirect_uri = self.redirect_uri;
        let scope = self.scope;
        resource_indicator::checked(&source.params)?;
        let verifier = random_text(32)?;
        let state = random_text(16)?;
        (source.show)(&source.authorize_url(&redirect_uri, &verifier, &state, scope.as_deref()));
        let redirect = tokio::time::timeout(
            source.login_timeout,
            await_redirect(self.listener, self.path, state, &redirect_uri),
        )
        .await
        .map_err(|_| {
            AuthError::reauthenticate(format!(
                "no redirect reached {redirect_uri} within the login timeout ({} s, set with \
                 `AuthorizationCodePkce::login_timeout`): the login was not finished in the \
                 browser; log in again, or allow more time",
                source.login_timeout.as_secs()
            ))
        })??;
        let code = match redirect {
            Redirect::Code { code, iss } => {
                issuer_check::check(source.issuer.as_ref(), iss.as_deref())?;
                code
            }
            Redirect::Error { error, iss } => {
                // An error from another server is not this login's answer either.
                issuer_check::check(source.issuer.as_ref(), iss.as_deref())?;
                return Err(refused_in_browser(&error));
            }
            Redirect::Empty => {
                return Err(AuthError::rejected(
                    "the authorization server's redirect carried neither a code nor an error; \
                     log in again, and check the server's logs if it happens again",
                ));
            }
        };
        source
            .form()
            .with_scope(scope.as_deref())
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
}

/// The error for a redirect with `error=<code>` (RFC 6749 section 4.1.2.1): what happened,
/// and what to do.
fn refused_in_browser(code: &str) -> AuthError {
    let advice = match code {
        "access_denied" => {
            "the user (or the server's policy) denied consent in the browser; log in again \
             to grant it"
        }
        "invalid_scope" => "check the scopes the source asks for (`scopes`)",
        "unauthorized_client" | "unsupported_response_type" => {
            "check that the client is registered for the authorization code flow"
        }
        "invalid_request" => {
            "check the client id, the registered redirect URI and the extra parameters"
        }
        "server_error" | "temporarily_unavailable" => {
            "the authorization server failed; log in again later"
        }
        _ => "see the authorization server's documentation of this error",
    };
    AuthError::rejected(format!(
        "the authorization server answered the login with error `{}`: {advice}",
        printable(code)
    ))
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
