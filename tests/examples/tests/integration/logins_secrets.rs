//! No secret of a login reaches a log line or an error's text when freshtoken's login sources
//! run against the reference server: passwords, the client secret, authorization codes,
//! access and refresh tokens, whether the flow succeeds or is refused. The subscriber is this
//! thread's, and the server runs on this thread too.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::common::{self, Logs, Oauth};
use freshtoken::oauth::resource::{ClientRegistration, RegisteredClient};
use freshtoken::oauth::{
    AuthorizationCodePkce, ClientAuth, DeviceCodeGrant, GrantRequest, Issuer, JwtBearerGrant,
    JwtSigner, PasswordGrant, TokenExchangeGrant, TokenSupplier, Url,
};
use freshtoken::{Token, TokenCache, TokenSource};
use freshtoken_examples::server::{
    DEMO_CONFIDENTIAL_CLIENT_ID as BACKEND_ID, DEMO_CONFIDENTIAL_CLIENT_SECRET as BACKEND_SECRET,
    DEMO_PUBLIC_CLIENT_ID as CLI_ID, OAuthClient, ServerConfig,
};

/// What a test saw: secrets to look for, and the text of every error.
#[derive(Default)]
struct Seen {
    secrets: Vec<String>,
    errors: Vec<String>,
}

impl Seen {
    fn token(&mut self, token: &Token) {
        self.secrets
            .push(token.access_token().expose_secret().to_owned());
        if let Some(refresh) = token.refresh_token() {
            self.secrets.push(refresh.expose_secret().to_owned());
        }
    }

    fn error(&mut self, error: &freshtoken::AuthError) {
        self.errors.push(format!("{error} {error:?}"));
    }
}

fn url(oauth: &Oauth, path: &str) -> Url {
    format!("{}{path}", oauth.base_url).parse().unwrap()
}

#[tokio::test]
async fn no_secret_of_a_login_is_logged_or_shown() {
    let (logs, _guard) = Logs::capture();

    let mut config = ServerConfig {
        device_poll_interval: Duration::ZERO,
        ..ServerConfig::default()
    };
    config.clients.push(OAuthClient::with_jwt_keys(
        "svc-rsa",
        [include_str!("keys/test-only-rsa-public.pem")],
    ));
    let oauth = Oauth::start(config).await;
    let mut seen = Seen {
        secrets: vec![
            BACKEND_SECRET.into(),
            "wonderland".into(),
            "not-wonderland".into(),
        ],
        ..Seen::default()
    };

    password_flows(&oauth, &mut seen).await;
    pkce_flow(&oauth, &mut seen).await;
    device_flow(&oauth, &mut seen).await;
    jwt_flow(&oauth, &mut seen).await;
    exchange_flows(&oauth, &mut seen).await;
    registration_flow(&oauth, &mut seen).await;
    from_a_url_flow(&oauth, &mut seen).await;
    dpop_flow(&mut seen).await;

    let logs = logs.text();
    // The watch saw freshtoken at work, not an empty log.
    assert!(logs.contains("token refreshed"), "nothing captured: {logs}");
    for secret in &seen.secrets {
        for text in std::iter::once(&logs).chain(&seen.errors) {
            assert!(
                !text.contains(secret.as_str()),
                "a secret leaked into: {text}"
            );
        }
    }
}

