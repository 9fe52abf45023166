//! The OAuth grant sources against a protected resource, over real HTTP on 127.0.0.1:
//! resource indicators (RFC 8707) on every request, scopes asked for by a step-up
//! (`fetch_with_scopes`), the `iss` of the PKCE redirect (RFC 9207), and the MCP 2025-03-26
//! discovery rules as an opt-in.

use std::time::Duration;

use freshtoken::oauth::{
    AuthorizationCodePkce, ClientAuth, ClientCredentials, DeviceCodeGrant, Issuer, PasswordGrant,
    RefreshTokenGrant,
};
use freshtoken::{AuthError, AuthErrorKind, Token, TokenSource};
use freshtoken_tests::stepped_clock::on_stepped_clock;
use httpmock::Method::POST;
use httpmock::{Mock, MockServer};
use serde_json::json;

const CLIENT_ID: &str = "mcp-cli";
const TOKEN_PATH: &str = "/oauth/token";
const AUTHORIZE_PATH: &str = "/oauth/authorize";
const DEVICE_PATH: &str = "/oauth/device_authorization";
const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";
const REFRESH_TOKEN: &str = "refresh-SECRET-1";

fn url(server: &MockServer, path: &str) -> reqwest::Url {
    server.url(path).parse().unwrap()
}

fn scopes(items: &[&str]) -> Vec<String> {
    items.iter().map(|&item| item.to_owned()).collect()
}

/// A token the cache held, with a refresh token.
fn previous() -> Token {
    Token::builder("access-SECRET-0")
        .expires_in(Duration::from_secs(3600))
        .refresh_token(REFRESH_TOKEN)
        .build()
        .unwrap()
}

fn assert_no_secrets(error: &AuthError) {
    let shown = format!("{error} {error:?}");
    assert!(!shown.contains("SECRET"), "a secret leaked: {shown}");
}

/// A token endpoint answering a POST whose form has every one of `fields`.
async fn token_endpoint<'s>(server: &'s MockServer, fields: &[(&str, &str)]) -> Mock<'s> {
    server
        .mock_async(|mut when, then| {
            when = when.method(POST).path(TOKEN_PATH);
            for (name, value) in fields {
                when = when.form_urlencoded_tuple(*name, *value);
            }
            then.status(200).json_body(json!({
                "access_token": "access-SECRET-1",
                "refresh_token": "refresh-SECRET-2",
                "expires_in": 3600,
            }));
        })
        .await
}

