//! Assertions and token exchange against the reference server over real HTTP:
//! `private_key_jwt` with either audience, the JWT bearer grant with an assertion from
//! elsewhere, the token exchange grant (RFC 8693) with subject and actor tokens from other
//! caches, and a grant of the user's own sent with `GrantRequest`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use crate::common::{self, Oauth};
use freshtoken::oauth::{
    ClientAuth, GrantRequest, Issuer, JwtBearerGrant, JwtSigner, PasswordGrant, TokenExchangeGrant,
    TokenSupplier, Url,
};
use freshtoken::{AuthErrorKind, Token, TokenCache, TokenSource};
use freshtoken_examples::server::{
    DEMO_CONFIDENTIAL_CLIENT_ID as BACKEND_ID, DEMO_CONFIDENTIAL_CLIENT_SECRET as BACKEND_SECRET,
    DEMO_PUBLIC_CLIENT_ID as CLI_ID, OAuthClient, ServerConfig,
};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::task::JoinSet;

const RSA_PRIVATE: &[u8] = include_bytes!("keys/test-only-rsa-private.pem");
const RSA_PUBLIC: &str = include_str!("keys/test-only-rsa-public.pem");
const JWT_CLIENT: &str = "svc-rsa";

fn url(oauth: &Oauth, path: &str) -> Url {
    format!("{}{path}", oauth.base_url).parse().unwrap()
}

fn access(token: &Token) -> &str {
    token.access_token().expose_secret()
}

/// The default server plus a client that signs with the test-only RSA key.
async fn start() -> Oauth {
    let mut config = ServerConfig::default();
    config
        .clients
        .push(OAuthClient::with_jwt_keys(JWT_CLIENT, [RSA_PUBLIC]));
    Oauth::start(config).await
}

fn private_key_jwt() -> ClientAuth {
    ClientAuth::private_key_jwt(JWT_CLIENT, JwtSigner::rs256_pem(RSA_PRIVATE).unwrap())
}

async fn password_login(oauth: &Oauth, client: ClientAuth) -> Result<Token, freshtoken::AuthError> {
    PasswordGrant::new(url(oauth, "/oauth/token"), client, "alice", "wonderland")
        .fetch(None)
        .await
}

#[tokio::test]
async fn private_key_jwt_for_the_token_endpoint_or_the_issuer_is_accepted_and_another_audience_refused()
 {
    let oauth = start().await;
    let for_endpoint = password_login(&oauth, private_key_jwt()).await.unwrap();
    assert_eq!(
        oauth.tasks_status(access(&for_endpoint)).await,
        StatusCode::OK
    );

    let issuer = oauth.base_url.clone();
    let for_issuer = password_login(&oauth, private_key_jwt().audience(issuer))
        .await
        .unwrap();
    assert_eq!(
        oauth.tasks_status(access(&for_issuer)).await,
        StatusCode::OK
    );

    let elsewhere = private_key_jwt().audience("https://elsewhere.example/oauth/token");
    let error = password_login(&oauth, elsewhere).await.unwrap_err();
    assert!(
        matches!(error.kind(), AuthErrorKind::InvalidClient { .. }),
        "{error}"
    );
    assert!(error.to_string().contains("aud"), "{error}");
}

/// The claims of a JWT, read without verifying it.
fn claims_of(jwt: &str) -> Value {
    use base64::Engine as _;
    let payload = jwt.split('.').nth(1).unwrap();
    let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .unwrap();
    serde_json::from_slice(&payload).unwrap()
}

/// An assertion signed by `svc-rsa` about itself, for the server's token endpoint, valid
/// on the server's clock; a fresh `jti` each time.
fn external_assertion(oauth: &Oauth) -> String {
    static JTI: AtomicU64 = AtomicU64::new(0);
    let now = oauth.clock.now().as_secs();
    let claims = json!({
        "iss": JWT_CLIENT,
        "sub": JWT_CLIENT,
        "aud": format!("{}/oauth/token", oauth.base_url),
        "iat": now,
        "exp": now + 300,
        "jti": format!("external-{}", JTI.fetch_add(1, Ordering::Relaxed)),
    });
    let key = EncodingKey::from_rsa_pem(RSA_PRIVATE).unwrap();
    jsonwebtoken::encode(&Header::new(Algorithm::RS256), &claims, &key).unwrap()
}

/// A JWT bearer grant whose assertions come from `external_assertion`, counting the calls.
fn supplied_assertion_grant(oauth: &Arc<Oauth>, calls: &Arc<AtomicUsize>) -> JwtBearerGrant {
    let (oauth_for_supplier, calls) = (Arc::clone(oauth), Arc::clone(calls));
    let supplier = TokenSupplier::from_fn(move || {
        calls.fetch_add(1, Ordering::SeqCst);
        let assertion = external_assertion(&oauth_for_supplier);
        async move { Ok(assertion) }
    });
    JwtBearerGrant::with_assertion(url(oauth, "/oauth/token"), ClientAuth::none(), supplier)
}