/// DPoP: a key from PEM, nonces at both sides, a bound token used and refreshed, and a
/// resource that keeps demanding its nonce. The private key (each line of its PEM) and the
/// tokens never show. Proofs hold no secret (the token only as its hash) but can be replayed
/// within their `iat` window where a server keeps no `jti` list, so none is logged either:
/// the base64 of every proof's header start is looked for too.
async fn dpop_flow(seen: &mut Seen) {
    use freshtoken::dpop::DpopKey;
    use freshtoken_examples::server::DpopConfig;
    use freshtoken_examples::trait_sdk::{Tasks as _, TasksClient};

    const PEM: &str = include_str!("keys/test-only-ec-p256-private.pem");
    seen.secrets.extend(
        PEM.lines()
            .filter(|line| !line.starts_with("-----"))
            .map(str::to_owned),
    );
    // `{"typ":"dpop+jwt",` in base64url: the start of every proof.
    seen.secrets.push("eyJ0eXAiOiJkcG9wK2p3dCIs".into());

    for resource_always_demands_nonce in [false, true] {
        // The system clock: proofs carry the real time.
        let server = freshtoken_examples::server::start(ServerConfig {
            dpop: DpopConfig {
                nonce_required_at_token_endpoint: true,
                nonce_required_at_resource: true,
                resource_always_demands_nonce,
                ..DpopConfig::default()
            },
            ..ServerConfig::default()
        })
        .await
        .unwrap();
        let key = DpopKey::from_pem(PEM).unwrap();
        seen.errors.push(format!("{key:?}"));
        let source = PasswordGrant::new(
            format!("{}/oauth/token", server.base_url())
                .parse()
                .unwrap(),
            ClientAuth::public(CLI_ID),
            "alice",
            "wonderland",
        )
        .dpop(key);
        let cache = TokenCache::new(source);
        let client = TasksClient::builder(server.base_url(), cache.clone())
            .build()
            .unwrap();
        let listed = client.list_tasks().await;
        let token = cache.cached().unwrap();
        seen.token(&token);
        seen.errors.push(format!("{token:?}"));
        match listed {
            Ok(_) => {
                // A refresh with the bound refresh token.
                assert!(cache.invalidate(&token));
                client.list_tasks().await.unwrap();
                seen.token(&cache.cached().unwrap());
            }
            Err(error) => seen.errors.push(format!("{error} {error:?}")),
        }
        server.shutdown().await;
    }
}

/// A registered confidential client, its secret and registration access token shown in
/// `Debug`, kept in a store, used for a login and refused with a wrong secret.
async fn registration_flow(oauth: &Oauth, seen: &mut Seen) {
    let issuer = Issuer::new(oauth.base_url.parse().unwrap());
    let server = issuer.metadata().await.unwrap();
    let store = freshtoken::MemoryStore::default();
    let client = ClientRegistration::new("Tasks backend")
        .grant_types(["password", "refresh_token"])
        .token_endpoint_auth_method("client_secret_basic")
        .register_once(&store, server)
        .await
        .unwrap();
    let secret = client.client_secret().unwrap().expose_secret().to_owned();
    seen.secrets.push(secret.clone());
    seen.errors.push(format!("{client:?}"));
    let source = PasswordGrant::new(
        url(oauth, "/oauth/token"),
        client.client_auth().unwrap(),
        "alice",
        "wonderland",
    );
    seen.errors.push(format!("{source:?}"));
    let cache = TokenCache::new(source);
    seen.token(&cache.token().await.unwrap());
    // The secret's last character changed: the server refuses the client.
    let mut wrong = secret;
    let last = if wrong.ends_with('A') { "B" } else { "A" };
    wrong.replace_range(wrong.len() - 1.., last);
    seen.secrets.push(wrong.clone());
    let refused = PasswordGrant::new(
        url(oauth, "/oauth/token"),
        ClientAuth::basic(client.client_id(), wrong),
        "alice",
        "wonderland",
    );
    seen.error(&refused.fetch(None).await.unwrap_err());
    // A registered client with a registration access token, as another server gives one.
    let with_token = RegisteredClient::from_json(
        br#"{"client_id": "c", "client_secret": "kept-secret-1", "registration_access_token": "rat-secret-2"}"#,
    )
    .unwrap();
    seen.secrets.push("kept-secret-1".into());
    seen.secrets.push("rat-secret-2".into());
    seen.errors.push(format!("{with_token:?}"));
}