/// The value of query parameter `name` of `url`, if it has one.
fn query(url: &reqwest::Url, name: &str) -> Option<String> {
    url.query_pairs()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

/// A PKCE source whose "browser" is the test: the authorize URL goes to `urls`.
fn pkce_source(
    server: &MockServer,
    urls: tokio::sync::mpsc::UnboundedSender<reqwest::Url>,
) -> AuthorizationCodePkce {
    AuthorizationCodePkce::new(
        url(server, AUTHORIZE_PATH),
        url(server, TOKEN_PATH),
        ClientAuth::public(CLIENT_ID),
        move |url| {
            let _ = urls.send(url.clone());
        },
    )
    .login_timeout(Duration::from_secs(10))
}

/// What the browser does after the user's consent: goes to the authorize URL's redirect URI
/// with `query` (built from its `state`). Returns the authorize URL.
async fn redirect(
    urls: &mut tokio::sync::mpsc::UnboundedReceiver<reqwest::Url>,
    query_of: impl FnOnce(&str) -> String,
) -> reqwest::Url {
    let authorize = urls.recv().await.unwrap();
    let mut target: reqwest::Url = query(&authorize, "redirect_uri").unwrap().parse().unwrap();
    target.set_query(Some(&query_of(&query(&authorize, "state").unwrap())));
    reqwest::get(target).await.unwrap();
    authorize
}

/// A device authorization endpoint answering a request whose form has every one of
/// `fields`, and a token endpoint answering the device code grant.
async fn device_server(fields: &[(&str, &str)]) -> (MockServer, Vec<(String, String)>) {
    let server = MockServer::start_async().await;
    let fields: Vec<(String, String)> = fields
        .iter()
        .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
        .collect();
    server
        .mock_async(|mut when, then| {
            when = when.method(POST).path(DEVICE_PATH);
            for (name, value) in &fields {
                when = when.form_urlencoded_tuple(name, value);
            }
            then.status(200).json_body(json!({
                "device_code": "device-SECRET-1",
                "user_code": "WDJB-MJHT",
                "verification_uri": "https://auth.example/device",
                "expires_in": 60,
                "interval": 0,
            }));
        })
        .await;
    (server, fields)
}

fn device_source(server: &MockServer) -> DeviceCodeGrant {
    DeviceCodeGrant::new(
        url(server, DEVICE_PATH),
        url(server, TOKEN_PATH),
        ClientAuth::public(CLIENT_ID),
        |_| {},
    )
    // The stepped clock moves while a request is in flight.
    .timeout(Duration::from_secs(3600))
}

// ----- fetch_with_scopes: what a step-up asks of each source -----

#[tokio::test]
async fn client_credentials_with_scopes_asks_for_exactly_those_scopes() {
    let server = MockServer::start_async().await;
    let stepped_up = token_endpoint(
        &server,
        &[("grant_type", "client_credentials"), ("scope", "a b")],
    )
    .await;
    let source = ClientCredentials::new(
        url(&server, TOKEN_PATH),
        ClientAuth::basic("backend", "client-SECRET"),
    )
    .scopes(["a"]);

    source
        .fetch_with_scopes(None, &scopes(&["a", "b"]))
        .await
        .unwrap();
    // Usable again for a wider step-up, and for plain fetches with its own scopes.
    let wider = token_endpoint(&server, &[("scope", "a b c")]).await;
    source
        .fetch_with_scopes(None, &scopes(&["a", "b", "c"]))
        .await
        .unwrap();

    assert_eq!(stepped_up.calls_async().await, 1);
    assert_eq!(wider.calls_async().await, 1);
}

#[tokio::test]
async fn password_grant_with_scopes_logs_in_with_them_or_refreshes_keeping_them() {
    let server = MockServer::start_async().await;
    let login = token_endpoint(&server, &[("grant_type", "password"), ("scope", "a b")]).await;
    let refresh = token_endpoint(
        &server,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", REFRESH_TOKEN),
            ("scope", "a b"),
        ],
    )
    .await;
    let source = PasswordGrant::new(
        url(&server, TOKEN_PATH),
        ClientAuth::public(CLIENT_ID),
        "alice",
        "password-SECRET",
    );

    source
        .fetch_with_scopes(None, &scopes(&["a", "b"]))
        .await
        .unwrap();
    source
        .fetch_with_scopes(Some(&previous()), &scopes(&["a", "b"]))
        .await
        .unwrap();

    assert_eq!(login.calls_async().await, 1);
    assert_eq!(refresh.calls_async().await, 1);
}

#[tokio::test]
async fn refresh_grant_with_scopes_refreshes_with_them_and_without_a_refresh_token_asks_to_log_in()
{
    let server = MockServer::start_async().await;
    let refresh = token_endpoint(
        &server,
        &[("grant_type", "refresh_token"), ("scope", "a b")],
    )
    .await;
    let source = RefreshTokenGrant::new(url(&server, TOKEN_PATH), ClientAuth::public(CLIENT_ID));

    source
        .fetch_with_scopes(Some(&previous()), &scopes(&["a", "b"]))
        .await
        .unwrap();
    let error = source
        .fetch_with_scopes(None, &scopes(&["a", "b"]))
        .await
        .unwrap_err();

    assert_eq!(refresh.calls_async().await, 1);
    assert!(
        matches!(error.kind(), AuthErrorKind::ReauthenticationRequired { .. }),
        "{error}"
    );
    assert!(error.to_string().contains("log in"), "{error}");
}

