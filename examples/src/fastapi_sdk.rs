//! A client of a FastAPI backend built the way FastAPI's security tutorial builds one (a
//! form login at `/fastapi/token`, a JSON refresh, `GET /fastapi/users/me`), with no token
//! code of its own: [`JsonLogin`] configured for the form login, a [`TokenCache`], and a
//! `#[freshtoken::client]` trait.
//!
//! ```no_run
//! use freshtoken_examples::fastapi_sdk::{self, FastApi as _};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let (api, _cache) = fastapi_sdk::connect("http://127.0.0.1:8080", "alice", "wonderland")?;
//! let me = api.me().await?;
//! println!("logged in as {}", me.username);
//! # Ok(())
//! # }
//! ```

use freshtoken::TokenCache;
use freshtoken::client::BuildError;
use freshtoken::oauth::{BodyFormat, JsonLogin, Url};
use serde::Deserialize;

/// The user the token belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct User {
    /// The username.
    pub username: String,
}

/// The FastAPI backend. Every method is authenticated; errors are
/// `freshtoken::client::Error`.
#[freshtoken::client]
pub trait FastApi {
    /// Who the token is for.
    #[get("/fastapi/users/me")]
    async fn me(&self) -> Result<User>;
}

/// A client of the backend at `base_url` (for example `http://127.0.0.1:8080`), and the
/// token cache that logs it in as `username` on first use (see [`login`]).
///
/// # Errors
/// [`BuildError::InvalidBaseUrl`] when `base_url` is not an absolute `http(s)` URL.
pub fn connect(
    base_url: &str,
    username: &str,
    password: impl Into<String>,
) -> Result<(FastApiClient<JsonLogin>, TokenCache<JsonLogin>), BuildError> {
    let cache = TokenCache::new(login(base_url, username, password)?);
    let client = FastApiClient::builder(base_url, cache.clone()).build()?;
    Ok((client, cache))
}

/// The token source of [`connect`], for a cache built to other settings
/// ([`TokenCache::builder`]): it logs in at `/fastapi/token` as `username`.
///
/// The login is FastAPI's `OAuth2PasswordRequestForm`: a form, not JSON. Its answer has
/// no `expires_in`, so the lifetime comes from the access token's JWT `exp`. Refreshes go
/// to `/fastapi/refresh` as `{"refresh_token": ...}`, and the rotated refresh token in the
/// answer replaces the old one.
///
/// # Errors
/// [`BuildError::InvalidBaseUrl`] when `base_url` is not an absolute `http(s)` URL.
pub fn login(
    base_url: &str,
    username: &str,
    password: impl Into<String>,
) -> Result<JsonLogin, BuildError> {
    let endpoint = |path: &str| {
        format!("{}{path}", base_url.trim_end_matches('/'))
            .parse::<Url>()
            .map_err(|error| BuildError::InvalidBaseUrl {
                url: base_url.to_owned(),
                reason: error.to_string(),
            })
    };
    let login = JsonLogin::new(
        endpoint("/fastapi/token")?,
        endpoint("/fastapi/refresh")?,
        username,
        password.into(),
    )
    .login_format(BodyFormat::Form)
    .login_param("grant_type", "password");
    Ok(login)
}
