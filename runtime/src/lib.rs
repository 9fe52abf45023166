//! Keeps the bearer token of a hand-written API client fresh.
//!
//! Every method of an API client needs a valid access token. `freshtoken` holds it in a
//! [`TokenCache`]: callers ask it for a token; a fresh one comes back at once (no lock, no
//! await); an expired one is refreshed **once**, however many callers need it at the same
//! moment; an ageing one is renewed in the background while it keeps serving; a token the
//! server rejected with 401 is [invalidated](TokenCache::invalidate) so the next call gets a
//! new one. Failed refreshes back off instead of hammering the token endpoint, a rotated
//! refresh token is never lost, and secrets never reach `Debug` output or logs.
//!
//! Where tokens come from is a [`TokenSource`]: your own type, or a closure through
//! [`source_fn`]. The [`refresh_token`] attribute writes the token and 401-retry code of each
//! API method for you.
//!
//! # Example: a small API client
//!
//! ```
//! use std::time::Duration;
//! use freshtoken::{AuthError, Token, TokenCache, TokenSource, Unauthorized, refresh_token};
//!
//! /// Gets tokens from the service's login endpoint (a stand-in here).
//! struct Login {
//!     api_key: String,
//! }
//!
//! impl TokenSource for Login {
//!     async fn fetch(&self, previous: Option<&Token>) -> Result<Token, AuthError> {
//!         // A real source POSTs `self.api_key`, or `previous`'s refresh token, to the
//!         // token endpoint and builds the token from the JSON it gets back.
//!         let _ = (&self.api_key, previous);
//!         Token::builder("issued-access-token")
//!             .expires_in(Duration::from_secs(3600))
//!             .refresh_token("issued-refresh-token")
//!             .build()
//!     }
//! }
//!
//! /// The SDK's error type: a failed refresh, or what the API answered.
//! #[derive(Debug)]
//! enum ApiError {
//!     Auth(AuthError),
//!     Status(http::StatusCode),
//! }
//!
//! impl From<AuthError> for ApiError {
//!     fn from(error: AuthError) -> Self {
//!         ApiError::Auth(error)
//!     }
//! }
//!
//! impl Unauthorized for ApiError {
//!     fn is_unauthorized(&self) -> bool {
//!         matches!(self, ApiError::Status(status) if status.is_unauthorized())
//!     }
//! }
//!
//! struct TasksClient {
//!     auth: TokenCache<Login>,
//! }
//!
//! impl TasksClient {
//!     #[refresh_token(cache = self.auth)]
//!     async fn list_tasks(&self, #[token] token: &Token) -> Result<Vec<String>, ApiError> {
//!         // http.get(url).header(AUTHORIZATION, token.authorization().clone()).send()...
//!         assert_eq!(token.authorization().to_str().unwrap(), "Bearer issued-access-token");
//!         Ok(vec![])
//!     }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), ApiError> {
//! let client = TasksClient {
//!     auth: TokenCache::new(Login { api_key: "key".into() }),
//! };
//! client.list_tasks().await?; // logs in
//! client.list_tasks().await?; // reuses the token
//! assert_eq!(client.auth.stats().refreshes, 1);
//! # Ok(())
//! # }
//! ```
//!
//! Without the attribute, a method calls [`TokenCache::token`] itself, and
//! [`TokenCache::invalidate`] after a 401; [`refresh_token`] shows the code it writes.
//!
//! # Expiry, margin and refresh-ahead
//!
//! A token's expiry is fixed on receipt, on the monotonic clock: from `expires_in`, else from
//! the `exp` claim of a JWT access token (read without verification, only to schedule), else
//! unknown (used until the server answers 401). It counts as expired a *refresh margin*
//! before that (default 60 s), and is renewed in the background during a *refresh-ahead
//! window* before the margin (default 60 s). Margin and window together never exceed half
//! the token's lifetime, so a 3-second token is renewed every 1.5 s, not on every call.
//!
//! # Failures
//!
//! Every caller waiting on one refresh gets its outcome, success or the same [`AuthError`].
//! A failure starts a backoff (1 s doubling up to 60 s by default, jittered, and never
//! shorter than a retry-after hint from the source): until it passes, callers holding no
//! valid token get the last error at once, and a still-valid token keeps serving.
//! [`AuthErrorKind::ReauthenticationRequired`] stops all attempts until
//! [`TokenCache::set_token`] gives the cache new credentials.
//!
//! # Observability
//!
//! Events with target `freshtoken`: `token refresh started` (debug), `token refreshed`
//! (info, with `elapsed_ms`) and `token refresh failed` (warn, with the error), each with a
//! `reason` field ([`RefreshReason`]). No event or error message contains a secret.
//! [`TokenCache::stats`] counts refreshes, failures and callers that waited.