#[tokio::test]
async fn pkce_with_scopes_logs_in_anew_asking_for_those_scopes_and_refreshes_keeping_them() {
    let server = MockServer::start_async().await;
    let exchange = token_endpoint(
        &server,
        &[("grant_type", "authorization_code"), ("scope", "a b")],
    )
    .await;
    let (urls, mut opened) = tokio::sync::mpsc::unbounded_channel();
    let source = pkce_source(&server, urls).scopes(["a"]);

    // A refresh token is not used to widen the grant: `previous` is None for a step-up.
    let wanted = scopes(&["a", "b"]);
    // Bounded: a source that never opens the browser would leave the "browser" waiting.
    let (token, authorize) = tokio::time::timeout(Duration::from_secs(10), async {
        tokio::join!(
            source.fetch_with_scopes(None, &wanted),
            redirect(&mut opened, |state| format!(
                "code=code-SECRET-1&state={state}"
            )),
        )
    })
    .await
    .expect("the step-up opened the browser");
    token.unwrap();
    assert_eq!(query(&authorize, "scope").as_deref(), Some("a b"));
    assert_eq!(exchange.calls_async().await, 1);

    let refresh = token_endpoint(
        &server,
        &[("grant_type", "refresh_token"), ("scope", "a b")],
    )
    .await;
    source
        .fetch_with_scopes(Some(&previous()), &scopes(&["a", "b"]))
        .await
        .unwrap();
    assert_eq!(refresh.calls_async().await, 1);
}

#[tokio::test]
async fn device_code_with_scopes_asks_the_device_authorization_for_those_scopes() {
    let (server, _) = device_server(&[("scope", "a b")]).await;
    let polled = token_endpoint(&server, &[("grant_type", DEVICE_GRANT)]).await;
    let source = device_source(&server).scopes(["a"]);

    on_stepped_clock(source.fetch_with_scopes(None, &scopes(&["a", "b"])))
        .await
        .unwrap();

    assert_eq!(polled.calls_async().await, 1);
}

// ----- the iss of the authorization response (RFC 9207) -----

/// Metadata that announces `iss` on the redirect, or not.
async fn metadata_announcing_iss(server: &MockServer, announced: bool) {
    let body = json!({
        "issuer": server.base_url(),
        "authorization_endpoint": server.url(AUTHORIZE_PATH),
        "token_endpoint": server.url(TOKEN_PATH),
        "code_challenge_methods_supported": ["S256"],
        "authorization_response_iss_parameter_supported": announced,
    });
    server
        .mock_async(|when, then| {
            when.path("/.well-known/oauth-authorization-server");
            then.status(200).json_body(body);
        })
        .await;
}

/// Logs in with a PKCE source from the metadata, the browser's redirect carrying `iss` (if
/// any); answers the login's outcome and how often the code was exchanged.
async fn login_with_iss(announced: bool, iss: Option<&str>) -> (Result<Token, AuthError>, usize) {
    let server = MockServer::start_async().await;
    metadata_announcing_iss(&server, announced).await;
    let exchange = token_endpoint(&server, &[("grant_type", "authorization_code")]).await;
    let (urls, mut opened) = tokio::sync::mpsc::unbounded_channel();
    let source = Issuer::new(server.base_url().parse().unwrap())
        .authorization_code_pkce(ClientAuth::public(CLIENT_ID), move |url| {
            let _ = urls.send(url.clone());
        })
        .await
        .unwrap()
        .login_timeout(Duration::from_secs(10));
    let iss = iss.map(|iss| iss.replace("{server}", &server.base_url()));
    let (outcome, _) = tokio::join!(
        source.login(),
        redirect(&mut opened, |state| {
            let mut query = format!("code=code-SECRET-1&state={state}");
            if let Some(iss) = &iss {
                query.push_str("&iss=");
                query.push_str(&iss.replace(':', "%3A").replace('/', "%2F"));
            }
            query
        }),
    );
    (outcome, exchange.calls_async().await)
}