/// From the Tasks API's URL: discovery, a confidential registration kept in a store, a PKCE
/// login for the resource with `tasks:read`, then a step-up when a call needs `tasks:write`.
async fn from_a_url_flow(oauth: &Oauth, seen: &mut Seen) {
    use freshtoken::oauth::resource::{ClientIdentity, ProtectedResource, RegistrationStore};
    use freshtoken_examples::trait_sdk::{NewTask, Tasks as _, TasksClient};

    let resource = ProtectedResource::discover(url(oauth, "/tasks"))
        .await
        .unwrap();
    let identity = ClientIdentity::new().registration(
        ClientRegistration::loopback("Tasks CLI").token_endpoint_auth_method("client_secret_basic"),
    );
    let store = freshtoken::MemoryStore::default();
    let client = resource.client(&identity, &store).await.unwrap();
    let registered = store
        .load_registration(resource.server_metadata().issuer())
        .await
        .unwrap()
        .expect("the registration is kept");
    seen.secrets.push(
        registered
            .client_secret()
            .unwrap()
            .expose_secret()
            .to_owned(),
    );
    let source = resource
        .authorization_code_pkce(client, |url| {
            let url = url.clone();
            tokio::spawn(async move { reqwest::get(url).await.map(drop) });
        })
        .await
        .unwrap()
        .scopes(["tasks:read"]);
    seen.errors.push(format!("{source:?}"));
    let cache = TokenCache::builder(source)
        .resource(resource.resource())
        .build();
    let tasks = TasksClient::builder(&oauth.base_url, cache.clone())
        .build()
        .unwrap();
    tasks.list_tasks().await.unwrap();
    seen.token(&cache.cached().unwrap());
    tasks
        .create_task(&NewTask {
            title: "after a step-up",
        })
        .await
        .unwrap();
    let wider = cache.cached().unwrap();
    assert_eq!(wider.scope(), Some("tasks:read tasks:write"));
    seen.token(&wider);
    seen.errors.push(format!("{cache:?} {resource:?}"));
}

/// Password grant, a refresh through the cache, a refused password, a logout.
async fn password_flows(oauth: &Oauth, seen: &mut Seen) {
    let source = PasswordGrant::new(
        url(oauth, "/oauth/token"),
        ClientAuth::basic(BACKEND_ID, BACKEND_SECRET),
        "alice",
        "wonderland",
    );
    let cache = TokenCache::new(source.clone());
    seen.token(&cache.token().await.unwrap());
    seen.token(&cache.refresh().await.unwrap());
    let refused = PasswordGrant::new(
        url(oauth, "/oauth/token"),
        ClientAuth::basic(BACKEND_ID, BACKEND_SECRET),
        "alice",
        "not-wonderland",
    );
    seen.error(&refused.fetch(None).await.unwrap_err());
    let issuer = Issuer::new(oauth.base_url.parse().unwrap());
    let revocation = issuer
        .revocation(ClientAuth::basic(BACKEND_ID, BACKEND_SECRET))
        .await
        .unwrap();
    let held = cache.cached().unwrap();
    revocation.log_out(&cache).await.unwrap();
    seen.error(&source.fetch(Some(&held)).await.unwrap_err());
}