// The guide exists when every feature is on (as on docs.rs); a build with fewer features
// names it without a link.
#![cfg_attr(
    all(
        feature = "reqwest-middleware",
        feature = "anyhow",
        feature = "tonic",
        feature = "jsonwebtoken",
        feature = "redis",
        feature = "rmcp",
        feature = "dpop",
        feature = "testing",
        feature = "metrics"
    ),
    doc = "\n# Guide\n\nThe [`guide`] goes into depth, one chapter per topic: generated clients, \
           `#[refresh_token]`, the integrations, protected resources, logins, DPoP-bound \
           tokens, stores and fleets, many identities, observability, what the cache \
           guarantees, testing, runtime requirements and performance."
)]
#![forbid(unsafe_code)]
// docs.rs builds with `--cfg docsrs` on nightly: each feature-gated item is labelled with the
// feature it needs.
#![cfg_attr(docsrs, feature(doc_cfg))]

#[doc(hidden)]
#[path = "private.rs"]
pub mod __private;
mod any_source;
#[cfg(any(feature = "reqwest-middleware", feature = "tower"))]
mod attempt_failure;
mod authorization;
#[cfg(feature = "reqwest")]
mod bearer;
mod cache;
#[cfg(feature = "reqwest")]
#[cfg_attr(docsrs, doc(cfg(feature = "reqwest")))]
pub mod client;
#[cfg(feature = "dpop")]
#[cfg_attr(docsrs, doc(cfg(feature = "dpop")))]
pub mod dpop;
mod error;
// The guide's examples use every integration, so it is built when every feature is on, as on
// docs.rs and in CI's doc build and doctests.
#[cfg(all(
    feature = "reqwest-middleware",
    feature = "anyhow",
    feature = "tonic",
    feature = "jsonwebtoken",
    feature = "redis",
    feature = "rmcp",
    feature = "dpop",
    feature = "testing",
    feature = "metrics"
))]
pub mod guide;
mod jwt;
pub mod metrics;
#[cfg(feature = "reqwest-middleware")]
#[cfg_attr(docsrs, doc(cfg(feature = "reqwest-middleware")))]
pub mod middleware;
#[cfg(feature = "reqwest")]
#[cfg_attr(docsrs, doc(cfg(feature = "reqwest")))]
pub mod oauth;
#[cfg(any(feature = "reqwest-middleware", feature = "tower"))]
mod origin;
pub mod partition;
mod reason;
#[cfg(feature = "rmcp")]
#[cfg_attr(docsrs, doc(cfg(feature = "rmcp")))]
pub mod rmcp;
mod secret;
mod source;
pub mod store;
#[cfg(feature = "testing")]
#[cfg_attr(docsrs, doc(cfg(feature = "testing")))]
pub mod testing;
mod token;
#[cfg(feature = "tower")]
#[cfg_attr(docsrs, doc(cfg(feature = "tower")))]
pub mod tower;
mod unauthorized;
#[cfg(feature = "anyhow")]
mod unauthorized_anyhow;

pub use any_source::AnySource;
#[cfg(feature = "reqwest")]
#[cfg_attr(docsrs, doc(cfg(feature = "reqwest")))]
pub use bearer::BearerExt;
pub use cache::{CacheStats, TokenCache, TokenCacheBuilder, TokenFuture};
pub use error::{AuthError, AuthErrorKind, SourceError};
#[cfg(any(feature = "reqwest-middleware", feature = "tower"))]
#[cfg_attr(
    docsrs,
    doc(cfg(any(feature = "reqwest-middleware", feature = "tower")))
)]
pub use origin::OriginError;
pub use partition::{TokenCaches, TokenCachesBuilder};
pub use reason::RefreshReason;
pub use secret::{AccessToken, ClientSecret, RefreshToken};
pub use source::{SourceFn, TokenSource, source_fn};
pub use store::{FileStore, MemoryStore, OutagePolicy, StoreError, StoreLock, TokenStore};
pub use token::{Token, TokenBuilder};
pub use unauthorized::{NonceDemand, Unauthorized};