#[tokio::test]
async fn a_redirect_whose_iss_is_another_issuer_fails_the_login_and_the_code_is_not_exchanged() {
    let (outcome, exchanges) = login_with_iss(true, Some("https://evil.example")).await;
    let error = outcome.unwrap_err();
    assert!(
        matches!(error.kind(), AuthErrorKind::Rejected { .. }),
        "{error}"
    );
    let message = error.to_string();
    assert!(
        message.contains("iss") && message.contains("https://evil.example"),
        "{message}"
    );
    assert_no_secrets(&error);
    assert_eq!(exchanges, 0);
}

#[tokio::test]
async fn a_redirect_without_iss_fails_the_login_when_the_server_announced_it() {
    let (outcome, exchanges) = login_with_iss(true, None).await;
    let error = outcome.unwrap_err();
    assert!(
        error
            .to_string()
            .contains("authorization_response_iss_parameter_supported"),
        "{error}"
    );
    assert_no_secrets(&error);
    assert_eq!(exchanges, 0);
}

#[tokio::test]
async fn an_iss_the_server_did_not_announce_is_still_compared_with_the_issuer() {
    let (outcome, exchanges) = login_with_iss(false, Some("https://evil.example")).await;
    assert!(outcome.is_err());
    assert_eq!(exchanges, 0);
    let (outcome, exchanges) = login_with_iss(false, None).await;
    outcome.unwrap();
    assert_eq!(exchanges, 1);
}

#[tokio::test]
async fn a_redirect_whose_iss_is_the_issuer_logs_in() {
    let (outcome, exchanges) = login_with_iss(true, Some("{server}")).await;
    outcome.unwrap();
    assert_eq!(exchanges, 1);
}

#[tokio::test]
async fn a_hand_built_source_told_its_issuer_requires_iss_and_compares_it() {
    let server = MockServer::start_async().await;
    let exchange = token_endpoint(&server, &[("grant_type", "authorization_code")]).await;
    let (urls, mut opened) = tokio::sync::mpsc::unbounded_channel();
    let source = pkce_source(&server, urls).expect_issuer("https://auth.example");

    for (iss, expected) in [
        ("", "has no `iss`"),
        (
            "&iss=https%3A%2F%2Fevil.example",
            "\"https://evil.example\"",
        ),
    ] {
        let (outcome, _) = tokio::join!(
            source.login(),
            redirect(&mut opened, |state| format!(
                "code=code-SECRET-1&state={state}{iss}"
            )),
        );
        let error = outcome.unwrap_err();
        assert!(error.to_string().contains(expected), "{error}");
        assert_no_secrets(&error);
    }
    assert_eq!(exchange.calls_async().await, 0);

    let (outcome, _) = tokio::join!(
        source.login(),
        redirect(&mut opened, |state| format!(
            "code=code-SECRET-1&state={state}&iss=https%3A%2F%2Fauth.example"
        )),
    );
    outcome.unwrap();
    assert_eq!(exchange.calls_async().await, 1);
}

// ----- resource indicators (RFC 8707) -----

const RESOURCE: &str = "https://mcp.example.com/mcp";

