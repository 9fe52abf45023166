//! A partition's handle (`caches.cache(&user)`) drives whatever a `TokenCache` drives: a
//! generated client, a `#[refresh_token]` method, the reqwest-middleware `BearerAuth`, the
//! tower `BearerLayer`. In each, a 401 is answered by one refresh of that user's partition,
//! and another user's partition is untouched.

use std::convert::Infallible;

use bytes::Bytes;
use freshtoken::middleware::BearerAuth;
use freshtoken::tower::BearerLayer;
use freshtoken::{AuthError, Token, TokenCache, TokenCaches, Unauthorized, refresh_token};
use freshtoken_tests::user_source::UserSource;
use freshtoken_tests::user_tokens::UserTokenServer;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Empty};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use reqwest::header::AUTHORIZATION;
use tower::{Layer as _, ServiceExt as _};

use super::{HOUR, bounded, caches_at, token_of};

/// The API, as a generated client.
#[freshtoken::client]
pub trait Whoami {
    /// The name of the user whose token the call carries.
    #[get("/api")]
    async fn whoami(&self) -> Result<String>;
}

/// Alice and Bob logged in; Alice's access tokens then revoked, so her next call gets a 401.
async fn alice_revoked(
    server: &UserTokenServer,
) -> (TokenCaches<String, UserSource>, String, String) {
    let caches = caches_at(server).build();
    let alices = token_of(&caches, "alice").await;
    let bobs = token_of(&caches, "bob").await;
    server.revoke("alice");
    (caches, alices, bobs)
}

/// After Alice's call: one 401, one refresh of Alice's partition to a new token, nothing asked
/// for Bob and Bob's token the same.
async fn assert_only_alice_refreshed(
    server: &UserTokenServer,
    caches: &TokenCaches<String, UserSource>,
    (alices, bobs): (&str, &str),
) {
    assert_eq!(server.api_unauthorized(), 1, "one 401");
    let alice = server.requests("alice");
    assert_eq!(
        (alice.logins, alice.refreshes, alice.api_accepted),
        (1, 1, 1)
    );
    assert_ne!(
        token_of(caches, "alice").await,
        alices,
        "alice's token renewed"
    );
    assert_eq!(
        server.requests("bob").token_requests,
        1,
        "nothing asked for bob"
    );
    assert_eq!(
        token_of(caches, "bob").await,
        bobs,
        "bob's partition untouched"
    );
}

#[tokio::test]
async fn a_handle_drives_a_generated_client() {
    bounded(async {
        let server = UserTokenServer::start(HOUR).await;
        let (caches, alices, bobs) = alice_revoked(&server).await;
        let client = WhoamiClient::builder(server.base_url(), caches.cache(&"alice".to_owned()))
            .build()
            .expect("a valid base URL");

        assert_eq!(client.whoami().await.expect("the call succeeds"), "alice");
        assert_only_alice_refreshed(&server, &caches, (&alices, &bobs)).await;
    })
    .await;
}

#[derive(Debug)]
enum CallError {
    Auth(AuthError),
    Http(reqwest::Error),
}

impl From<AuthError> for CallError {
    fn from(error: AuthError) -> Self {
        Self::Auth(error)
    }
}

impl From<reqwest::Error> for CallError {
    fn from(error: reqwest::Error) -> Self {
        Self::Http(error)
    }
}

impl std::fmt::Display for CallError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Auth(error) => write!(f, "no token: {error}"),
            Self::Http(error) => write!(f, "the call failed: {error}"),
        }
    }
}

impl Unauthorized for CallError {
    fn is_unauthorized(&self) -> bool {
        matches!(self, Self::Http(error) if error.is_unauthorized())
    }
}

/// A hand-written client of one user's calls.
struct UserClient {
    http: reqwest::Client,
    api_url: String,
    auth: TokenCache<UserSource>,
}

impl UserClient {
    #[refresh_token(cache = self.auth)]
    async fn whoami(&self, #[token] token: &Token) -> Result<String, CallError> {
        let response = self
            .http
            .get(&self.api_url)
            .header(AUTHORIZATION, token.authorization().clone())
            .send()
            .await?
            .error_for_status()?;
        Ok(response.text().await?)
    }
}

#[tokio::test]
async fn a_handle_drives_a_refresh_token_method() {
    bounded(async {
        let server = UserTokenServer::start(HOUR).await;
        let (caches, alices, bobs) = alice_revoked(&server).await;
        let client = UserClient {
            http: reqwest::Client::new(),
            api_url: server.api_url(),
            auth: caches.cache(&"alice".to_owned()),
        };

        assert_eq!(client.whoami().await.expect("the call succeeds"), "alice");
        assert_only_alice_refreshed(&server, &caches, (&alices, &bobs)).await;
    })
    .await;
}

#[tokio::test]
async fn a_handle_drives_the_bearer_auth_middleware() {
    bounded(async {
        let server = UserTokenServer::start(HOUR).await;
        let (caches, alices, bobs) = alice_revoked(&server).await;
        let auth = BearerAuth::new(caches.cache(&"alice".to_owned()), server.base_url())
            .expect("the server's URL");
        let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
            .with(auth)
            .build();

        let response = client
            .get(server.api_url())
            .send()
            .await
            .expect("an answer");
        assert_eq!(response.status(), reqwest::StatusCode::OK);
        assert_eq!(response.text().await.expect("the body"), "alice");
        assert_only_alice_refreshed(&server, &caches, (&alices, &bobs)).await;
    })
    .await;
}

#[tokio::test]
async fn a_handle_drives_the_tower_bearer_layer() {
    bounded(async {
        let server = UserTokenServer::start(HOUR).await;
        let (caches, alices, bobs) = alice_revoked(&server).await;
        let http = Client::builder(TokioExecutor::new()).build_http::<BoxBody<Bytes, Infallible>>();
        let client = BearerLayer::new(caches.cache(&"alice".to_owned()), server.base_url())
            .expect("the server's URL")
            .layer(http);

        let request = http::Request::get(server.api_url())
            .body(Empty::new().boxed())
            .expect("a valid request");
        let response = client.oneshot(request).await.expect("an answer");
        assert_eq!(response.status(), http::StatusCode::OK);
        let body = response
            .into_body()
            .collect()
            .await
            .expect("the body")
            .to_bytes();
        assert_eq!(&body[..], b"alice");
        assert_only_alice_refreshed(&server, &caches, (&alices, &bobs)).await;
    })
    .await;
}
