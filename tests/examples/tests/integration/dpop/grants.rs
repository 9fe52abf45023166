//! Every grant of the runtime's own sources, given a key with `.dpop(key)`, gets tokens bound
//! to it over real HTTP: what the server saw (its stats), what the client holds (a `DPoP`
//! token with its key), and the bound token at work through the generated Tasks client.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::stepped_clock::on_stepped_clock;
use freshtoken::dpop::DpopKey;
use freshtoken::oauth::resource::ProtectedResource;
use freshtoken::oauth::{
    AuthorizationCodePkce, ClientAuth, ClientCredentials, DeviceCodeGrant, GrantRequest, Issuer,
    JwtBearerGrant, JwtSigner, PasswordGrant, RefreshTokenGrant, TokenExchangeGrant, TokenSupplier,
    Url,
};
use freshtoken::{AuthError, Token, TokenCache, TokenSource};
use freshtoken_examples::mcp_client::browser;
use freshtoken_examples::server::{
    DEMO_CONFIDENTIAL_CLIENT_ID, DEMO_CONFIDENTIAL_CLIENT_SECRET, DEMO_PUBLIC_CLIENT_ID,
    DpopConfig, OAuthClient, RunningServer, ServerConfig, start,
};
use freshtoken_examples::trait_sdk::{NewTask, Tasks, TasksClient};
use tokio::sync::mpsc::UnboundedReceiver;

use super::{login, server_with};

/// The reference server's URL for `path`.
fn url(server: &RunningServer, path: &str) -> Url {
    format!("{}{path}", server.base_url()).parse().unwrap()
}

/// The demo confidential client, by HTTP Basic.
fn backend() -> ClientAuth {
    ClientAuth::basic(DEMO_CONFIDENTIAL_CLIENT_ID, DEMO_CONFIDENTIAL_CLIENT_SECRET)
}

/// The generated Tasks client at `server` over `cache`.
fn tasks_client<S: TokenSource>(server: &RunningServer, cache: &TokenCache<S>) -> TasksClient<S> {
    TasksClient::builder(server.base_url(), cache.clone())
        .build()
        .expect("the base URL is valid")
}

/// `token` is a `DPoP` token bound to `key`.
#[track_caller]
fn assert_bound_to(token: &Token, key: &DpopKey) {
    assert_eq!(token.token_type(), "DPoP");
    let held = token.dpop_key().expect("a bound token keeps its key");
    assert_eq!(held.thumbprint(), key.thumbprint());
}

/// A cache that holds `token` and renews it with a refresh-only source, for a token that
/// another flow obtained.
fn cache_of(server: &RunningServer, token: Token) -> TokenCache<RefreshTokenGrant> {
    let source = RefreshTokenGrant::new(
        url(server, "/oauth/token"),
        ClientAuth::public(DEMO_PUBLIC_CLIENT_ID),
    );
    TokenCache::builder(source).token(token).build()
}

#[tokio::test]
async fn client_credentials_with_a_key_gets_a_bound_token_the_tasks_api_takes() {
    let server = server_with(DpopConfig::default()).await;
    let key = DpopKey::generate().unwrap();
    let source = ClientCredentials::new(url(&server, "/oauth/token"), backend()).dpop(key.clone());
    let cache = TokenCache::new(source);

    let token = cache.token().await.unwrap();
    assert_bound_to(&token, &key);
    assert!(token.refresh_token().is_none());

    // The client's own token is a session of the client at the Tasks API, with its own
    // tasks.
    let client = tasks_client(&server, &cache);
    client
        .create_task(&NewTask { title: "nightly" })
        .await
        .unwrap();
    let tasks = client.list_tasks().await.unwrap();
    assert_eq!(tasks.len(), 1);

    let stats = server.stats();
    assert_eq!(stats.dpop_bound_tokens_issued, 1);
    assert_eq!(stats.dpop_proofs_refused, 0);
    assert_eq!(stats.token_endpoint_use_dpop_nonce, 0);
    assert_eq!(cache.stats().refreshes, 1);
}

#[tokio::test]
async fn client_credentials_resends_once_with_the_token_endpoints_nonce() {
    let server = server_with(DpopConfig {
        nonce_required_at_token_endpoint: true,
        ..DpopConfig::default()
    })
    .await;
    let key = DpopKey::generate().unwrap();
    let source = ClientCredentials::new(url(&server, "/oauth/token"), backend()).dpop(key.clone());

    let token = source.fetch(None).await.unwrap();
    assert_bound_to(&token, &key);
    let stats = server.stats();
    assert_eq!(stats.token_endpoint_use_dpop_nonce, 1, "one resend");
    assert_eq!(stats.dpop_bound_tokens_issued, 1);
    assert_eq!(stats.dpop_proofs_refused, 0);
}