/// Keeps a method's access token fresh and retries it once after a 401.
///
/// Put it on an `async fn` (a method or a free function) with a parameter marked `#[token]`,
/// or on a non-async fn for blocking code (see [Blocking code](#blocking-code-reqwestblocking-ureq)).
/// Before the body runs, the parameter receives a fresh access token from the
/// [`TokenCache`] named by `cache = ...`; callers no longer pass it, because the parameter
/// disappears from the signature. When the body returns an error that says the server
/// answered 401 ([`Unauthorized`]), the token it used is
/// [invalidated](TokenCache::invalidate) and the body runs once more with a new token.
///
// The example sends with reqwest, which a build without the `reqwest` feature lacks: there it
// is shown, not compiled.
#[cfg_attr(feature = "reqwest", doc = "```no_run")]
#[cfg_attr(not(feature = "reqwest"), doc = "```text")]
/// use freshtoken::{AuthError, Token, TokenCache, TokenSource, Unauthorized, refresh_token};
/// use reqwest::header::AUTHORIZATION;
///
/// #[derive(Debug)]
/// pub enum ApiError {
///     Auth(AuthError),
///     Http(reqwest::Error),
/// }
/// impl From<AuthError> for ApiError {
///     fn from(error: AuthError) -> Self { ApiError::Auth(error) }
/// }
/// impl From<reqwest::Error> for ApiError {
///     fn from(error: reqwest::Error) -> Self { ApiError::Http(error) }
/// }
/// impl Unauthorized for ApiError {
///     fn is_unauthorized(&self) -> bool {
///         matches!(self, ApiError::Http(error) if error.is_unauthorized())
///     }
/// }
///
/// pub struct TasksClient<S> {
///     http: reqwest::Client,
///     auth: TokenCache<S>,
/// }
///
/// impl<S: TokenSource> TasksClient<S> {
///     /// Lists one page of tasks.
///     #[refresh_token(cache = self.auth)]
///     pub async fn list_tasks(&self, #[token] token: &Token, page: u32) -> Result<String, ApiError> {
///         let response = self.http
///             .get(format!("https://tasks.example/tasks?page={page}"))
///             .header(AUTHORIZATION, token.authorization().clone())
///             .send()
///             .await?
///             .error_for_status()?; // a 401 becomes an error that `is_unauthorized`
///         Ok(response.text().await?)
///     }
/// }
///
/// # async fn demo<S: TokenSource>(client: TasksClient<S>) -> Result<(), ApiError> {
/// let page = client.list_tasks(2).await?; // no token argument
/// # let _ = page; Ok(()) }
/// ```
///
/// # Arguments
///
/// - `cache = EXPR` (required): any expression that gives a `TokenCache`, a reference to one,
///   or an `Arc` of one. It may use `self` and the other parameters, and is evaluated once per
///   call.
/// - `retry = false`: no retry after a 401; the body runs exactly once, so it may consume its
///   arguments, and the error type need not implement [`Unauthorized`].
///
/// On an `impl` block (inherent or trait impl), the attribute wraps every fn in it, async or
/// not, that has a `#[token]` parameter and leaves the rest alone; a method's own
/// `#[refresh_token(...)]` overrides the block's arguments.
///
/// # Blocking code: `reqwest::blocking`, ureq
///
/// On a non-async fn, the attribute blocks on the token
/// ([`TokenCache::blocking_token`]) and runs the body in a closure, once more after a 401,
/// by the same policy. The refresh runs on the cache's runtime: a program with none builds
/// the cache with [`build_with_own_runtime`](TokenCacheBuilder::build_with_own_runtime).
/// Called on a thread of a tokio runtime, the fn returns
/// [`AuthErrorKind::BlockingInAsyncContext`] as its error at once, without running the body.
/// With ureq, the body sets the header the same way
/// (`.header("Authorization", token.authorization().to_str()?)`) and maps a 401 to an error
/// whose [`Unauthorized`] says so.
///
// As above: reqwest's blocking client is compiled only with the `reqwest` feature.
#[cfg_attr(feature = "reqwest", doc = "```no_run")]
#[cfg_attr(not(feature = "reqwest"), doc = "```text")]
/// use freshtoken::{AuthError, Token, TokenCache, TokenSource, Unauthorized, refresh_token};
/// use reqwest::header::AUTHORIZATION;
///
/// #[derive(Debug)]
/// pub enum ApiError {
///     Auth(AuthError),
///     Http(reqwest::Error),
/// }
/// impl From<AuthError> for ApiError {
///     fn from(error: AuthError) -> Self { ApiError::Auth(error) }
/// }
/// impl From<reqwest::Error> for ApiError {
///     fn from(error: reqwest::Error) -> Self { ApiError::Http(error) }
/// }
/// impl Unauthorized for ApiError {
///     fn is_unauthorized(&self) -> bool {
///         matches!(self, ApiError::Http(error) if error.is_unauthorized())
///     }
/// }
///
/// pub struct TasksClient<S> {
///     http: reqwest::blocking::Client,
///     auth: TokenCache<S>,
/// }
///
/// impl<S: TokenSource> TasksClient<S> {
///     /// Lists one page of tasks, blocking.
///     #[refresh_token(cache = self.auth)]
///     pub fn list_tasks(&self, #[token] token: &Token, page: u32) -> Result<String, ApiError> {
///         let response = self.http
///             .get(format!("https://tasks.example/tasks?page={page}"))
///             .header(AUTHORIZATION, token.authorization().clone())
///             .send()?
///             .error_for_status()?; // a 401 becomes an error that `is_unauthorized`
///         Ok(response.text()?)
///     }
/// }
///
/// fn main() -> Result<(), Box<dyn std::error::Error>> {
///     let source = freshtoken::source_fn(|_previous| async { Token::builder("t").build() });
///     let client = TasksClient {
///         http: reqwest::blocking::Client::new(),
///         // No runtime in this program: the cache starts one for its refreshes.
///         auth: TokenCache::builder(source).build_with_own_runtime()?,
///     };
///     let page = client.list_tasks(2); // a plain call: no `.await`
///     # let _ = page;
///     Ok(())
/// }
/// ```
///
/// # The `#[token]` parameter
///
/// Exactly one parameter, with a plain name, of type `&AccessToken`, `AccessToken`,
/// `&Token`, `Token` or `Arc<Token>`. `&Token` gives the prebuilt `Authorization` header
/// value.
///
/// # The return type
///
/// `Result<T, E>` (under any alias), where `E: From<AuthError>` (a failed refresh is returned
/// as `E`) and, unless `retry = false`, `E: Unauthorized`.
///
/// # Equivalent code without `#[refresh_token]`
///
/// The attribute writes this loop for you; the retry policy itself lives in the runtime. For
/// a non-async fn the loop is the same with `auth.blocking_token()?` for the token and a
/// closure, called at once, for the body.
///
/// ```
/// use freshtoken::{AccessToken, AuthError, TokenCache, TokenSource, Unauthorized};
///
/// async fn fetch<S: TokenSource>(auth: &TokenCache<S>, page: u32) -> Result<String, AuthError> {
///     let mut retried = false;
///     loop {
///         let used = auth.token().await?;
///         let token: &AccessToken = used.access_token();
///         let result: Result<String, AuthError> = async {
///             // ...the body, which may run twice...
///             Ok(format!("page {page} with a {}-byte token", token.expose_secret().len()))
///         }
///         .await;
///         match &result {
///             Err(error) if error.is_unauthorized() => {
///                 auth.invalidate(&used); // only if it is still the current token
///                 if retried {
///                     return result;
///                 }
///                 retried = true;
///             }
///             _ => return result,
///         }
///     }
/// }
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// # let cache = TokenCache::new(freshtoken::source_fn(|_| async { freshtoken::Token::builder("t").build() }));
/// # assert_eq!(fetch(&cache, 1).await.unwrap(), "page 1 with a 1-byte token");
/// # }
/// ```
///
/// # Limits
///
/// With retry on, the body may run twice, so it cannot move an argument out; clone it, or
/// write `retry = false`:
///
/// ```compile_fail
/// # use freshtoken::{AccessToken, AuthError, TokenCache, TokenSource, refresh_token};
/// #[refresh_token(cache = auth)]
/// async fn upload<S: TokenSource>(
///     auth: &TokenCache<S>,
///     body: Vec<u8>,
///     #[token] token: &AccessToken,
/// ) -> Result<Vec<u8>, AuthError> {
///     Ok(body) // error: use of moved value `body` (in the previous iteration of the loop)
/// }
/// ```
///
/// A non-async fn must return the `Result` itself; one that returns a future it builds by
/// hand is refused (write `async fn`):
///
/// ```compile_fail
/// # use std::future::Future;
/// # use freshtoken::{AccessToken, AuthError, TokenCache, TokenSource, refresh_token};
/// #[refresh_token(cache = auth)]
/// fn fetch<S: TokenSource>(
///     auth: &TokenCache<S>,
///     #[token] token: &AccessToken,
/// ) -> impl Future<Output = Result<(), AuthError>> {
///     async { Ok(()) }
/// }
/// ```
///
/// With `#[async_trait]`, put `#[refresh_token]` on the `impl` block **above**
/// `#[async_trait]`, so it sees the `async fn`s before they are boxed; below it, it is a
/// compile error that says so.
///
/// A `&mut self` method whose body calls another `&mut self` method cannot also borrow the
/// cache from `self`: give the attribute a clone (`cache = self.auth.clone()`, one `Arc`
/// increment) or hold the cache outside the mutable state.
#[doc(inline)]
pub use freshtoken_macros::refresh_token;

#[doc = include_str!("client/attribute.md")]
#[cfg(feature = "reqwest")]
#[cfg_attr(docsrs, doc(cfg(feature = "reqwest")))]
#[doc(inline)]
pub use freshtoken_macros::client;

/// Compiles the README's examples as doctests, so the front page cannot drift from the API.
/// They use every integration, so they are compiled when every feature is on (as CI does).
#[cfg(all(
    doctest,
    feature = "reqwest-middleware",
    feature = "anyhow",
    feature = "tonic",
    feature = "jsonwebtoken",
    feature = "redis",
    feature = "rmcp",
    feature = "dpop"
))]
#[doc = include_str!("../../README.md")]
struct ReadmeExamples;