#[tokio::test]
async fn pkce_sends_resource_on_the_authorization_the_code_exchange_and_every_refresh() {
    let server = MockServer::start_async().await;
    let exchange = token_endpoint(
        &server,
        &[("grant_type", "authorization_code"), ("resource", RESOURCE)],
    )
    .await;
    let (urls, mut opened) = tokio::sync::mpsc::unbounded_channel();
    let source = pkce_source(&server, urls).resource(RESOURCE);

    let (token, authorize) = tokio::join!(
        source.login(),
        redirect(&mut opened, |state| format!(
            "code=code-SECRET-1&state={state}"
        )),
    );
    let token = token.unwrap();
    assert_eq!(query(&authorize, "resource").as_deref(), Some(RESOURCE));
    assert_eq!(exchange.calls_async().await, 1);
    assert_eq!(token.resource(), Some(RESOURCE));

    let refresh = token_endpoint(
        &server,
        &[("grant_type", "refresh_token"), ("resource", RESOURCE)],
    )
    .await;
    let cache = freshtoken::TokenCache::builder(source).token(token).build();
    let first = cache.refresh().await.unwrap();
    let second = cache.refresh().await.unwrap();
    assert_eq!(refresh.calls_async().await, 2);
    assert_eq!(first.resource(), Some(RESOURCE));
    assert_eq!(second.resource(), Some(RESOURCE));
}

#[tokio::test]
async fn device_code_sends_resource_on_the_device_authorization_and_every_poll() {
    let (server, _) = device_server(&[("resource", RESOURCE)]).await;
    let polled = token_endpoint(
        &server,
        &[("grant_type", DEVICE_GRANT), ("resource", RESOURCE)],
    )
    .await;
    let source = device_source(&server).resource(RESOURCE);

    let token = on_stepped_clock(source.login()).await.unwrap();

    assert_eq!(polled.calls_async().await, 1);
    assert_eq!(token.resource(), Some(RESOURCE));
}

#[tokio::test]
async fn client_credentials_password_and_refresh_grants_send_resource_and_mark_the_token() {
    let server = MockServer::start_async().await;
    let granted = token_endpoint(&server, &[("resource", RESOURCE)]).await;
    let client = || ClientAuth::basic("backend", "client-SECRET");
    let token_url = url(&server, TOKEN_PATH);

    let tokens = [
        ClientCredentials::new(token_url.clone(), client())
            .resource(RESOURCE)
            .fetch(None)
            .await,
        PasswordGrant::new(token_url.clone(), client(), "alice", "password-SECRET")
            .resource(RESOURCE)
            .fetch(None)
            .await,
        RefreshTokenGrant::new(token_url.clone(), client())
            .resource(RESOURCE)
            .fetch(Some(&previous()))
            .await,
        ClientCredentials::new(token_url, client())
            .resource(RESOURCE)
            .fetch_with_scopes(None, &scopes(&["a"]))
            .await,
    ];

    for token in tokens {
        assert_eq!(token.unwrap().resource(), Some(RESOURCE));
    }
    assert_eq!(granted.calls_async().await, 4);
}

#[tokio::test]
async fn a_resource_that_is_not_an_absolute_uri_or_has_a_fragment_fails_before_any_request() {
    let server = MockServer::start_async().await;
    let anything = server
        .mock_async(|when, then| {
            when.any_request();
            then.status(200).json_body(json!({"access_token": "a"}));
        })
        .await;
    for (resource, problem) in [
        ("/mcp", "not an absolute URI"),
        ("https://mcp.example.com/mcp#tools", "has a fragment"),
    ] {
        let source = ClientCredentials::new(
            url(&server, TOKEN_PATH),
            ClientAuth::basic("backend", "client-SECRET"),
        )
        .resource(resource);
        let error = source.fetch(None).await.unwrap_err();
        let message = error.to_string();
        assert!(
            matches!(error.kind(), AuthErrorKind::Rejected { .. }),
            "{message}"
        );
        assert!(
            message.contains(resource) && message.contains(problem),
            "{message}"
        );
        assert_no_secrets(&error);

        let device = device_source(&server).resource(resource);
        let error = device.login().await.unwrap_err();
        assert!(error.to_string().contains(problem), "{error}");
    }
    assert_eq!(anything.calls_async().await, 0);
}

