// Input: the configuration and clock the server starts with.
// Output: `AppState`, everything the handlers share: accounts, OAuth clients, signer,
// sessions, pending authorization codes and device authorizations, seen assertions, tasks,
// DPoP state and counters.

use std::borrow::Cow;
use std::collections::HashMap;
use std::io;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use axum::http::HeaderMap;

use super::authorization_codes::AuthorizationCodes;
use super::clock::Clock;
use super::config::{RedirectIss, ServerConfig, whole_seconds};
use super::device::DeviceGrants;
use super::dpop::Dpop;
use super::form::Form;
use super::jwt_bearer::{SeenAssertions, authenticate_with_assertion};
use super::oauth_clients::{ClientRegistry, OAuthClient};
use super::oauth_errors::OAuthError;
use super::resource_indicator::ResourceRequests;
use super::secrets::same_secret;
use super::sessions::Sessions;
use super::stats::Counters;
use super::tasks::Tasks;
use super::tokens::Signer;

/// What the handlers share, behind an `Arc`.
pub(crate) type Shared = Arc<AppState>;

/// The server's state. Locks are held for a few map operations and a signature, never
/// across an `.await`.
pub(crate) struct AppState {
    /// `http://127.0.0.1:PORT`: where the endpoints are.
    pub(crate) base_url: String,
    /// What the metadata calls the issuer (RFC 8414 §2).
    pub(crate) issuer: String,
    users: HashMap<String, String>,
    pub(crate) clients: ClientRegistry,
    /// [`ServerConfig::auto_consent_user`].
    pub(crate) auto_consent_user: Option<String>,
    pub(crate) authorization_code_ttl: Duration,
    /// [`ServerConfig::refuse_every_scope`].
    pub(crate) refuse_every_scope: bool,
    codes: Mutex<AuthorizationCodes>,
    /// [`ServerConfig::device_code_ttl`], in whole seconds.
    pub(crate) device_code_ttl: Duration,
    /// [`ServerConfig::device_poll_interval`], in whole seconds.
    pub(crate) device_poll_interval: Duration,
    devices: Mutex<DeviceGrants>,
    seen_assertions: Mutex<SeenAssertions>,
    pub(crate) signer: Signer,
    sessions: Mutex<Sessions>,
    tasks: Mutex<Tasks>,
    pub(crate) counters: Counters,
    /// [`ServerConfig::redirect_iss`].
    redirect_iss: RedirectIss,
    /// What each authorization, device and token request carried as `resource`.
    pub(crate) resource_requests: ResourceRequests,
    /// DPoP proofs, nonces and bindings.
    pub(crate) dpop: Dpop,
}

impl AppState {
    /// New keys from the operating system's CSPRNG. Fails if that is unavailable, or if a
    /// client's configured public key does not parse.
    pub(crate) fn new(config: &ServerConfig, clock: Clock, base_url: String) -> io::Result<Shared> {
        Ok(Arc::new(Self {
            issuer: config.issuer.clone().unwrap_or_else(|| base_url.clone()),
            base_url,
            users: config.users.iter().cloned().collect(),
            clients: ClientRegistry::new(&config.clients)?,
            auto_consent_user: config.auto_consent_user.clone(),
            authorization_code_ttl: config.authorization_code_ttl,
            refuse_every_scope: config.refuse_every_scope,
            codes: Mutex::default(),
            device_code_ttl: Duration::from_secs(whole_seconds(config.device_code_ttl)),
            device_poll_interval: Duration::from_secs(config.device_poll_interval.as_secs()),
            devices: Mutex::default(),
            seen_assertions: Mutex::default(),
            dpop: Dpop::new(&config.dpop, clock.clone())?,
            signer: Signer::new(config, clock)?,
            sessions: Mutex::default(),
            tasks: Mutex::default(),
            counters: Counters::default(),
            redirect_iss: config.redirect_iss.clone(),
            resource_requests: ResourceRequests::default(),
        }))
    }

    /// Whether `username` exists and `password` is its password (compared without an early
    /// exit, so the time taken does not tell how much of a guess was right).
    pub(crate) fn password_matches(&self, username: &str, password: &str) -> bool {
        self.users
            .get(username)
            .is_some_and(|expected| same_secret(expected, password))
    }

    /// The URL of `path` on this server (`path` starts with `/`).
    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// The `iss` of authorization redirects, if they carry one.
    pub(crate) fn redirect_iss(&self) -> Option<&str> {
        match &self.redirect_iss {
            RedirectIss::Issuer => Some(&self.issuer),
            RedirectIss::Omitted => None,
            RedirectIss::Other(iss) => Some(iss),
        }
    }

    pub(crate) fn user_exists(&self, username: &str) -> bool {
        self.users.contains_key(username)
    }

    pub(crate) fn sessions(&self) -> MutexGuard<'_, Sessions> {
        self.sessions.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn codes(&self) -> MutexGuard<'_, AuthorizationCodes> {
        self.codes.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn devices(&self) -> MutexGuard<'_, DeviceGrants> {
        self.devices.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn seen_assertions(&self) -> MutexGuard<'_, SeenAssertions> {
        self.seen_assertions
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// The client a token-endpoint-style request authenticates as: by `private_key_jwt`
    /// when it sends a client assertion, else by secret or as a public client. `Ok(None)`:
    /// it names no client.
    pub(crate) fn authenticate_client(
        &self,
        headers: &HeaderMap,
        form: &Form,
    ) -> Result<Option<Cow<'_, OAuthClient>>, OAuthError> {
        if form.get("client_assertion_type").is_some() || form.get("client_assertion").is_some() {
            return authenticate_with_assertion(self, headers, form)
                .map(|c| Some(Cow::Borrowed(c)));
        }
        self.clients.authenticate(headers, form)
    }

    pub(crate) fn tasks(&self) -> MutexGuard<'_, Tasks> {
        self.tasks.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