#[tokio::test]
async fn the_jwt_bearer_grant_sends_a_supplied_assertion_once_per_token_request_for_a_herd() {
    let oauth = Arc::new(start().await);
    let calls = Arc::new(AtomicUsize::new(0));
    let cache = quick_cache(supplied_assertion_grant(&oauth, &calls));

    let mut herd = JoinSet::new();
    for _ in 0..100 {
        let cache = cache.clone();
        herd.spawn(async move { cache.token().await.unwrap() });
    }
    let tokens = herd.join_all().await;
    let first = &tokens[0];
    assert!(tokens.iter().all(|token| access(token) == access(first)));
    assert_eq!(
        calls.load(Ordering::SeqCst),
        1,
        "one assertion for one request"
    );
    assert_eq!(oauth.server.stats().access_tokens_issued, 1);
    assert_eq!(oauth.tasks_status(access(first)).await, StatusCode::OK);

    // Each renewal asks for a new assertion (the server refuses a `jti` twice).
    cache.refresh().await.unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    assert_eq!(oauth.server.stats().access_tokens_issued, 2);
}

#[tokio::test]
async fn the_jwt_bearer_grant_asks_for_the_scopes_of_a_step_up_with_a_new_assertion() {
    let oauth = Arc::new(start().await);
    let calls = Arc::new(AtomicUsize::new(0));
    let source = supplied_assertion_grant(&oauth, &calls).scopes(["tasks.read"]);
    let token = source.fetch(None).await.unwrap();
    assert_eq!(token.scope(), Some("tasks.read"));
    let wider = ["tasks.read".to_owned(), "tasks.write".to_owned()];
    let token = source
        .fetch_with_scopes(Some(&token), &wider)
        .await
        .unwrap();
    assert_eq!(token.scope(), Some("tasks.read tasks.write"));
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

/// A cache without the default 1 s between two refreshes, which the tests would wait for.
fn quick_cache<S: TokenSource>(source: S) -> TokenCache<S> {
    TokenCache::builder(source)
        .min_refresh_interval(Duration::ZERO)
        .build()
}

/// A cache of alice's tokens (the subject) and one of `svc-rsa`'s own (the actor).
fn subject_and_actor(oauth: &Oauth) -> (TokenCache<PasswordGrant>, TokenCache<JwtBearerGrant>) {
    let user = quick_cache(PasswordGrant::new(
        url(oauth, "/oauth/token"),
        ClientAuth::public(CLI_ID),
        "alice",
        "wonderland",
    ));
    let service = TokenCache::new(JwtBearerGrant::new(
        url(oauth, "/oauth/token"),
        ClientAuth::none(),
        JwtSigner::rs256_pem(RSA_PRIVATE).unwrap(),
        JWT_CLIENT,
        JWT_CLIENT,
    ));
    (user, service)
}

fn backend() -> ClientAuth {
    ClientAuth::basic(BACKEND_ID, BACKEND_SECRET)
}

#[tokio::test]
async fn token_exchange_gets_a_delegated_token_for_an_audience_from_two_caches() {
    let oauth = start().await;
    let (user, service) = subject_and_actor(&oauth);
    let source = TokenExchangeGrant::new(
        url(&oauth, "/oauth/token"),
        backend(),
        TokenSupplier::cache(user.clone()),
    )
    .actor(TokenSupplier::cache(service.clone()))
    .audience("billing")
    .scopes(["tasks.read"]);
    let billing_cache = TokenCache::new(source.clone());

    // A token for `billing`, not for the Tasks API: read, not used.
    let exchanged = billing_cache.token().await.unwrap();
    let claims = claims_of(access(&exchanged));
    assert_eq!(claims["sub"], "alice");
    assert_eq!(claims["act"]["sub"], JWT_CLIENT);
    assert_eq!(claims["aud"], "billing");
    assert_eq!(claims["scope"], "tasks.read");
    assert_ne!(access(&exchanged), access(&user.token().await.unwrap()));

    // A step-up exchanges again, for the wider scopes, with the caches' current tokens.
    let wider = ["tasks.read".to_owned(), "tasks.write".to_owned()];
    let stepped = source.fetch_with_scopes(None, &wider).await.unwrap();
    assert_eq!(
        claims_of(access(&stepped))["scope"],
        "tasks.read tasks.write"
    );
    assert_eq!(
        (user.stats().refreshes, service.stats().refreshes),
        (1, 1),
        "the subject and actor tokens came from their caches"
    );
}

#[tokio::test]
async fn token_exchange_for_a_resource_and_its_refusals() {
    let oauth = start().await;
    let (user, _) = subject_and_actor(&oauth);
    let exchange = |subject: TokenSupplier| {
        TokenExchangeGrant::new(url(&oauth, "/oauth/token"), backend(), subject)
    };
    let for_resource = exchange(TokenSupplier::cache(user.clone()))
        .param("resource", "https://api.example/tasks")
        .fetch(None)
        .await
        .unwrap();
    assert_eq!(
        claims_of(access(&for_resource))["aud"],
        "https://api.example/tasks"
    );

    let bad_target = exchange(TokenSupplier::cache(user.clone()))
        .param("resource", "not a uri")
        .fetch(None)
        .await
        .unwrap_err();
    assert!(
        matches!(bad_target.kind(), AuthErrorKind::Rejected { .. }),
        "{bad_target}"
    );
    // Refused before it is sent (the server's own `invalid_target` is in
    // `oauth_server/token_exchange.rs`).
    assert!(
        bad_target
            .to_string()
            .starts_with("not sent: the resource indicator"),
        "{bad_target}"
    );

    let forged = "subject-SECRET-not-a-token";
    let refused = exchange(TokenSupplier::from_fn(move || async move {
        Ok(forged.to_owned())
    }))
    .fetch(None)
    .await
    .unwrap_err();
    assert!(refused.is_retryable(), "{refused}");
    assert!(
        !format!("{refused} {refused:?}").contains("SECRET"),
        "{refused}"
    );
}

/// Revokes `token` at the server, behind the back of the cache that holds it.
async fn revoke(oauth: &Oauth, token: &Token) {
    let revoked = oauth
        .post_form(
            "/oauth/revoke",
            common::ClientAuth::Public(CLI_ID),
            &[("token", access(token))],
        )
        .await;
    assert_eq!(revoked.status, StatusCode::OK, "{revoked:?}");
}

#[tokio::test]
async fn a_refused_subject_token_is_renewed_by_its_cache_and_the_next_exchange_succeeds() {
    let oauth = start().await;
    let (user, _) = subject_and_actor(&oauth);
    let source = TokenExchangeGrant::new(
        url(&oauth, "/oauth/token"),
        backend(),
        TokenSupplier::cache(user.clone()),
    );
    revoke(&oauth, &user.token().await.unwrap()).await;

    let refused = source.fetch(None).await.unwrap_err();
    assert!(refused.is_retryable(), "{refused}");
    assert!(refused.to_string().contains("asked for anew"), "{refused}");
    let exchanged = source.fetch(None).await.unwrap();
    assert_eq!(claims_of(access(&exchanged))["sub"], "alice");
    assert_eq!(
        user.stats().refreshes,
        2,
        "the subject's cache renewed its token"
    );
}

#[tokio::test]
async fn issuer_metadata_gives_a_token_exchange_source() {
    let oauth = start().await;
    let (user, _) = subject_and_actor(&oauth);
    let issuer = Issuer::new(oauth.base_url.parse().unwrap());
    let source = issuer
        .token_exchange(backend(), TokenSupplier::cache(user))
        .await
        .unwrap();
    let token = source.fetch(None).await.unwrap();
    assert_eq!(claims_of(access(&token))["sub"], "alice");
}

/// A grant of the user's own, built with `GrantRequest`: here RFC 8693 by hand, with a
/// grant type the server does not know as its failure.
struct HandMadeExchange {
    token_url: Url,
    client: ClientAuth,
    subject: String,
    grant_type: &'static str,
}

impl TokenSource for HandMadeExchange {
    async fn fetch(&self, _previous: Option<&Token>) -> Result<Token, freshtoken::AuthError> {
        GrantRequest::new(self.token_url.clone(), &self.client)
            .field("grant_type", self.grant_type)
            .secret_field("subject_token", &self.subject)
            .field(
                "subject_token_type",
                "urn:ietf:params:oauth:token-type:access_token",
            )
            .send()
            .await
    }
}

#[tokio::test]
async fn a_grant_of_the_users_own_gets_tokens_through_a_cache_with_grant_request() {
    let oauth = start().await;
    let (user, _) = subject_and_actor(&oauth);
    let subject = access(&user.token().await.unwrap()).to_owned();
    let hand_made = HandMadeExchange {
        token_url: url(&oauth, "/oauth/token"),
        client: private_key_jwt(),
        subject: subject.clone(),
        grant_type: "urn:ietf:params:oauth:grant-type:token-exchange",
    };
    let token = TokenCache::new(hand_made).token().await.unwrap();
    assert_eq!(oauth.tasks_status(access(&token)).await, StatusCode::OK);

    let unknown = HandMadeExchange {
        token_url: url(&oauth, "/oauth/token"),
        client: backend(),
        subject,
        grant_type: "urn:example:grant-type:unknown",
    };
    let error = unknown.fetch(None).await.unwrap_err();
    assert!(
        matches!(error.kind(), AuthErrorKind::Rejected { .. }),
        "{error}"
    );
    assert!(
        error.to_string().contains("unsupported_grant_type"),
        "{error}"
    );
}