#[tokio::test]
async fn a_saved_token_keeps_its_resource() {
    let server = MockServer::start_async().await;
    token_endpoint(&server, &[("resource", RESOURCE)]).await;
    let directory = tempfile::tempdir().unwrap();
    let store = freshtoken::FileStore::new(directory.path().join("token.json"));
    let source = ClientCredentials::new(
        url(&server, TOKEN_PATH),
        ClientAuth::basic("backend", "client-SECRET"),
    )
    .resource(RESOURCE);
    let token = source.fetch(None).await.unwrap();

    freshtoken::TokenStore::save(&store, None, &token)
        .await
        .unwrap();
    let loaded = freshtoken::TokenStore::load(&store).await.unwrap().unwrap();

    assert_eq!(loaded.resource(), Some(RESOURCE));
}

// ----- the MCP 2025-03-26 discovery rules, as an opt-in -----

/// An "MCP server" URL with a path, on `server`.
fn mcp_url(server: &MockServer) -> reqwest::Url {
    url(server, "/mcp")
}

#[tokio::test]
async fn the_mcp_2025_03_26_fallback_reads_the_metadata_at_the_origin_whatever_issuer_it_names() {
    let server = MockServer::start_async().await;
    let metadata = server
        .mock_async(|when, then| {
            when.path("/.well-known/oauth-authorization-server");
            then.status(200).json_body(json!({
                "issuer": "https://auth.elsewhere.example",
                "authorization_endpoint": server.url("/login"),
                "token_endpoint": server.url("/issue"),
                "code_challenge_methods_supported": ["S256"],
            }));
        })
        .await;

    let refused = Issuer::new(mcp_url(&server)).metadata().await.map(|_| ());
    let issuer = Issuer::new(mcp_url(&server)).mcp_2025_03_26_fallback();
    let found = issuer.metadata().await.unwrap();

    assert!(refused.is_err(), "the issuer check applies by default");
    assert_eq!(found.token_endpoint().as_str(), server.url("/issue"));
    assert_eq!(found.issuer(), "https://auth.elsewhere.example");
    assert!(metadata.calls_async().await >= 1);
}

#[tokio::test]
async fn the_mcp_2025_03_26_fallback_uses_the_default_endpoints_when_the_origin_has_no_metadata() {
    let server = MockServer::start_async().await;
    let token = server
        .mock_async(|when, then| {
            when.method(POST).path("/token");
            then.status(200)
                .json_body(json!({"access_token": "access-SECRET-1"}));
        })
        .await;
    let issuer = Issuer::new(mcp_url(&server)).mcp_2025_03_26_fallback();

    let metadata = issuer.metadata().await.unwrap();
    assert_eq!(
        metadata.authorization_endpoint().unwrap().as_str(),
        server.url("/authorize")
    );
    assert_eq!(
        metadata.registration_endpoint().unwrap().as_str(),
        server.url("/register")
    );
    issuer
        .authorization_code_pkce(ClientAuth::public(CLIENT_ID), |_| {})
        .await
        .unwrap();
    issuer
        .client_credentials(ClientAuth::basic("backend", "client-SECRET"))
        .await
        .unwrap()
        .fetch(None)
        .await
        .unwrap();
    assert_eq!(token.calls_async().await, 1);
}

#[tokio::test]
async fn without_the_mcp_2025_03_26_fallback_a_server_without_metadata_is_refused() {
    let server = MockServer::start_async().await;
    let error = Issuer::new(mcp_url(&server))
        .metadata()
        .await
        .map(|_| ())
        .unwrap_err();
    let message = error.to_string();
    assert!(
        message.contains("no authorization server metadata found"),
        "{message}"
    );
    assert!(
        message.contains("/.well-known/oauth-authorization-server/mcp"),
        "{message}"
    );
}

#[tokio::test]
async fn the_mcp_2025_03_26_fallback_refuses_an_origin_that_answers_another_error() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.path("/.well-known/oauth-authorization-server");
            then.status(500);
        })
        .await;
    let error = Issuer::new(mcp_url(&server))
        .mcp_2025_03_26_fallback()
        .metadata()
        .await
        .map(|_| ())
        .unwrap_err();
    assert!(error.to_string().contains("500"), "{error}");
}