/// A device source at `server` that sends each user code it shows to `user_codes`. Its
/// requests may take an hour: the stepped clock moves while they are in flight.
fn device_source(
    server: &RunningServer,
    user_codes: tokio::sync::mpsc::UnboundedSender<String>,
) -> DeviceCodeGrant {
    DeviceCodeGrant::new(
        url(server, "/oauth/device_authorization"),
        url(server, "/oauth/token"),
        ClientAuth::public(DEMO_PUBLIC_CLIENT_ID),
        move |login| {
            let _ = user_codes.send(login.user_code.clone());
        },
    )
    .timeout(Duration::from_secs(3600))
}

#[tokio::test]
async fn a_device_login_with_a_key_gets_a_bound_token_and_refreshes_it_with_that_key() {
    let server = start(ServerConfig {
        device_poll_interval: Duration::ZERO,
        ..ServerConfig::default()
    })
    .await
    .unwrap();
    let key = DpopKey::generate().unwrap();
    let (user_codes, mut shown) = tokio::sync::mpsc::unbounded_channel();
    let source = device_source(&server, user_codes).dpop(key.clone());
    let http = reqwest::Client::new();
    let approve_url = url(&server, "/oauth/device/approve");
    let user = async {
        let user_code = shown.recv().await.unwrap();
        let approved = http
            .post(approve_url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(
                serde_urlencoded::to_string([
                    ("user_code", user_code.as_str()),
                    ("approve", "true"),
                ])
                .unwrap(),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(approved.status(), reqwest::StatusCode::NO_CONTENT);
    };
    // The first poll comes after 5 s, of a stepped clock.
    let (token, ()) = on_stepped_clock(async { tokio::join!(source.login(), user) }).await;
    let token = token.unwrap();
    assert_bound_to(&token, &key);
    assert!(token.refresh_token().is_some());

    // The access token is spent; the bound refresh token renews it through the cache.
    let cache = TokenCache::builder(source).token(token.clone()).build();
    assert!(cache.invalidate(&cache.token().await.unwrap()));
    let client = tasks_client(&server, &cache);
    client.create_task(&NewTask { title: "tv" }).await.unwrap();
    assert_eq!(client.list_tasks().await.unwrap().len(), 1);

    let renewed = cache.cached().unwrap();
    assert_ne!(
        renewed.access_token().expose_secret(),
        token.access_token().expose_secret()
    );
    assert_bound_to(&renewed, &key);
    let stats = server.stats();
    assert_eq!(stats.refreshes, 1);
    assert_eq!(
        stats.dpop_bound_tokens_issued, 2,
        "the login and the refresh"
    );
    assert_eq!(stats.dpop_proofs_refused, 0);
}

/// A PKCE source at `server` bound to `key`, and where it shows its authorize URL.
fn pkce_source(
    server: &RunningServer,
    key: &DpopKey,
) -> (AuthorizationCodePkce, UnboundedReceiver<Url>) {
    let (urls, shown) = tokio::sync::mpsc::unbounded_channel();
    let source = AuthorizationCodePkce::new(
        url(server, "/oauth/authorize"),
        url(server, "/oauth/token"),
        ClientAuth::public(DEMO_PUBLIC_CLIENT_ID),
        move |url| {
            let _ = urls.send(url.clone());
        },
    )
    .login_timeout(Duration::from_secs(10))
    .dpop(key.clone());
    (source, shown)
}

/// `source`'s login, the stand-in browser given the authorize URL (received on `shown`) as
/// `rewrite` makes it: the URL as shown, and the login's result.
async fn browser_login(
    source: &AuthorizationCodePkce,
    mut shown: UnboundedReceiver<Url>,
    rewrite: impl FnOnce(Url) -> Url,
) -> (Url, Result<Token, AuthError>) {
    let browser = async {
        let authorize = shown.recv().await.unwrap();
        browser::consent(rewrite(authorize.clone())).await.unwrap();
        authorize
    };
    let (token, authorize) = tokio::join!(source.login(), browser);
    (authorize, token)
}

/// The `dpop_jkt` values of `url`.
fn dpop_jkts(url: &Url) -> Vec<String> {
    url.query_pairs()
        .filter(|(name, _)| name == "dpop_jkt")
        .map(|(_, value)| value.into_owned())
        .collect()
}

#[tokio::test]
async fn a_pkce_login_with_a_key_binds_its_code_and_its_tokens_to_the_key() {
    let server = server_with(DpopConfig::default()).await;
    let key = DpopKey::generate().unwrap();
    let (source, shown) = pkce_source(&server, &key);
    let (authorize, token) = browser_login(&source, shown, |url| url).await;

    assert_eq!(dpop_jkts(&authorize), [key.thumbprint()]);
    let token = token.unwrap();
    assert_bound_to(&token, &key);
    let cache = TokenCache::builder(source).token(token).build();
    let client = tasks_client(&server, &cache);
    client
        .create_task(&NewTask { title: "browser" })
        .await
        .unwrap();
    assert_eq!(client.list_tasks().await.unwrap().len(), 1);
    let stats = server.stats();
    assert_eq!(stats.dpop_bound_tokens_issued, 1);
    assert_eq!(stats.dpop_proofs_refused, 0);
}

#[tokio::test]
async fn a_code_bound_to_another_key_is_refused_at_the_exchange() {
    let server = server_with(DpopConfig::default()).await;
    let own_key = DpopKey::generate().unwrap();
    let other_key = DpopKey::generate().unwrap();
    // The code is bound to `other_key`, as if another client had asked for it; this
    // source's proof is by `own_key`.
    let rebind = |mut url: Url| {
        let pairs: Vec<(String, String)> = url
            .query_pairs()
            .map(|(name, value)| {
                let value = if name == "dpop_jkt" {
                    other_key.thumbprint().to_owned()
                } else {
                    value.into_owned()
                };
                (name.into_owned(), value)
            })
            .collect();
        url.query_pairs_mut().clear().extend_pairs(pairs);
        url
    };
    let (source, shown) = pkce_source(&server, &own_key);
    let (_, token) = browser_login(&source, shown, rebind).await;

    let error = token.unwrap_err();
    assert!(error.needs_reauthentication(), "{error:?}");
    let message = error.to_string();
    assert!(message.contains("invalid_grant"), "{message}");
    assert!(message.contains("dpop_jkt"), "{message}");
    assert_eq!(server.stats().dpop_bound_tokens_issued, 0);
}

/// A server (DPoP as `dpop`) that also knows `svc-rsa`, a client that signs JWTs with the
/// test-only RSA key.
async fn server_with_jwt_client(dpop: DpopConfig) -> RunningServer {
    let mut config = ServerConfig {
        dpop,
        ..ServerConfig::default()
    };
    config.clients.push(OAuthClient::with_jwt_keys(
        "svc-rsa",
        [include_str!("../keys/test-only-rsa-public.pem")],
    ));
    start(config).await.unwrap()
}

/// `svc-rsa`'s signer.
fn svc_rsa_signer() -> JwtSigner {
    JwtSigner::rs256_pem(include_bytes!("../keys/test-only-rsa-private.pem")).unwrap()
}

#[tokio::test]
async fn a_jwt_bearer_grant_with_a_key_gets_a_bound_token() {
    let server = server_with_jwt_client(DpopConfig::default()).await;
    let key = DpopKey::generate().unwrap();
    let source = JwtBearerGrant::new(
        url(&server, "/oauth/token"),
        ClientAuth::none(),
        svc_rsa_signer(),
        "svc-rsa",
        "svc-rsa",
    )
    .dpop(key.clone());
    let cache = TokenCache::new(source);

    let client = tasks_client(&server, &cache);
    client
        .create_task(&NewTask { title: "report" })
        .await
        .unwrap();
    assert_eq!(client.list_tasks().await.unwrap().len(), 1);
    assert_bound_to(&cache.cached().unwrap(), &key);
    let stats = server.stats();
    assert_eq!(stats.dpop_bound_tokens_issued, 1);
    assert_eq!(stats.dpop_proofs_refused, 0);
}

#[tokio::test]
async fn a_token_exchange_with_a_key_gets_a_bound_token_for_the_subject() {
    let server = server_with(DpopConfig::default()).await;
    let alice = TokenCache::new(PasswordGrant::new(
        url(&server, "/oauth/token"),
        backend(),
        "alice",
        "wonderland",
    ));
    tasks_client(&server, &alice)
        .create_task(&NewTask { title: "hers" })
        .await
        .unwrap();
    let key = DpopKey::generate().unwrap();
    let exchange = TokenExchangeGrant::new(
        url(&server, "/oauth/token"),
        backend(),
        TokenSupplier::cache(alice.clone()),
    )
    .dpop(key.clone());
    let cache = TokenCache::new(exchange);

    // The exchanged token acts as alice: it sees her task.
    let tasks = tasks_client(&server, &cache).list_tasks().await.unwrap();
    assert_eq!(tasks.len(), 1);
    assert_eq!(tasks[0].title, "hers");
    assert_bound_to(&cache.cached().unwrap(), &key);
    assert_eq!(alice.cached().unwrap().token_type(), "Bearer");
    let stats = server.stats();
    assert_eq!(
        stats.dpop_bound_tokens_issued, 1,
        "the exchanged token only"
    );
    assert_eq!(stats.dpop_proofs_refused, 0);
}

#[tokio::test]
async fn a_refresh_only_source_refreshes_a_bound_token_with_its_own_key_not_the_sources() {
    let server = server_with(DpopConfig::default()).await;
    let login_key = DpopKey::generate().unwrap();
    let token = login(&server, &login_key).fetch(None).await.unwrap();
    assert_bound_to(&token, &login_key);

    let other_key = DpopKey::generate().unwrap();
    let source = RefreshTokenGrant::new(
        url(&server, "/oauth/token"),
        ClientAuth::public(DEMO_PUBLIC_CLIENT_ID),
    )
    .dpop(other_key);
    let cache = TokenCache::builder(source).token(token.clone()).build();
    assert!(cache.invalidate(&cache.token().await.unwrap()));
    tasks_client(&server, &cache).list_tasks().await.unwrap();

    let renewed = cache.cached().unwrap();
    assert_ne!(
        renewed.access_token().expose_secret(),
        token.access_token().expose_secret()
    );
    assert_bound_to(&renewed, &login_key);
    let stats = server.stats();
    assert_eq!(stats.refreshes, 1);
    assert_eq!(stats.dpop_proofs_refused, 0, "the refresh was not refused");
    assert_eq!(
        stats.dpop_bound_tokens_issued, 2,
        "the login and the refresh"
    );
}

#[tokio::test]
async fn a_grant_request_of_ones_own_with_a_key_gets_a_bound_token() {
    let server = server_with(DpopConfig {
        nonce_required_at_token_endpoint: true,
        ..DpopConfig::default()
    })
    .await;
    let key = DpopKey::generate().unwrap();
    let client = ClientAuth::public(DEMO_PUBLIC_CLIENT_ID);
    let token = GrantRequest::new(url(&server, "/oauth/token"), &client)
        .field("grant_type", "password")
        .field("username", "alice")
        .secret_field("password", "wonderland")
        .dpop(key.clone())
        .send()
        .await
        .unwrap();
    assert_bound_to(&token, &key);

    let cache = cache_of(&server, token);
    let api = tasks_client(&server, &cache);
    api.create_task(&NewTask { title: "by hand" })
        .await
        .unwrap();
    assert_eq!(api.list_tasks().await.unwrap().len(), 1);
    let stats = server.stats();
    assert_eq!(stats.token_endpoint_use_dpop_nonce, 1, "one resend");
    assert_eq!(stats.dpop_bound_tokens_issued, 1);
    assert_eq!(stats.dpop_proofs_refused, 0);
    assert_eq!(cache.stats().refreshes, 0, "the token given is used");
}

#[tokio::test]
async fn the_sources_an_issuer_with_a_key_builds_get_tokens_bound_to_it() {
    let server = server_with(DpopConfig::default()).await;
    let key = DpopKey::generate().unwrap();
    let issuer = Issuer::new(server.issuer().parse().unwrap()).dpop(key.clone());

    let service = issuer.client_credentials(backend()).await.unwrap();
    assert_bound_to(&service.fetch(None).await.unwrap(), &key);

    let alice = issuer
        .password_grant(
            ClientAuth::public(DEMO_PUBLIC_CLIENT_ID),
            "alice",
            "wonderland",
        )
        .await
        .unwrap();
    let cache = TokenCache::new(alice);
    tasks_client(&server, &cache).list_tasks().await.unwrap();
    assert_bound_to(&cache.cached().unwrap(), &key);

    let exchange = issuer
        .token_exchange(backend(), TokenSupplier::cache(cache.clone()))
        .await
        .unwrap();
    assert_bound_to(&exchange.fetch(None).await.unwrap(), &key);

    let (urls, shown) = tokio::sync::mpsc::unbounded_channel();
    let browser_source = issuer
        .authorization_code_pkce(ClientAuth::public(DEMO_PUBLIC_CLIENT_ID), move |url| {
            let _ = urls.send(url.clone());
        })
        .await
        .unwrap()
        .login_timeout(Duration::from_secs(10));
    let (authorize, token) = browser_login(&browser_source, shown, |url| url).await;
    assert_eq!(dpop_jkts(&authorize), [key.thumbprint()]);
    assert_bound_to(&token.unwrap(), &key);

    let stats = server.stats();
    assert_eq!(stats.dpop_bound_tokens_issued, 4);
    assert_eq!(stats.dpop_proofs_refused, 0);
}

#[tokio::test]
async fn the_sources_of_a_protected_resource_discovered_with_a_key_get_tokens_bound_to_it() {
    let server = server_with(DpopConfig::default()).await;
    let key = DpopKey::generate().unwrap();
    let resource = ProtectedResource::builder(url(&server, "/tasks"))
        .dpop(key.clone())
        .discover()
        .await
        .unwrap();
    let source = resource.client_credentials(backend()).await.unwrap();
    let cache = TokenCache::new(source);

    tasks_client(&server, &cache).list_tasks().await.unwrap();
    let token = cache.cached().unwrap();
    assert_bound_to(&token, &key);
    assert_eq!(token.resource(), Some(resource.resource()));
    let stats = server.stats();
    assert_eq!(stats.dpop_bound_tokens_issued, 1);
    assert_eq!(stats.dpop_proofs_refused, 0);
}

/// A client assertion (`private_key_jwt`) is single-use: a server that authenticates the
/// client before it asks for a DPoP nonce has spent it by then, so the resend needs a new one.
#[tokio::test]
async fn a_private_key_jwt_client_signs_a_new_assertion_for_the_nonce_resend() {
    let server = server_with_jwt_client(DpopConfig {
        nonce_required_at_token_endpoint: true,
        ..DpopConfig::default()
    })
    .await;
    let key = DpopKey::generate().unwrap();
    let source = ClientCredentials::new(
        url(&server, "/oauth/token"),
        ClientAuth::private_key_jwt("svc-rsa", svc_rsa_signer()),
    )
    .dpop(key.clone());

    let token = source.fetch(None).await.unwrap();
    assert_bound_to(&token, &key);
    let stats = server.stats();
    assert_eq!(stats.token_endpoint_use_dpop_nonce, 1, "one resend");
    assert_eq!(stats.dpop_bound_tokens_issued, 1);
}

/// Stops a spawned server when the test ends, also by a panic.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// A token endpoint on 127.0.0.1 that asks for a DPoP nonce, then refuses the resend as
/// `invalid_client` quoting the client assertion back; it keeps each one sent.
async fn echoing_token_endpoint() -> (Url, Arc<Mutex<Vec<String>>>, AbortOnDrop) {
    use axum::http::{HeaderMap, StatusCode};
    use axum::response::IntoResponse;

    let sent = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&sent);
    let route = move |body: String| {
        let seen = Arc::clone(&seen);
        async move {
            let form: Vec<(String, String)> = serde_urlencoded::from_str(&body).unwrap();
            let assertion = form
                .into_iter()
                .find(|(name, _)| name == "client_assertion")
                .map(|(_, value)| value)
                .unwrap_or_default();
            let description = format!("assertion {assertion}");
            let mut seen = seen.lock().unwrap();
            seen.push(assertion);
            let mut headers = HeaderMap::new();
            headers.insert("dpop-nonce", "the-nonce".parse().unwrap());
            let answer = if seen.len() == 1 {
                serde_json::json!({ "error": "use_dpop_nonce" })
            } else {
                serde_json::json!({ "error": "invalid_client", "error_description": description })
            };
            (StatusCode::BAD_REQUEST, headers, axum::Json(answer)).into_response()
        }
    };
    let app = axum::Router::new().route("/token", axum::routing::post(route));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let token_url = format!("http://{}/token", listener.local_addr().unwrap());
    let server = tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    (token_url.parse().unwrap(), sent, AbortOnDrop(server))
}

#[tokio::test]
async fn a_refusal_after_the_nonce_resend_quotes_neither_client_assertion() {
    let (token_url, sent, _server) = echoing_token_endpoint().await;
    let source = ClientCredentials::new(
        token_url,
        ClientAuth::private_key_jwt("svc-rsa", svc_rsa_signer()),
    )
    .dpop(DpopKey::generate().unwrap());

    let error = source.fetch(None).await.unwrap_err();
    let sent = sent.lock().unwrap().clone();
    assert_eq!(sent.len(), 2, "one resend");
    assert_ne!(sent[0], sent[1], "the resend signs a new assertion");
    let shown = format!("{error} {error:?}");
    assert!(shown.contains("assertion [redacted]"), "{shown}");
    for assertion in &sent {
        // Its start: an error message shows the server's words cut short.
        let start = assertion.get(..24).expect("an assertion was sent");
        assert!(!shown.contains(start), "{shown}");
    }
}
