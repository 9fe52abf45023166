// Input: what the person starting the server chooses: token lifetimes, demo users, OAuth
// clients, and the issuer they are told about.
// Output: `ServerConfig`, its defaults, and the lifetimes rounded to whole seconds.

use std::fmt;
use std::time::Duration;

use super::dpop::DpopConfig;
use super::oauth_clients::{DEMO_CONFIDENTIAL_CLIENT_ID, DEMO_CONFIDENTIAL_CLIENT_SECRET};
use super::oauth_clients::{DEMO_PUBLIC_CLIENT_ID, OAuthClient};

/// What the reference server is started with.
///
/// Build it with struct update syntax to keep the other defaults:
///
/// ```
/// use std::time::Duration;
/// use freshtoken_examples::server::ServerConfig;
///
/// let config = ServerConfig { access_ttl: Duration::from_secs(2), ..ServerConfig::default() };
/// assert_eq!(config.users[0].0, "alice");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct ServerConfig {
    /// How long an access token lives. JWT times are whole seconds: the lifetime is rounded
    /// up to whole seconds, and anything below 1 s becomes 1 s.
    pub access_ttl: Duration,
    /// How long a refresh token lives from its own issue (each rotation starts a new
    /// lifetime). Rounded like [`access_ttl`](Self::access_ttl).
    pub refresh_ttl: Duration,
    /// The accounts that can log in, as `(username, password)`. When a username appears
    /// twice, the last password wins.
    pub users: Vec<(String, String)>,
    /// The OAuth clients `/oauth/token` and the other `/oauth/...` routes know. The default
    /// registers [`DEMO_CONFIDENTIAL_CLIENT_ID`] (secret [`DEMO_CONFIDENTIAL_CLIENT_SECRET`])
    /// and the public [`DEMO_PUBLIC_CLIENT_ID`]. When an id appears twice, the last wins.
    pub clients: Vec<OAuthClient>,
    /// The `issuer` the metadata (`/.well-known/oauth-authorization-server`) announces;
    /// `None`: the server's base URL, `http://127.0.0.1:PORT`. Set another value to test a
    /// client's issuer check (RFC 8414 §3.3); the endpoints stay on the base URL.
    pub issuer: Option<String>,
    /// Who `/oauth/authorize` logs in without asking anyone: a test-only automatic consent,
    /// since this server has no login page. `None`: every authorization request is denied
    /// (`error=access_denied`). Per request, `login_hint=deny` denies and `login_hint=<an
    /// existing username>` logs that user in instead. Default: `alice`.
    pub auto_consent_user: Option<String>,
    /// How long an authorization code can be exchanged (RFC 6749 §4.1.2 recommends at most
    /// 10 minutes). Default: 60 s.
    pub authorization_code_ttl: Duration,
    /// How long a device code of `/oauth/device_authorization` can be polled: its
    /// `expires_in`, rounded like [`access_ttl`](Self::access_ttl). Default: 10 minutes.
    pub device_code_ttl: Duration,
    /// The `interval` between device code polls (RFC 8628 §3.2), in whole seconds (the
    /// fraction is dropped); 0 is allowed for tests. Each `slow_down` adds 5 s for that
    /// device code. Default: 5 s.
    pub device_poll_interval: Duration,
    /// Whether every scope-checked Tasks API route answers 403 `insufficient_scope`, even
    /// to a token that holds the scope: for testing that a client's step-up does not loop.
    /// Default: `false`.
    pub refuse_every_scope: bool,
    /// The `iss` `/oauth/authorize` puts on its redirects (RFC 9207), which the metadata
    /// announces (`authorization_response_iss_parameter_supported`). Default: the issuer;
    /// the others test a client's refusal of a missing or wrong `iss`.
    pub redirect_iss: RedirectIss,
    /// DPoP (RFC 9449): whether the server supports it, where it requires nonces, how
    /// often they rotate, and test switches for a misbehaving server. Default: supported,
    /// no nonces.
    pub dpop: DpopConfig,
}

/// What `iss` the authorization redirects carry; see [`ServerConfig::redirect_iss`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum RedirectIss {
    /// The server's issuer, as RFC 9207 asks.
    #[default]
    Issuer,
    /// No `iss`, although the metadata announces it.
    Omitted,
    /// This value instead of the issuer, as a mix-up attack would deliver.
    Other(String),
}

impl Default for ServerConfig {
    /// Access tokens for 15 minutes, refresh tokens for 7 days, two demo users
    /// (`alice` / `wonderland` and `bob` / `builder`) and two OAuth clients: the confidential
    /// `demo-backend` / `demo-backend-secret` and the public `demo-cli`.
    fn default() -> Self {
        Self {
            access_ttl: Duration::from_secs(15 * 60),
            refresh_ttl: Duration::from_secs(7 * 24 * 60 * 60),
            users: vec![
                ("alice".to_owned(), "wonderland".to_owned()),
                ("bob".to_owned(), "builder".to_owned()),
            ],
            clients: vec![
                OAuthClient::confidential(
                    DEMO_CONFIDENTIAL_CLIENT_ID,
                    DEMO_CONFIDENTIAL_CLIENT_SECRET,
                ),
                OAuthClient::public(DEMO_PUBLIC_CLIENT_ID),
            ],
            issuer: None,
            auto_consent_user: Some("alice".to_owned()),
            authorization_code_ttl: Duration::from_secs(60),
            device_code_ttl: Duration::from_secs(600),
            device_poll_interval: Duration::from_secs(5),
            refuse_every_scope: false,
            redirect_iss: RedirectIss::Issuer,
            dpop: DpopConfig::default(),
        }
    }
}

impl fmt::Debug for ServerConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let usernames: Vec<&str> = self.users.iter().map(|(name, _)| name.as_str()).collect();
        f.debug_struct("ServerConfig")
            .field("access_ttl", &self.access_ttl)
            .field("refresh_ttl", &self.refresh_ttl)
            .field("users", &usernames)
            .field("clients", &self.clients)
            .field("issuer", &self.issuer)
            .field("auto_consent_user", &self.auto_consent_user)
            .field("authorization_code_ttl", &self.authorization_code_ttl)
            .field("device_code_ttl", &self.device_code_ttl)
            .field("device_poll_interval", &self.device_poll_interval)
            .field("refuse_every_scope", &self.refuse_every_scope)
            .field("redirect_iss", &self.redirect_iss)
            .field("dpop", &self.dpop)
            .finish_non_exhaustive()
    }
}

/// `ttl` in whole seconds, rounded up, at least 1.
pub(crate) fn whole_seconds(ttl: Duration) -> u64 {
    ttl.as_secs()
        .saturating_add(u64::from(ttl.subsec_nanos() > 0))
        .max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifetimes_round_up_to_at_least_one_second() {
        assert_eq!(whole_seconds(Duration::ZERO), 1);
        assert_eq!(whole_seconds(Duration::from_millis(300)), 1);
        assert_eq!(whole_seconds(Duration::from_secs(1)), 1);
        assert_eq!(whole_seconds(Duration::from_millis(1500)), 2);
        assert_eq!(whole_seconds(Duration::MAX), u64::MAX);
    }

    #[test]
    fn debug_hides_passwords() {
        let debug = format!("{:?}", ServerConfig::default());
        assert!(debug.contains("alice"), "{debug}");
        assert!(!debug.contains("wonderland"), "{debug}");
        assert!(debug.contains("demo-backend"), "{debug}");
        assert!(!debug.contains("demo-backend-secret"), "{debug}");
    }
}
