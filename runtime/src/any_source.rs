// Input: any `TokenSource`, chosen at run time.
// Output: one concrete source type, so `TokenCache<AnySource>` and the client types around it
// need no type parameter and no hand-written enum of auth modes.

use std::any::type_name;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use crate::{AuthError, Token, TokenSource};

/// The boxed future an erased source returns: `TokenSource::fetch` returns `impl Future`,
/// which a trait object cannot, so the object-safe twin boxes it.
type FetchFuture<'a> = Pin<Box<dyn Future<Output = Result<Token, AuthError>> + Send + 'a>>;

/// `TokenSource` in a form that can sit behind `dyn`.
trait ErasedSource: Send + Sync + 'static {
    fn fetch_boxed<'a>(&'a self, previous: Option<&'a Token>) -> FetchFuture<'a>;

    /// The wrapped type's name, for `Debug`: a type name carries no secret, unlike the
    /// source's fields.
    fn source_type(&self) -> &'static str;

    fn grant_type(&self) -> &'static str;
}

impl<S: TokenSource> ErasedSource for S {
    fn fetch_boxed<'a>(&'a self, previous: Option<&'a Token>) -> FetchFuture<'a> {
        Box::pin(self.fetch(previous))
    }

    fn source_type(&self) -> &'static str {
        type_name::<S>()
    }

    fn grant_type(&self) -> &'static str {
        TokenSource::grant_type(self)
    }
}

/// Any [`TokenSource`], its type erased, so the auth mode can be chosen at run time.
///
/// A client that accepts several logins (an API key exchange, a refresh token from a
/// config file, a test double) can hold a `TokenCache<AnySource>` instead of a type
/// parameter or an enum with one variant per source. Cloning is one `Arc` increment; each
/// refresh costs one boxed future, which next to a token request is nothing.
///
/// ```
/// use std::time::Duration;
/// use freshtoken::{AnySource, Token, TokenCache, source_fn};
///
/// fn login(mode: &str) -> AnySource {
///     match mode {
///         "static" => AnySource::new(source_fn(|_| async {
///             Token::builder("static-token").build()
///         })),
///         _ => AnySource::new(source_fn(|_| async {
///             Token::builder("short-lived").expires_in(Duration::from_secs(300)).build()
///         })),
///     }
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), freshtoken::AuthError> {
/// let cache: TokenCache<AnySource> = TokenCache::new(login("static"));
/// assert_eq!(cache.token().await?.access_token().expose_secret(), "static-token");
/// # Ok(())
/// # }
/// ```
///
/// `Debug` shows only the wrapped type's name, never its fields.
#[derive(Clone)]
pub struct AnySource {
    inner: Arc<dyn ErasedSource>,
}

impl AnySource {
    /// Wraps `source`.
    pub fn new<S: TokenSource>(source: S) -> Self {
        Self {
            inner: Arc::new(source),
        }
    }

    /// The type name of the wrapped source, as `Debug` shows it.
    #[must_use]
    pub fn source_type(&self) -> &'static str {
        self.inner.source_type()
    }
}

/// Shares a source that is already in an `Arc` (no second allocation).
impl<S: TokenSource> From<Arc<S>> for AnySource {
    fn from(source: Arc<S>) -> Self {
        Self { inner: source }
    }
}

/// Takes a boxed source as it is.
impl<S: TokenSource> From<Box<S>> for AnySource {
    fn from(source: Box<S>) -> Self {
        let source: Arc<S> = Arc::from(source);
        Self { inner: source }
    }
}

impl TokenSource for AnySource {
    async fn fetch(&self, previous: Option<&Token>) -> Result<Token, AuthError> {
        self.inner.fetch_boxed(previous).await
    }

    fn grant_type(&self) -> &'static str {
        self.inner.grant_type()
    }
}

impl fmt::Debug for AnySource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AnySource")
            .field("source", &self.source_type())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;
    use std::time::Duration;

    use super::*;
    use crate::TokenCache;

    /// A source that hands out `<name>-<n>` and records the previous token it was given.
    struct Counting {
        name: &'static str,
        issued: Mutex<u32>,
        previous_seen: Mutex<Vec<Option<String>>>,
        secret: &'static str,
    }

    impl Counting {
        fn new(name: &'static str) -> Arc<Self> {
            Arc::new(Self {
                name,
                issued: Mutex::new(0),
                previous_seen: Mutex::new(Vec::new()),
                secret: "client-secret-value",
            })
        }
    }

    impl TokenSource for Counting {
        async fn fetch(&self, previous: Option<&Token>) -> Result<Token, AuthError> {
            let _ = self.secret;
            self.previous_seen
                .lock()
                .unwrap()
                .push(previous.map(|t| t.access_token().expose_secret().to_owned()));
            let n = {
                let mut issued = self.issued.lock().unwrap();
                *issued += 1;
                *issued
            };
            Token::builder(format!("{}-{n}", self.name))
                .expires_in(Duration::from_secs(3600))
                .build()
        }
    }

    /// The auth mode is picked from data, as a config file would.
    fn pick(mode: &str, api_key: &Arc<Counting>, refresh: &Arc<Counting>) -> AnySource {
        match mode {
            "api-key" => AnySource::from(Arc::clone(api_key)),
            _ => AnySource::from(Arc::clone(refresh)),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn caches_of_erased_sources_refresh_through_each() {
        let api_key = Counting::new("api-key");
        let refresh = Counting::new("refresh");
        let caches: Vec<TokenCache<AnySource>> = ["api-key", "refresh"]
            .into_iter()
            .map(|mode| TokenCache::new(pick(mode, &api_key, &refresh)))
            .collect();

        for (cache, expected) in caches.iter().zip(["api-key-1", "refresh-1"]) {
            let token = cache.token().await.unwrap();
            assert_eq!(token.access_token().expose_secret(), expected);
            // Cached: no second fetch.
            let again = cache.token().await.unwrap();
            assert_eq!(again.access_token().expose_secret(), expected);
            assert!(cache.invalidate(&again));
        }
        for (cache, expected) in caches.iter().zip(["api-key-2", "refresh-2"]) {
            let token = cache.token().await.unwrap();
            assert_eq!(token.access_token().expose_secret(), expected);
            assert_eq!(cache.stats().refreshes, 2);
        }
        // The erased source passes the previous token through to the real one.
        assert_eq!(
            *api_key.previous_seen.lock().unwrap(),
            [None, Some("api-key-1".to_owned())]
        );
        assert_eq!(
            *refresh.previous_seen.lock().unwrap(),
            [None, Some("refresh-1".to_owned())]
        );
    }

    #[test]
    fn debug_names_the_type_and_shows_no_field() {
        let fields = || Counting {
            name: "n",
            issued: Mutex::new(0),
            previous_seen: Mutex::new(Vec::new()),
            secret: "client-secret-value",
        };
        let boxed = format!("{:?}", AnySource::from(Box::new(fields())));
        let source = AnySource::new(fields());
        let shown = format!("{source:?}");
        assert_eq!(boxed, shown);
        assert!(shown.starts_with("AnySource { source: \""), "{shown}");
        assert!(shown.contains("Counting"), "{shown}");
        assert!(!shown.contains("client-secret-value"), "{shown}");
        assert_eq!(format!("{:?}", source.clone()), shown);
    }
}