/// PKCE: the code the browser carried is a secret too.
async fn pkce_flow(oauth: &Oauth, seen: &mut Seen) {
    let codes = Arc::new(Mutex::new(Vec::new()));
    let (urls, mut shown) = tokio::sync::mpsc::unbounded_channel::<Url>();
    let pkce = AuthorizationCodePkce::new(
        url(oauth, "/oauth/authorize"),
        url(oauth, "/oauth/token"),
        ClientAuth::public(CLI_ID),
        move |url| {
            let _ = urls.send(url.clone());
        },
    );
    let browser = async {
        let authorize = shown.recv().await.unwrap();
        let consent = oauth.http.get(authorize).send().await.unwrap();
        let location: Url = consent.headers()["location"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        if let Some((_, code)) = location.query_pairs().find(|(key, _)| key == "code") {
            codes.lock().unwrap().push(code.into_owned());
        }
        let _ = oauth.http.get(location).send().await;
    };
    let (token, ()) = tokio::join!(pkce.login(), browser);
    seen.token(&token.unwrap());
    seen.secrets.extend(codes.lock().unwrap().drain(..));
}

/// The device flow, approved.
async fn device_flow(oauth: &Oauth, seen: &mut Seen) {
    let (user_codes, mut user_code) = tokio::sync::mpsc::unbounded_channel();
    let device = DeviceCodeGrant::new(
        url(oauth, "/oauth/device_authorization"),
        url(oauth, "/oauth/token"),
        ClientAuth::public(CLI_ID),
        move |login| {
            let _ = user_codes.send(login.user_code.clone());
        },
    )
    // The clock is stepped while this request waits: an hour is out of its reach.
    .timeout(Duration::from_secs(3600));
    let user = async {
        let code = user_code.recv().await.unwrap();
        oauth
            .post_form(
                "/oauth/device/approve",
                common::ClientAuth::Anonymous,
                &[("user_code", code.as_str()), ("approve", "true")],
            )
            .await;
    };
    // The first poll comes after 5 s, of a stepped clock.
    let (token, ()) =
        crate::stepped_clock::on_stepped_clock(async { tokio::join!(device.login(), user) }).await;
    seen.token(&token.unwrap());
}

/// The JWT bearer grant.
async fn jwt_flow(oauth: &Oauth, seen: &mut Seen) {
    let jwt = JwtBearerGrant::new(
        url(oauth, "/oauth/token"),
        ClientAuth::none(),
        JwtSigner::rs256_pem(include_bytes!("keys/test-only-rsa-private.pem")).unwrap(),
        "svc-rsa",
        "svc-rsa",
    );
    seen.token(&jwt.fetch(None).await.unwrap());
}

/// Token exchange between two caches, a refused subject token, a supplied assertion, and a
/// grant of the user's own sent with `GrantRequest`.
async fn exchange_flows(oauth: &Oauth, seen: &mut Seen) {
    let token_url = url(oauth, "/oauth/token");
    let user = TokenCache::new(PasswordGrant::new(
        token_url.clone(),
        ClientAuth::basic(BACKEND_ID, BACKEND_SECRET),
        "alice",
        "wonderland",
    ));
    let service = TokenCache::new(PasswordGrant::new(
        token_url.clone(),
        ClientAuth::basic(BACKEND_ID, BACKEND_SECRET),
        "bob",
        "builder",
    ));
    let exchange = TokenExchangeGrant::new(
        token_url.clone(),
        ClientAuth::basic(BACKEND_ID, BACKEND_SECRET),
        TokenSupplier::cache(user.clone()),
    )
    .actor(TokenSupplier::cache(service.clone()));
    seen.token(&TokenCache::new(exchange).token().await.unwrap());
    seen.token(&user.token().await.unwrap());
    seen.token(&service.token().await.unwrap());

    let forged = "forged-subject-token";
    seen.secrets.push(forged.to_owned());
    let refused = TokenExchangeGrant::new(
        token_url.clone(),
        ClientAuth::basic(BACKEND_ID, BACKEND_SECRET),
        TokenSupplier::from_fn(move || async move { Ok(forged.to_owned()) }),
    );
    seen.error(&refused.fetch(None).await.unwrap_err());

    let assertion = "not-an-assertion-of-svc-rsa";
    seen.secrets.push(assertion.to_owned());
    let supplied = JwtBearerGrant::with_assertion(
        token_url.clone(),
        ClientAuth::none(),
        TokenSupplier::from_fn(move || async move { Ok(assertion.to_owned()) }),
    );
    seen.error(&supplied.fetch(None).await.unwrap_err());

    let subject = user.token().await.unwrap();
    let client = ClientAuth::basic(BACKEND_ID, BACKEND_SECRET);
    let own_grant = GrantRequest::new(token_url, &client)
        .field("grant_type", "urn:example:grant-type:unknown")
        .secret_field("subject_token", subject.access_token().expose_secret())
        .send()
        .await;
    seen.error(&own_grant.unwrap_err());
}
