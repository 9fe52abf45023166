//! The token sources of `freshtoken::oauth` against httpmock servers on 127.0.0.1: the exact
//! requests they send, how they read answers, and what each failure becomes.
//!
//! Every secret used here contains `SECRET`, so one substring check proves that no error
//! message, `Display` or `Debug`, leaks any of them.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use freshtoken::oauth::resource::ResourceDiscovery;
use freshtoken::oauth::{
    AuthorizationCodePkce, ClientAuth, ClientCredentials, DeviceAuthorization, DeviceCodeGrant,
    Issuer, JsonLogin, JwtBearerGrant, JwtSigner, PasswordGrant, RefreshTokenGrant, Revocation,
    TokenResponseFields,
};
use freshtoken::{AuthError, AuthErrorKind, FileStore, Token, TokenCache, TokenSource, TokenStore};
use freshtoken_tests::stepped_clock::on_stepped_clock;
use httpmock::Method::POST;
use httpmock::prelude::HttpMockRequest;
use httpmock::{Mock, MockServer, Then};
use serde_json::json;

const CLIENT_ID: &str = "my app";
/// Has characters that Basic credentials must form-urlencode (RFC 6749 section 2.3.1).
const CLIENT_SECRET: &str = "client-SECRET:c/+";
/// base64 of `my+app:client-SECRET%3Ac%2F%2B`.
const BASIC: &str = "Basic bXkrYXBwOmNsaWVudC1TRUNSRVQlM0FjJTJGJTJC";
const REFRESH_TOKEN: &str = "refresh-SECRET-1";
const USERNAME: &str = "alice@example.com";
const PASSWORD: &str = "password-SECRET-p";

const TOKEN_PATH: &str = "/oauth/token";
const LOGIN_PATH: &str = "/auth/login";
const REFRESH_PATH: &str = "/auth/refresh";

/// A source's timeout in the test of a server that never answers.
const SHORT_TIMEOUT: Duration = Duration::from_millis(200);

/// The cache's backoff in the test that waits for it (on a paused clock).
const BACKOFF: Duration = Duration::from_secs(10);

// ----- helpers -----

fn url(server: &MockServer, path: &str) -> reqwest::Url {
    server.url(path).parse().unwrap()
}

/// A token the cache got earlier, with the refresh token the sources should send.
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

/// The form fields of a request body, decoded and sorted.
fn form(request: &HttpMockRequest) -> Vec<(String, String)> {
    let body = request.body_ref();
    let mut fields: Vec<(String, String)> = std::str::from_utf8(body)
        .unwrap_or_default()
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            (form_decode(name), form_decode(value))
        })
        .collect();
    fields.sort();
    fields
}

fn form_decode(text: &str) -> String {
    let mut bytes = Vec::new();
    let mut rest = text.as_bytes();
    while let Some((&byte, tail)) = rest.split_first() {
        match byte {
            b'+' => bytes.push(b' '),
            b'%' if tail.len() >= 2 => {
                let hex = std::str::from_utf8(&tail[..2]).unwrap_or("zz");
                bytes.push(u8::from_str_radix(hex, 16).unwrap_or(b'?'));
                rest = &tail[2..];
                continue;
            }
            _ => bytes.push(byte),
        }
        rest = tail;
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

fn fields(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut fields: Vec<(String, String)> = expected
        .iter()
        .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
        .collect();
    fields.sort();
    fields
}

fn has_header(request: &HttpMockRequest, name: &str) -> bool {
    request
        .headers_vec()
        .iter()
        .any(|(header, _)| header.eq_ignore_ascii_case(name))
}

/// A token endpoint answering `body` as JSON to any POST at `path`.
/// A token endpoint for `kind` that answers as `answer` says, and the error a fetch from it
/// gives.
async fn failed_fetch(kind: Kind, answer: impl FnOnce(Then)) -> (MockServer, AuthError) {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(POST).path(kind.path());
            answer(then);
        })
        .await;
    let error = kind.fetch(&server).await.unwrap_err();
    (server, error)
}

async fn answer_json<'s>(server: &'s MockServer, path: &str, body: serde_json::Value) -> Mock<'s> {
    server
        .mock_async(|when, then| {
            when.method(POST).path(path);
            then.status(200)
                .header("content-type", "application/json")
                .json_body(body);
        })
        .await
}

// ----- the three sources behind one type, for the failures they share -----

#[derive(Debug, Clone, Copy)]
enum Kind {
    RefreshGrant,
    ClientCredentials,
    JsonLogin,
}

const KINDS: [Kind; 3] = [Kind::RefreshGrant, Kind::ClientCredentials, Kind::JsonLogin];

impl Kind {
    /// Where the source POSTs when the cache holds `previous()`.
    fn path(self) -> &'static str {
        match self {
            Kind::RefreshGrant | Kind::ClientCredentials => TOKEN_PATH,
            Kind::JsonLogin => REFRESH_PATH,
        }
    }

    /// A secret that this source sends along with `previous()`, for servers to echo.
    fn sent_secret(self) -> &'static str {
        match self {
            Kind::RefreshGrant | Kind::JsonLogin => REFRESH_TOKEN,
            Kind::ClientCredentials => CLIENT_SECRET,
        }
    }

    fn source(self, server: &MockServer) -> AnySource {
        match self {
            Kind::RefreshGrant => AnySource::RefreshGrant(RefreshTokenGrant::new(
                url(server, TOKEN_PATH),
                ClientAuth::basic(CLIENT_ID, CLIENT_SECRET),
            )),
            Kind::ClientCredentials => AnySource::ClientCredentials(ClientCredentials::new(
                url(server, TOKEN_PATH),
                ClientAuth::basic(CLIENT_ID, CLIENT_SECRET),
            )),
            Kind::JsonLogin => AnySource::JsonLogin(JsonLogin::new(
                url(server, LOGIN_PATH),
                url(server, REFRESH_PATH),
                USERNAME,
                PASSWORD,
            )),
        }
    }

    fn source_with_timeout(self, server: &MockServer, timeout: Duration) -> AnySource {
        match self.source(server) {
            AnySource::RefreshGrant(s) => AnySource::RefreshGrant(s.timeout(timeout)),
            AnySource::ClientCredentials(s) => AnySource::ClientCredentials(s.timeout(timeout)),
            AnySource::JsonLogin(s) => AnySource::JsonLogin(s.timeout(timeout)),
        }
    }

    /// Fetches once, as the cache would with `previous()` in hand.
    async fn fetch(self, server: &MockServer) -> Result<Token, AuthError> {
        self.source(server).fetch(Some(&previous())).await
    }
}

enum AnySource {
    RefreshGrant(RefreshTokenGrant),
    ClientCredentials(ClientCredentials),
    JsonLogin(JsonLogin),
}

impl TokenSource for AnySource {
    async fn fetch(&self, previous: Option<&Token>) -> Result<Token, AuthError> {
        match self {
            AnySource::RefreshGrant(source) => source.fetch(previous).await,
            AnySource::ClientCredentials(source) => source.fetch(previous).await,
            AnySource::JsonLogin(source) => source.fetch(previous).await,
        }
    }
}

// ----- RefreshTokenGrant -----

#[tokio::test]
async fn refresh_grant_sends_the_refresh_token_with_basic_auth() {
    let server = MockServer::start_async().await;
    let endpoint = server
        .mock_async(|when, then| {
            when.method(POST)
                .path(TOKEN_PATH)
                .header("content-type", "application/x-www-form-urlencoded")
                .header("authorization", BASIC)
                .is_true(|request| {
                    form(request)
                        == fields(&[
                            ("grant_type", "refresh_token"),
                            ("refresh_token", REFRESH_TOKEN),
                            ("scope", "tasks:read tasks:write"),
                        ])
                });
            then.status(200)
                .header("content-type", "application/json")
                .json_body(json!({
                    "access_token": "access-SECRET-2",
                    "token_type": "bearer",
                    "expires_in": 3600,
                    "refresh_token": "refresh-SECRET-2",
                    "scope": "tasks:read tasks:write",
                    "id_token": "ignored",
                }));
        })
        .await;
    let source = RefreshTokenGrant::new(
        url(&server, TOKEN_PATH),
        ClientAuth::basic(CLIENT_ID, CLIENT_SECRET),
    )
    .scopes(["tasks:read", "tasks:write"]);

    let token = source.fetch(Some(&previous())).await.unwrap();
    assert_eq!(endpoint.calls_async().await, 1);
    assert_eq!(token.access_token().expose_secret(), "access-SECRET-2");
    assert_eq!(
        token.authorization().to_str().unwrap(),
        "Bearer access-SECRET-2"
    );
    assert_eq!(token.lifetime(), Some(Duration::from_secs(3600)));
    assert_eq!(
        token.refresh_token().unwrap().expose_secret(),
        "refresh-SECRET-2"
    );
    assert_eq!(token.scope(), Some("tasks:read tasks:write"));
}

#[tokio::test]
async fn refresh_grant_sends_a_body_secret_in_the_form_and_no_authorization() {
    let server = MockServer::start_async().await;
    let endpoint = server
        .mock_async(|when, then| {
            when.method(POST)
                .path(TOKEN_PATH)
                .header("content-type", "application/x-www-form-urlencoded")
                .is_true(|request| {
                    !has_header(request, "authorization")
                        && form(request)
                            == fields(&[
                                ("grant_type", "refresh_token"),
                                ("refresh_token", REFRESH_TOKEN),
                                ("client_id", CLIENT_ID),
                                ("client_secret", CLIENT_SECRET),
                                ("resource", "https://api.example"),
                            ])
                });
            then.status(200)
                .json_body(json!({ "access_token": "access-SECRET-2" }));
        })
        .await;
    let source = RefreshTokenGrant::new(
        url(&server, TOKEN_PATH),
        ClientAuth::body(CLIENT_ID, CLIENT_SECRET),
    )
    .param("resource", "https://api.example");

    source.fetch(Some(&previous())).await.unwrap();
    assert_eq!(endpoint.calls_async().await, 1);
}

#[tokio::test]
async fn refresh_grant_as_a_public_client_sends_only_its_id() {
    let server = MockServer::start_async().await;
    let endpoint = server
        .mock_async(|when, then| {
            when.method(POST).path(TOKEN_PATH).is_true(|request| {
                !has_header(request, "authorization")
                    && form(request)
                        == fields(&[
                            ("grant_type", "refresh_token"),
                            ("refresh_token", REFRESH_TOKEN),
                            ("client_id", "my-cli"),
                        ])
            });
            then.status(200)
                .json_body(json!({ "access_token": "access-SECRET-2" }));
        })
        .await;
    let source = RefreshTokenGrant::new(url(&server, TOKEN_PATH), ClientAuth::public("my-cli"));

    source.fetch(Some(&previous())).await.unwrap();
    assert_eq!(endpoint.calls_async().await, 1);
}

#[tokio::test]
async fn a_rotated_refresh_token_is_the_one_the_next_refresh_sends() {
    let server = MockServer::start_async().await;
    let first = server
        .mock_async(|when, then| {
            when.method(POST)
                .path(TOKEN_PATH)
                .form_urlencoded_tuple("refresh_token", REFRESH_TOKEN);
            then.status(200).json_body(json!({
                "access_token": "access-SECRET-1",
                "expires_in": 3600,
                "refresh_token": "refresh-SECRET-2",
            }));
        })
        .await;
    let second = server
        .mock_async(|when, then| {
            when.method(POST)
                .path(TOKEN_PATH)
                .form_urlencoded_tuple("refresh_token", "refresh-SECRET-2");
            then.status(200).json_body(json!({
                "access_token": "access-SECRET-2",
                "expires_in": 3600,
                "refresh_token": "refresh-SECRET-3",
            }));
        })
        .await;
    let source = RefreshTokenGrant::new(
        url(&server, TOKEN_PATH),
        ClientAuth::basic(CLIENT_ID, CLIENT_SECRET),
    );
    let cache = TokenCache::builder(source).token(previous()).build();

    let token = cache.refresh().await.unwrap();
    assert_eq!(token.access_token().expose_secret(), "access-SECRET-1");
    let token = cache.refresh().await.unwrap();
    assert_eq!(token.access_token().expose_secret(), "access-SECRET-2");
    assert_eq!(
        token.refresh_token().unwrap().expose_secret(),
        "refresh-SECRET-3"
    );
    assert_eq!(
        (first.calls_async().await, second.calls_async().await),
        (1, 1)
    );
}

#[tokio::test]
async fn a_refresh_token_not_resent_is_carried_over_by_the_cache() {
    let server = MockServer::start_async().await;
    let endpoint = server
        .mock_async(|when, then| {
            when.method(POST)
                .path(TOKEN_PATH)
                .form_urlencoded_tuple("refresh_token", REFRESH_TOKEN);
            then.status(200)
                .json_body(json!({ "access_token": "access-SECRET-2", "expires_in": 3600 }));
        })
        .await;
    let source = RefreshTokenGrant::new(
        url(&server, TOKEN_PATH),
        ClientAuth::basic(CLIENT_ID, CLIENT_SECRET),
    );

    // The source itself reports what the server sent: no refresh token...
    let fetched = source.fetch(Some(&previous())).await.unwrap();
    assert!(fetched.refresh_token().is_none());

    // ...and the cache keeps the old one, so the next refresh still has it to send.
    let cache = TokenCache::builder(source).token(previous()).build();
    cache.refresh().await.unwrap();
    let token = cache.refresh().await.unwrap();
    assert_eq!(
        token.refresh_token().unwrap().expose_secret(),
        REFRESH_TOKEN
    );
    assert_eq!(endpoint.calls_async().await, 3);
}

#[tokio::test]
async fn refresh_grant_without_a_refresh_token_asks_to_log_in_first() {
    let server = MockServer::start_async().await;
    let endpoint = answer_json(&server, TOKEN_PATH, json!({ "access_token": "a" })).await;
    let source = RefreshTokenGrant::new(
        url(&server, TOKEN_PATH),
        ClientAuth::basic(CLIENT_ID, CLIENT_SECRET),
    );
    let no_refresh_token = Token::builder("access-SECRET-0").build().unwrap();

    for previous in [None, Some(&no_refresh_token)] {
        let error = source.fetch(previous).await.unwrap_err();
        assert!(error.needs_reauthentication(), "{error:?}");
        assert!(error.to_string().contains("log in first"), "{error}");
        assert!(
            error.to_string().contains(&server.url(TOKEN_PATH)),
            "{error}"
        );
        assert_no_secrets(&error);
    }
    let cache = TokenCache::new(source);
    let error = cache.token().await.unwrap_err();
    assert!(error.needs_reauthentication(), "{error:?}");
    assert_eq!(endpoint.calls_async().await, 0);
}

#[tokio::test]
async fn a_closed_port_is_a_retryable_failure_that_names_the_endpoint_without_its_query() {
    // Bind and drop a listener: the port is then closed, so the connection is refused.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let token_url = format!("http://127.0.0.1:{port}/oauth/token?api_key=key-SECRET-q");
    let source = RefreshTokenGrant::new(
        token_url.parse().unwrap(),
        ClientAuth::basic(CLIENT_ID, CLIENT_SECRET),
    );
    let error = source.fetch(Some(&previous())).await.unwrap_err();
    assert!(
        matches!(error.kind(), AuthErrorKind::RefreshFailed { .. }),
        "{error:?}"
    );
    let message = error.to_string();
    assert!(
        message.contains(&format!(
            "POST http://127.0.0.1:{port}/oauth/token: no answer"
        )),
        "{message}"
    );
    assert_no_secrets(&error);
}

#[tokio::test]
async fn https_without_a_tls_backend_is_rejected_with_the_fix() {
    // This workspace builds reqwest without TLS, as freshtoken itself does; the port is
    // closed anyway, so nothing is contacted whatever the build.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let source = ClientCredentials::new(
        format!("https://127.0.0.1:{port}/oauth/token")
            .parse()
            .unwrap(),
        ClientAuth::basic(CLIENT_ID, CLIENT_SECRET),
    );
    let error = source.fetch(None).await.unwrap_err();
    assert!(
        matches!(error.kind(), AuthErrorKind::Rejected { .. }),
        "{error:?}"
    );
    assert!(error.to_string().contains("rustls-tls"), "{error}");
    assert_no_secrets(&error);
}

#[tokio::test]
async fn a_redirect_is_not_followed_so_the_secrets_stay_put() {
    let server = MockServer::start_async().await;
    let elsewhere = answer_json(&server, "/elsewhere", json!({ "access_token": "a" })).await;
    server
        .mock_async(|when, then| {
            when.method(POST).path(TOKEN_PATH);
            then.status(307)
                .header("location", server.url("/elsewhere"));
        })
        .await;
    let error = Kind::RefreshGrant.fetch(&server).await.unwrap_err();
    assert!(
        matches!(error.kind(), AuthErrorKind::Rejected { .. }),
        "{error:?}"
    );
    assert!(error.to_string().contains("must not redirect"), "{error}");
    assert_no_secrets(&error);
    assert_eq!(elsewhere.calls_async().await, 0);
}

// ----- ClientCredentials -----

#[tokio::test]
async fn client_credentials_sends_scopes_and_parameters_with_basic_auth() {
    let server = MockServer::start_async().await;
    let endpoint = server
        .mock_async(|when, then| {
            when.method(POST)
                .path(TOKEN_PATH)
                .header("content-type", "application/x-www-form-urlencoded")
                .header("authorization", BASIC)
                .is_true(|request| {
                    // No refresh token: the previous token plays no part.
                    form(request)
                        == fields(&[
                            ("grant_type", "client_credentials"),
                            ("scope", "invoices:read invoices:write"),
                            ("audience", "https://api.example"),
                        ])
                });
            then.status(200).json_body(json!({
                "access_token": "access-SECRET-2",
                "token_type": "Bearer",
                "expires_in": 600,
            }));
        })
        .await;
    let source = ClientCredentials::new(
        url(&server, TOKEN_PATH),
        ClientAuth::basic(CLIENT_ID, CLIENT_SECRET),
    )
    .scopes(["invoices:read", "invoices:write"])
    .param("audience", "https://api.example");

    let token = source.fetch(None).await.unwrap();
    assert_eq!(token.access_token().expose_secret(), "access-SECRET-2");
    assert_eq!(token.lifetime(), Some(Duration::from_secs(600)));
    source.fetch(Some(&previous())).await.unwrap();
    assert_eq!(endpoint.calls_async().await, 2);
}

#[tokio::test]
async fn client_credentials_with_a_body_secret_and_the_users_http_client() {
    let server = MockServer::start_async().await;
    let endpoint = server
        .mock_async(|when, then| {
            when.method(POST)
                .path(TOKEN_PATH)
                .header("x-sdk", "tasks/1.0")
                .is_true(|request| {
                    !has_header(request, "authorization")
                        && form(request)
                            == fields(&[
                                ("grant_type", "client_credentials"),
                                ("client_id", CLIENT_ID),
                                ("client_secret", CLIENT_SECRET),
                            ])
                });
            then.status(200)
                .json_body(json!({ "access_token": "access-SECRET-2" }));
        })
        .await;
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert("x-sdk", "tasks/1.0".parse().unwrap());
    let http = reqwest::Client::builder()
        .default_headers(headers)
        .build()
        .unwrap();
    let source = ClientCredentials::new(
        url(&server, TOKEN_PATH),
        ClientAuth::body(CLIENT_ID, CLIENT_SECRET),
    )
    .http_client(http);

    source.fetch(None).await.unwrap();
    assert_eq!(endpoint.calls_async().await, 1);
}

/// RFC 6749 section 5.2: `invalid_client` (or a 401 to a client that authenticated) means
/// the client id or secret is wrong. That is neither "log in again" nor worth retrying.
fn assert_invalid_client(error: &AuthError) {
    assert!(
        matches!(error.kind(), AuthErrorKind::InvalidClient { .. }),
        "{error:?}"
    );
    assert!(!error.needs_reauthentication(), "{error:?}");
    assert!(!error.is_retryable(), "{error:?}");
    let message = error.to_string();
    assert!(
        message.contains("check the client id and secret"),
        "{message}"
    );
    assert!(!message.contains("log in again"), "{message}");
    assert_no_secrets(error);
}

#[tokio::test]
async fn invalid_client_says_to_check_the_client_id_and_secret() {
    for (status, auth) in [
        (401, ClientAuth::basic(CLIENT_ID, CLIENT_SECRET)),
        (400, ClientAuth::body(CLIENT_ID, CLIENT_SECRET)),
    ] {
        let server = MockServer::start_async().await;
        server
            .mock_async(|when, then| {
                when.method(POST).path(TOKEN_PATH);
                then.status(status).json_body(json!({
                    "error": "invalid_client",
                    "error_description": format!("bad secret {CLIENT_SECRET}"),
                }));
            })
            .await;
        let client_credentials = ClientCredentials::new(url(&server, TOKEN_PATH), auth.clone());
        let refresh_grant = RefreshTokenGrant::new(url(&server, TOKEN_PATH), auth);
        for error in [
            client_credentials.fetch(None).await.unwrap_err(),
            refresh_grant.fetch(Some(&previous())).await.unwrap_err(),
        ] {
            assert_invalid_client(&error);
            assert!(
                error
                    .to_string()
                    .contains(": invalid_client (bad secret [redacted])"),
                "{error}"
            );
        }
    }
}

#[tokio::test]
async fn a_401_without_a_code_is_invalid_client_when_the_client_authenticated() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(POST).path(TOKEN_PATH);
            then.status(401);
        })
        .await;
    for auth in [
        ClientAuth::basic(CLIENT_ID, CLIENT_SECRET),
        ClientAuth::body(CLIENT_ID, CLIENT_SECRET),
    ] {
        let source = RefreshTokenGrant::new(url(&server, TOKEN_PATH), auth);
        assert_invalid_client(&source.fetch(Some(&previous())).await.unwrap_err());
    }
    // A public client has no secret to get wrong: its refresh token is what was refused.
    let public = RefreshTokenGrant::new(url(&server, TOKEN_PATH), ClientAuth::public(CLIENT_ID));
    let error = public.fetch(Some(&previous())).await.unwrap_err();
    assert!(error.needs_reauthentication(), "{error:?}");
}

#[tokio::test]
async fn invalid_client_stops_the_cache_after_one_attempt() {
    let server = MockServer::start_async().await;
    let endpoint = server
        .mock_async(|when, then| {
            when.method(POST).path(TOKEN_PATH);
            then.status(401)
                .json_body(json!({ "error": "invalid_client" }));
        })
        .await;
    let cache = TokenCache::new(ClientCredentials::new(
        url(&server, TOKEN_PATH),
        ClientAuth::basic(CLIENT_ID, CLIENT_SECRET),
    ));

    let first = cache.token().await.unwrap_err();
    assert_invalid_client(&first);
    for _ in 0..3 {
        let again = cache.token().await.unwrap_err();
        assert_invalid_client(&again);
        assert_eq!(again.to_string(), first.to_string());
    }
    assert_eq!(
        endpoint.calls_async().await,
        1,
        "no attempt after invalid_client"
    );
}

// ----- JsonLogin -----

#[tokio::test]
async fn json_login_logs_in_with_json_then_refreshes_with_the_refresh_token() {
    let server = MockServer::start_async().await;
    let login = server
        .mock_async(|when, then| {
            when.method(POST)
                .path(LOGIN_PATH)
                .header("content-type", "application/json")
                .json_body(json!({ "username": USERNAME, "password": PASSWORD }))
                .is_true(|request| !has_header(request, "authorization"));
            then.status(200).json_body(json!({
                "access_token": "access-SECRET-1",
                "refresh_token": "refresh-SECRET-1",
                "expires_in": 3600,
            }));
        })
        .await;
    let rotate = server
        .mock_async(|when, then| {
            when.method(POST)
                .path(REFRESH_PATH)
                .header("content-type", "application/json")
                .json_body(json!({ "refresh_token": "refresh-SECRET-1" }))
                .is_true(|request| !has_header(request, "authorization"));
            then.status(200).json_body(json!({
                "access_token": "access-SECRET-2",
                "refresh_token": "refresh-SECRET-2",
                "expires_in": 3600,
            }));
        })
        .await;
    let keep = server
        .mock_async(|when, then| {
            when.method(POST)
                .path(REFRESH_PATH)
                .json_body(json!({ "refresh_token": "refresh-SECRET-2" }));
            then.status(200)
                .json_body(json!({ "access_token": "access-SECRET-3", "expires_in": 3600 }));
        })
        .await;
    let source = JsonLogin::new(
        url(&server, LOGIN_PATH),
        url(&server, REFRESH_PATH),
        USERNAME,
        PASSWORD,
    );
    let cache = TokenCache::new(source);

    let token = cache.token().await.unwrap();
    assert_eq!(token.access_token().expose_secret(), "access-SECRET-1");
    let token = cache.refresh().await.unwrap();
    assert_eq!(token.access_token().expose_secret(), "access-SECRET-2");
    let token = cache.refresh().await.unwrap();
    assert_eq!(token.access_token().expose_secret(), "access-SECRET-3");
    let token = cache.refresh().await.unwrap();
    assert_eq!(
        token.refresh_token().unwrap().expose_secret(),
        "refresh-SECRET-2",
        "carried over"
    );
    assert_eq!(login.calls_async().await, 1);
    assert_eq!(rotate.calls_async().await, 1);
    assert_eq!(keep.calls_async().await, 2);
}

#[tokio::test]
async fn json_login_field_names_are_configurable() {
    let server = MockServer::start_async().await;
    let login = server
        .mock_async(|when, then| {
            when.method(POST)
                .path(LOGIN_PATH)
                .json_body(json!({ "email": USERNAME, "pass": PASSWORD }));
            then.status(200).json_body(json!({
                "data": { "token": "access-SECRET-1" },
                "refreshToken": "refresh-SECRET-1",
                "expiresIn": "900",
                "kind": "BEARER",
            }));
        })
        .await;
    let refresh = server
        .mock_async(|when, then| {
            when.method(POST)
                .path(REFRESH_PATH)
                .json_body(json!({ "refreshToken": "refresh-SECRET-1" }));
            then.status(200)
                .json_body(json!({ "data": { "token": "access-SECRET-2" }, "expiresIn": 900.5 }));
        })
        .await;
    let source = JsonLogin::new(
        url(&server, LOGIN_PATH),
        url(&server, REFRESH_PATH),
        USERNAME,
        PASSWORD,
    )
    .username_field("email")
    .password_field("pass")
    .refresh_token_field("refreshToken")
    .response_fields(
        TokenResponseFields::default()
            .access_token("/data/token")
            .refresh_token("refreshToken")
            .expires_in("expiresIn")
            .token_type("kind"),
    );

    let token = source.fetch(None).await.unwrap();
    assert_eq!(token.access_token().expose_secret(), "access-SECRET-1");
    assert_eq!(
        token.refresh_token().unwrap().expose_secret(),
        "refresh-SECRET-1"
    );
    assert_eq!(token.lifetime(), Some(Duration::from_secs(900)));
    assert_eq!(token.token_type(), "Bearer");
    let token = source.fetch(Some(&token)).await.unwrap();
    assert_eq!(token.access_token().expose_secret(), "access-SECRET-2");
    assert_eq!(token.lifetime(), Some(Duration::from_millis(900_500)));
    assert_eq!(
        (login.calls_async().await, refresh.calls_async().await),
        (1, 1)
    );
}

#[tokio::test]
async fn a_revoked_refresh_token_asks_to_log_in_again_and_never_falls_back_to_the_password() {
    let server = MockServer::start_async().await;
    let login = answer_json(
        &server,
        LOGIN_PATH,
        json!({ "access_token": "access-SECRET-2", "refresh_token": "refresh-SECRET-2" }),
    )
    .await;
    let refresh = server
        .mock_async(|when, then| {
            when.method(POST).path(REFRESH_PATH);
            then.status(401)
                .json_body(json!({ "message": format!("session {REFRESH_TOKEN} revoked") }));
        })
        .await;
    let source = JsonLogin::new(
        url(&server, LOGIN_PATH),
        url(&server, REFRESH_PATH),
        USERNAME,
        PASSWORD,
    );
    let cache = TokenCache::builder(source).token(previous()).build();

    let error = cache.refresh().await.unwrap_err();
    assert!(error.needs_reauthentication(), "{error:?}");
    let message = error.to_string();
    assert!(message.contains("session [redacted] revoked"), "{message}");
    assert!(message.contains("TokenCache::reset"), "{message}");
    assert_no_secrets(&error);
    assert_eq!(login.calls_async().await, 0, "no silent password login");

    // The SDK's answer to "log in again": reset, after which the source logs in.
    cache.reset();
    let token = cache.token().await.unwrap();
    assert_eq!(token.access_token().expose_secret(), "access-SECRET-2");
    assert_eq!(
        (login.calls_async().await, refresh.calls_async().await),
        (1, 1)
    );
}

#[tokio::test]
async fn a_forbidden_or_invalid_grant_refresh_needs_reauthentication() {
    for (status, body) in [(403, json!({})), (400, json!({ "error": "invalid_grant" }))] {
        let server = MockServer::start_async().await;
        server
            .mock_async(|when, then| {
                when.method(POST).path(REFRESH_PATH);
                then.status(status).json_body(body);
            })
            .await;
        let error = Kind::JsonLogin.fetch(&server).await.unwrap_err();
        assert!(error.needs_reauthentication(), "{status}: {error:?}");
        assert_no_secrets(&error);
    }
}

#[tokio::test]
async fn a_refused_login_needs_reauthentication_and_never_shows_the_password() {
    let server = MockServer::start_async().await;
    let login = server
        .mock_async(|when, then| {
            when.method(POST).path(LOGIN_PATH);
            then.status(401)
                .json_body(json!({ "message": format!("wrong password {PASSWORD}") }));
        })
        .await;
    let source = JsonLogin::new(
        url(&server, LOGIN_PATH),
        url(&server, REFRESH_PATH),
        USERNAME,
        PASSWORD,
    );
    let error = source.fetch(None).await.unwrap_err();
    assert!(error.needs_reauthentication(), "{error:?}");
    let message = error.to_string();
    assert!(
        message.contains("check the username and password"),
        "{message}"
    );
    assert!(message.contains(&server.url(LOGIN_PATH)), "{message}");
    assert_no_secrets(&error);
    assert_eq!(login.calls_async().await, 1);
}

// ----- answers and failures, for every source -----

#[tokio::test]
async fn expires_in_as_a_string_sets_the_lifetime() {
    for kind in KINDS {
        let server = MockServer::start_async().await;
        answer_json(
            &server,
            kind.path(),
            json!({ "access_token": "access-SECRET-2", "expires_in": "3600" }),
        )
        .await;
        let token = kind.fetch(&server).await.unwrap();
        assert_eq!(
            token.lifetime(),
            Some(Duration::from_secs(3600)),
            "{kind:?}"
        );
    }
}

#[tokio::test]
async fn an_answer_without_an_access_token_is_an_invalid_token() {
    for kind in KINDS {
        let server = MockServer::start_async().await;
        answer_json(
            &server,
            kind.path(),
            json!({ "token_type": "Bearer", "refresh_token": "refresh-SECRET-9" }),
        )
        .await;
        let error = kind.fetch(&server).await.unwrap_err();
        assert!(
            matches!(error.kind(), AuthErrorKind::InvalidToken { .. }),
            "{kind:?}: {error:?}"
        );
        let message = error.to_string();
        assert!(message.contains(&server.url(kind.path())), "{message}");
        assert!(message.contains("`access_token` is missing"), "{message}");
        assert_no_secrets(&error);
    }
}

#[tokio::test]
async fn an_html_answer_is_an_invalid_token_naming_status_and_content_type() {
    for kind in KINDS {
        let (server, error) = failed_fetch(kind, |then| {
            then.status(200)
                .header("content-type", "text/html; charset=utf-8")
                .body("<html><body>Sign in (SECRET portal)</body></html>");
        })
        .await;
        assert!(
            matches!(error.kind(), AuthErrorKind::InvalidToken { .. }),
            "{kind:?}: {error:?}"
        );
        let message = error.to_string();
        assert!(message.contains(&server.url(kind.path())), "{message}");
        assert!(message.contains("200 OK"), "{message}");
        assert!(message.contains("text/html"), "{message}");
        assert!(!message.contains("<html"), "{message}");
        assert_no_secrets(&error);
    }
}

#[tokio::test]
async fn an_empty_answer_is_an_invalid_token() {
    for kind in KINDS {
        let (server, error) = failed_fetch(kind, |then| {
            then.status(200).header("content-type", "application/json");
        })
        .await;
        assert!(
            matches!(error.kind(), AuthErrorKind::InvalidToken { .. }),
            "{kind:?}: {error:?}"
        );
        let message = error.to_string();
        assert!(message.contains("empty"), "{message}");
        assert!(message.contains(&server.url(kind.path())), "{message}");
        assert_no_secrets(&error);
    }
}

#[tokio::test]
async fn invalid_grant_needs_reauthentication_and_echoed_secrets_are_cut() {
    for kind in KINDS {
        let (server, error) = failed_fetch(kind, |then| {
            then.status(400).json_body(json!({
                "error": "invalid_grant",
                "error_description": format!("{} was revoked", kind.sent_secret()),
            }));
        })
        .await;
        assert!(
            matches!(error.kind(), AuthErrorKind::ReauthenticationRequired { .. }),
            "{kind:?}: {error:?}"
        );
        let message = error.to_string();
        assert!(message.contains(&server.url(kind.path())), "{message}");
        assert!(
            message.contains("400 Bad Request: invalid_grant ([redacted] was revoked)"),
            "{message}"
        );
        assert_no_secrets(&error);
    }
}

#[tokio::test]
async fn invalid_scope_is_rejected() {
    for kind in KINDS {
        let (_server, error) = failed_fetch(kind, |then| {
            then.status(400)
                .json_body(json!({ "error": "invalid_scope" }));
        })
        .await;
        assert!(
            matches!(error.kind(), AuthErrorKind::Rejected { .. }),
            "{kind:?}: {error:?}"
        );
        assert!(!error.is_retryable());
        let message = error.to_string();
        assert!(message.contains("invalid_scope"), "{message}");
        assert!(
            message.contains("check the client configuration"),
            "{message}"
        );
        assert_no_secrets(&error);
    }
}

/// The advice a refused token request gets, which fits no other refusal.
const CONFIGURATION_ADVICE: &str = "check the client configuration";

#[tokio::test]
async fn a_503_with_retry_after_is_retryable_no_sooner_than_it_says() {
    for kind in KINDS {
        let (_server, error) = failed_fetch(kind, |then| {
            then.status(503).header("retry-after", "30");
        })
        .await;
        assert!(
            matches!(error.kind(), AuthErrorKind::RefreshFailed { .. }),
            "{kind:?}: {error:?}"
        );
        assert_eq!(
            error.retry_after(),
            Some(Duration::from_secs(30)),
            "{kind:?}"
        );
        assert!(
            error.to_string().contains("503 Service Unavailable"),
            "{error}"
        );
        assert_no_secrets(&error);
    }
}

#[tokio::test]
async fn a_500_is_retried_through_the_cache_once_the_backoff_has_passed() {
    for kind in KINDS {
        let server = MockServer::start_async().await;
        let failing = server
            .mock_async(|when, then| {
                when.method(POST).path(kind.path());
                then.status(500);
            })
            .await;
        let cache = TokenCache::builder(kind.source(&server))
            .token(previous())
            .backoff(BACKOFF, BACKOFF)
            .build();

        let error = cache.refresh().await.unwrap_err();
        assert!(
            matches!(error.kind(), AuthErrorKind::RefreshFailed { .. }),
            "{kind:?}: {error:?}"
        );
        assert_no_secrets(&error);
        // The clock stands still between the real requests: no timing in this test.
        tokio::time::pause();
        // Within the backoff the cache answers with the same error, without a request.
        let again = cache.refresh().await.unwrap_err();
        assert!(
            matches!(again.kind(), AuthErrorKind::RefreshFailed { .. }),
            "{again:?}"
        );
        assert_eq!(failing.calls_async().await, 1, "{kind:?}");

        failing.delete_async().await;
        let healthy = answer_json(
            &server,
            kind.path(),
            json!({ "access_token": "access-SECRET-2", "expires_in": 3600 }),
        )
        .await;
        // Jitter keeps each wait within the backoff, so this is always enough.
        tokio::time::advance(BACKOFF).await;
        tokio::time::resume();

        let token = cache.refresh().await.unwrap();
        assert_eq!(token.access_token().expose_secret(), "access-SECRET-2");
        assert_eq!(healthy.calls_async().await, 1, "{kind:?}");
        assert_eq!(cache.stats().failures, 1, "{kind:?}");
    }
}

#[tokio::test]
async fn a_server_that_never_answers_times_out() {
    for kind in KINDS {
        let server = MockServer::start_async().await;
        let endpoint = server
            .mock_async(|when, then| {
                when.method(POST).path(kind.path());
                then.status(200)
                    .delay(Duration::from_secs(30))
                    .json_body(json!({ "access_token": "access-SECRET-2" }));
            })
            .await;
        let source = kind.source_with_timeout(&server, SHORT_TIMEOUT);

        let started = Instant::now();
        let error = source.fetch(Some(&previous())).await.unwrap_err();
        assert!(
            matches!(error.kind(), AuthErrorKind::Timeout(timeout) if *timeout == SHORT_TIMEOUT),
            "{kind:?}: {error:?}"
        );
        assert!(started.elapsed() < Duration::from_secs(5), "{kind:?}");
        assert!(error.is_retryable());
        assert_no_secrets(&error);
        assert_eq!(endpoint.calls_async().await, 1, "{kind:?}");
    }
}

// ----- the password grant (RFC 6749 section 4.3) -----

fn password_grant(server: &MockServer, client: ClientAuth) -> PasswordGrant {
    PasswordGrant::new(url(server, TOKEN_PATH), client, USERNAME, PASSWORD).scopes(["tasks"])
}

#[tokio::test]
async fn password_grant_logs_in_with_the_form_and_basic_auth_then_refreshes_the_rotated_token() {
    let server = MockServer::start_async().await;
    let login = server
        .mock_async(|when, then| {
            when.method(POST)
                .path(TOKEN_PATH)
                .header("content-type", "application/x-www-form-urlencoded")
                .header("authorization", BASIC)
                .is_true(|request| {
                    form(request)
                        == fields(&[
                            ("grant_type", "password"),
                            ("username", USERNAME),
                            ("password", PASSWORD),
                            ("scope", "tasks"),
                        ])
                });
            then.status(200).json_body(json!({
                "access_token": "access-SECRET-1",
                "token_type": "Bearer",
                "expires_in": 3600,
                "refresh_token": "refresh-SECRET-2",
            }));
        })
        .await;
    let refresh = server
        .mock_async(|when, then| {
            when.method(POST)
                .path(TOKEN_PATH)
                .header("authorization", BASIC)
                .is_true(|request| {
                    form(request)
                        == fields(&[
                            ("grant_type", "refresh_token"),
                            ("refresh_token", "refresh-SECRET-2"),
                            ("scope", "tasks"),
                        ])
                });
            then.status(200).json_body(json!({
                "access_token": "access-SECRET-2",
                "expires_in": 3600,
                "refresh_token": "refresh-SECRET-3",
            }));
        })
        .await;
    let cache = TokenCache::new(password_grant(
        &server,
        ClientAuth::basic(CLIENT_ID, CLIENT_SECRET),
    ));

    let token = cache.token().await.unwrap();
    assert_eq!(token.access_token().expose_secret(), "access-SECRET-1");
    let token = cache.refresh().await.unwrap();
    assert_eq!(token.access_token().expose_secret(), "access-SECRET-2");
    assert_eq!(
        token.refresh_token().unwrap().expose_secret(),
        "refresh-SECRET-3"
    );
    assert_eq!(
        (login.calls_async().await, refresh.calls_async().await),
        (1, 1)
    );
}

#[tokio::test]
async fn password_grant_sends_a_body_secret_or_a_public_client_id_in_the_form() {
    for (client, client_fields) in [
        (
            ClientAuth::body(CLIENT_ID, CLIENT_SECRET),
            vec![("client_id", CLIENT_ID), ("client_secret", CLIENT_SECRET)],
        ),
        (
            ClientAuth::public(CLIENT_ID),
            vec![("client_id", CLIENT_ID)],
        ),
    ] {
        let server = MockServer::start_async().await;
        let mut expected = vec![
            ("grant_type", "password"),
            ("username", USERNAME),
            ("password", PASSWORD),
            ("scope", "tasks"),
        ];
        expected.extend(client_fields);
        let expected = fields(&expected);
        let login = server
            .mock_async(|when, then| {
                when.method(POST).path(TOKEN_PATH).is_true(move |request| {
                    form(request) == expected && !has_header(request, "authorization")
                });
                then.status(200)
                    .json_body(json!({ "access_token": "access-SECRET-1" }));
            })
            .await;
        password_grant(&server, client).fetch(None).await.unwrap();
        assert_eq!(login.calls_async().await, 1);
    }
}

#[tokio::test]
async fn a_refused_password_asks_to_log_in_again_without_repeating_it() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(POST).path(TOKEN_PATH);
            then.status(400).json_body(json!({
                "error": "invalid_grant",
                "error_description": format!("wrong password {PASSWORD} for {USERNAME}"),
            }));
        })
        .await;
    let error = password_grant(&server, ClientAuth::public(CLIENT_ID))
        .fetch(None)
        .await
        .unwrap_err();
    assert!(error.needs_reauthentication(), "{error}");
    assert!(error.to_string().contains("invalid_grant"), "{error}");
    assert_no_secrets(&error);
}

// ----- revocation (RFC 7009) and logout -----

const REVOKE_PATH: &str = "/oauth/revoke";

#[tokio::test]
async fn log_out_clears_the_cache_and_its_store_then_revokes_the_refresh_token() {
    let server = MockServer::start_async().await;
    let revoke = server
        .mock_async(|when, then| {
            when.method(POST)
                .path(REVOKE_PATH)
                .header("authorization", BASIC)
                .is_true(|request| {
                    form(request)
                        == fields(&[
                            ("token", REFRESH_TOKEN),
                            ("token_type_hint", "refresh_token"),
                        ])
                });
            then.status(200);
        })
        .await;
    let dir = tempfile::tempdir().unwrap();
    let store = FileStore::new(dir.path().join("token.json"));
    let source = RefreshTokenGrant::new(url(&server, TOKEN_PATH), ClientAuth::public(CLIENT_ID));
    let cache = TokenCache::builder(source).store(store.clone()).build();
    cache.save_token(previous()).await.unwrap();
    assert!(store.load().await.unwrap().is_some());

    let revocation = Revocation::new(
        url(&server, REVOKE_PATH),
        ClientAuth::basic(CLIENT_ID, CLIENT_SECRET),
    );
    revocation.log_out(&cache).await.unwrap();

    assert_eq!(revoke.calls_async().await, 1);
    assert!(cache.cached().is_none());
    assert!(
        store.load().await.unwrap().is_none(),
        "the store still holds the token"
    );
    assert!(!store.path().exists());
    // Nothing left to revoke: a second logout sends nothing.
    revocation.log_out(&cache).await.unwrap();
    assert_eq!(revoke.calls_async().await, 1);
}

#[tokio::test]
async fn a_refused_revocation_names_the_cause_and_no_secret() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(POST).path(REVOKE_PATH);
            then.status(401).json_body(json!({
                "error": "invalid_client",
                "error_description": format!("bad secret for {REFRESH_TOKEN}"),
            }));
        })
        .await;
    let error = Revocation::new(
        url(&server, REVOKE_PATH),
        ClientAuth::basic(CLIENT_ID, CLIENT_SECRET),
    )
    .revoke(&previous())
    .await
    .unwrap_err();
    assert!(
        matches!(error.kind(), AuthErrorKind::InvalidClient { .. }),
        "{error}"
    );
    assert_no_secrets(&error);
}

// ----- discovery (RFC 8414) -----

/// RFC 8414 metadata at the well-known path of `server`, naming `issuer`.
async fn metadata<'s>(server: &'s MockServer, issuer: &str) -> Mock<'s> {
    let (token_url, revoke_url) = (server.url(TOKEN_PATH), server.url(REVOKE_PATH));
    server
        .mock_async(|when, then| {
            when.path("/.well-known/oauth-authorization-server");
            then.status(200).json_body(json!({
                "issuer": issuer,
                "token_endpoint": token_url,
                "revocation_endpoint": revoke_url,
            }));
        })
        .await
}

#[tokio::test]
async fn an_issuer_gives_sources_on_the_endpoints_of_its_metadata_fetched_once() {
    let server = MockServer::start_async().await;
    let metadata = metadata(&server, &server.base_url()).await;
    let login = answer_json(
        &server,
        TOKEN_PATH,
        json!({"access_token": "access-SECRET-1"}),
    )
    .await;
    let issuer = Issuer::new(server.base_url().parse().unwrap());

    let source = issuer
        .password_grant(ClientAuth::public(CLIENT_ID), USERNAME, PASSWORD)
        .await
        .unwrap();
    let token = source.fetch(None).await.unwrap();
    assert_eq!(token.access_token().expose_secret(), "access-SECRET-1");
    assert_eq!(login.calls_async().await, 1);
    issuer
        .revocation(ClientAuth::public(CLIENT_ID))
        .await
        .unwrap();
    issuer
        .client_credentials(ClientAuth::public(CLIENT_ID))
        .await
        .unwrap();
    assert_eq!(
        metadata.calls_async().await,
        1,
        "metadata fetched more than once"
    );
}

#[tokio::test]
async fn an_issuer_whose_metadata_names_another_issuer_is_refused() {
    let server = MockServer::start_async().await;
    metadata(&server, "https://impostor.example").await;
    let issuer = Issuer::new(server.base_url().parse().unwrap());
    let error = issuer.metadata().await.unwrap_err();
    assert!(
        matches!(error.kind(), AuthErrorKind::Rejected { .. }),
        "{error}"
    );
    assert!(error.to_string().contains("names the issuer"), "{error}");
}

#[tokio::test]
async fn discovery_finds_metadata_appended_to_the_issuer_path_as_django_serves_it() {
    let server = MockServer::start_async().await;
    let issuer = server.url("/o");
    let token_url = server.url("/o/token/");
    let metadata = server
        .mock_async(|when, then| {
            when.path("/o/.well-known/oauth-authorization-server");
            then.status(200)
                .json_body(json!({"issuer": issuer, "token_endpoint": token_url}));
        })
        .await;
    let found = Issuer::new(issuer.parse().unwrap());
    let metadata_read = found.metadata().await.unwrap();
    assert_eq!(metadata_read.token_endpoint().as_str(), token_url);
    assert_eq!(metadata.calls_async().await, 1);
}

#[tokio::test]
async fn missing_metadata_says_where_it_was_looked_for_and_how_to_point_at_it() {
    let server = MockServer::start_async().await;
    let error = Issuer::new(server.url("/tenant").parse().unwrap())
        .metadata()
        .await
        .unwrap_err();
    assert!(
        matches!(error.kind(), AuthErrorKind::Rejected { .. }),
        "{error}"
    );
    let message = error.to_string();
    let places = [
        "/.well-known/oauth-authorization-server/tenant ",
        "/tenant/.well-known/oauth-authorization-server ",
        "/tenant/.well-known/openid-configuration ",
        "/.well-known/openid-configuration/tenant ",
    ]
    .map(|path| {
        message
            .find(path)
            .unwrap_or_else(|| panic!("{path} not tried: {message}"))
    });
    assert!(places.is_sorted(), "tried out of order: {message}");
    assert!(message.contains("Issuer::metadata_url"), "{message}");
    assert!(!message.contains(CONFIGURATION_ADVICE), "{message}");
}

#[tokio::test]
async fn an_explicit_metadata_url_is_used_and_its_issuer_still_checked() {
    let server = MockServer::start_async().await;
    let base = server.base_url();
    let token_url = server.url("/t");
    let custom = server
        .mock_async(|when, then| {
            when.path("/config/oauth.json");
            then.status(200)
                .json_body(json!({"issuer": base, "token_endpoint": token_url}));
        })
        .await;
    let issuer = Issuer::new(server.base_url().parse().unwrap())
        .metadata_url(url(&server, "/config/oauth.json"));
    assert_eq!(
        issuer.metadata().await.unwrap().token_endpoint().as_str(),
        token_url
    );
    assert_eq!(custom.calls_async().await, 1);

    let elsewhere = Issuer::new("https://auth.elsewhere.example".parse().unwrap())
        .metadata_url(url(&server, "/config/oauth.json"));
    let error = elsewhere.metadata().await.unwrap_err();
    assert!(error.to_string().contains("names the issuer"), "{error}");
}

/// Metadata naming every endpoint of `server`, the interactive ones included, and PKCE's
/// `S256` (unless `s256` is false).
async fn full_metadata(server: &MockServer) -> Mock<'_> {
    metadata_with_pkce(server, true).await
}

async fn metadata_with_pkce(server: &MockServer, s256: bool) -> Mock<'_> {
    let methods = if s256 { vec!["S256"] } else { vec!["plain"] };
    let body = json!({
        "issuer": server.base_url(),
        "token_endpoint": server.url(TOKEN_PATH),
        "authorization_endpoint": server.url(AUTHORIZE_PATH),
        "device_authorization_endpoint": server.url(DEVICE_PATH),
        "code_challenge_methods_supported": methods,
    });
    server
        .mock_async(|when, then| {
            when.path("/.well-known/oauth-authorization-server");
            then.status(200).json_body(body);
        })
        .await
}

#[tokio::test]
async fn an_issuer_gives_a_device_code_grant_on_its_device_authorization_endpoint() {
    let server = device_server(200, json!({"access_token": "access-SECRET-1"})).await;
    full_metadata(&server).await;
    let shown = Shown::default();
    let recorded = Arc::clone(&shown);
    let source = Issuer::new(server.base_url().parse().unwrap())
        .device_code_grant(ClientAuth::public(CLIENT_ID), move |login| {
            recorded.lock().unwrap().push(login.clone());
        })
        .await
        .unwrap()
        .scopes(["tasks"]);

    let token = on_stepped_clock(source.login()).await.unwrap();

    assert_eq!(token.access_token().expose_secret(), "access-SECRET-1");
    assert_eq!(shown.lock().unwrap()[0].user_code, "WDJB-MJHT");
}

#[tokio::test]
async fn an_issuer_gives_a_pkce_source_that_sends_the_browser_to_its_authorization_endpoint() {
    let server = MockServer::start_async().await;
    full_metadata(&server).await;
    let (urls, mut opened) = tokio::sync::mpsc::unbounded_channel();
    let source = Issuer::new(server.base_url().parse().unwrap())
        .authorization_code_pkce(ClientAuth::public(CLIENT_ID), move |url| {
            let _ = urls.send(url.clone());
        })
        .await
        .unwrap();

    let login = tokio::spawn(async move { source.login().await });
    let authorize = opened.recv().await.expect("the browser was sent somewhere");
    login.abort();

    assert_eq!(
        authorize.as_str().split('?').next(),
        Some(server.url(AUTHORIZE_PATH).as_str())
    );
}

#[tokio::test]
async fn an_issuer_that_does_not_list_pkce_s256_gets_no_pkce_source() {
    let server = MockServer::start_async().await;
    metadata_with_pkce(&server, false).await;
    let error = Issuer::new(server.base_url().parse().unwrap())
        .authorization_code_pkce(ClientAuth::public(CLIENT_ID), |_| {})
        .await
        .unwrap_err();
    let message = error.to_string();
    assert!(message.contains("`S256`"), "{message}");
    assert!(message.contains("AuthorizationCodePkce::new"), "{message}");
}

#[tokio::test]
async fn an_issuer_without_the_interactive_endpoints_names_the_missing_one() {
    let server = MockServer::start_async().await;
    metadata(&server, &server.base_url()).await;
    let issuer = Issuer::new(server.base_url().parse().unwrap());

    let device = issuer
        .device_code_grant(ClientAuth::public(CLIENT_ID), |_| {})
        .await
        .unwrap_err();
    let pkce = issuer
        .authorization_code_pkce(ClientAuth::public(CLIENT_ID), |_| {})
        .await
        .unwrap_err();

    for (error, field, fix) in [
        (
            device,
            "`device_authorization_endpoint`",
            "DeviceCodeGrant::new",
        ),
        (
            pkce,
            "`authorization_endpoint`",
            "AuthorizationCodePkce::new",
        ),
    ] {
        assert!(
            matches!(error.kind(), AuthErrorKind::Rejected { .. }),
            "{error}"
        );
        let message = error.to_string();
        assert!(
            message.contains(field) && message.contains(fix),
            "{message}"
        );
    }
}

// ----- protected resource metadata (RFC 9728) -----

const PRM_WELL_KNOWN: &str = "/.well-known/oauth-protected-resource";

/// A protected resource's metadata at `path` of `server`, naming `resource`.
async fn resource_metadata<'s>(server: &'s MockServer, path: &str, resource: &str) -> Mock<'s> {
    let auth_server = server.url("/auth");
    server
        .mock_async(|when, then| {
            when.path(path);
            then.status(200).json_body(json!({
                "resource": resource,
                "authorization_servers": [auth_server],
                "scopes_supported": ["files:read", "files:write"],
                "x_vendor_tier": "gold",
            }));
        })
        .await
}

#[tokio::test]
async fn resource_metadata_is_found_at_the_challenges_resource_metadata_url() {
    let server = MockServer::start_async().await;
    let resource = server.url("/api/mcp");
    let from_challenge = resource_metadata(&server, "/meta/prm.json", &resource).await;
    let well_known =
        resource_metadata(&server, &format!("{PRM_WELL_KNOWN}/api/mcp"), &resource).await;

    let metadata = ResourceDiscovery::new(resource.parse().unwrap())
        .resource_metadata(url(&server, "/meta/prm.json"))
        .fetch()
        .await
        .unwrap();
    assert_eq!(metadata.resource, resource);
    assert_eq!(
        metadata.authorization_servers.unwrap(),
        [server.url("/auth")]
    );
    assert_eq!(from_challenge.calls_async().await, 1);
    assert_eq!(
        well_known.calls_async().await,
        0,
        "looked further than needed"
    );
}

#[tokio::test]
async fn resource_metadata_is_found_at_the_well_known_location_with_the_path_inserted() {
    let server = MockServer::start_async().await;
    let resource = server.url("/api/mcp");
    let inserted =
        resource_metadata(&server, &format!("{PRM_WELL_KNOWN}/api/mcp"), &resource).await;

    let metadata = ResourceDiscovery::new(resource.parse().unwrap())
        .fetch()
        .await
        .unwrap();
    assert_eq!(
        metadata.scopes_supported.unwrap(),
        ["files:read", "files:write"]
    );
    assert_eq!(metadata.additional_fields["x_vendor_tier"], "gold");
    assert_eq!(inserted.calls_async().await, 1);
}

#[tokio::test]
async fn resource_metadata_is_found_at_the_root_after_a_web_page_at_the_inserted_location() {
    let server = MockServer::start_async().await;
    let resource = server.url("/api/mcp");
    let page = server
        .mock_async(|when, then| {
            when.path(format!("{PRM_WELL_KNOWN}/api/mcp"));
            then.status(200)
                .header("content-type", "text/html")
                .body("<html>sign in</html>");
        })
        .await;
    let root = resource_metadata(&server, PRM_WELL_KNOWN, &resource).await;

    let metadata = ResourceDiscovery::new(resource.parse().unwrap())
        .fetch()
        .await
        .unwrap();
    assert_eq!(metadata.resource, resource);
    assert_eq!((page.calls_async().await, root.calls_async().await), (1, 1));
}

#[tokio::test]
async fn a_404_at_the_challenges_url_passes_to_the_well_known_location() {
    let server = MockServer::start_async().await;
    let resource = server.url("/api/mcp");
    let missing = server
        .mock_async(|when, then| {
            when.path("/gone/prm.json");
            then.status(404);
        })
        .await;
    let inserted =
        resource_metadata(&server, &format!("{PRM_WELL_KNOWN}/api/mcp"), &resource).await;

    let metadata = ResourceDiscovery::new(resource.parse().unwrap())
        .resource_metadata(url(&server, "/gone/prm.json"))
        .fetch()
        .await
        .unwrap();
    assert_eq!(metadata.resource, resource);
    assert_eq!(
        (missing.calls_async().await, inserted.calls_async().await),
        (1, 1)
    );
}

#[tokio::test]
async fn resource_metadata_naming_another_resource_is_refused_naming_both_without_looking_further()
{
    let server = MockServer::start_async().await;
    let resource = server.url("/api/mcp");
    let impostor = resource_metadata(
        &server,
        &format!("{PRM_WELL_KNOWN}/api/mcp"),
        "https://impostor.example/api/mcp",
    )
    .await;
    let root = resource_metadata(&server, PRM_WELL_KNOWN, &resource).await;

    let error = ResourceDiscovery::new(resource.parse().unwrap())
        .fetch()
        .await
        .unwrap_err();
    assert!(
        matches!(error.kind(), AuthErrorKind::Rejected { .. }),
        "{error}"
    );
    let message = error.to_string();
    assert!(
        message.contains("https://impostor.example/api/mcp"),
        "{message}"
    );
    assert!(message.contains(&resource), "{message}");
    assert_eq!(impostor.calls_async().await, 1);
    assert_eq!(
        root.calls_async().await,
        0,
        "looked further after a mismatch"
    );
}

#[tokio::test]
async fn missing_resource_metadata_lists_every_url_tried_in_order_without_queries() {
    let server = MockServer::start_async().await;
    let challenge = url(&server, "/meta/prm.json?key=SECRET");
    let error = ResourceDiscovery::new(url(&server, "/api/mcp"))
        .resource_metadata(challenge)
        .fetch()
        .await
        .unwrap_err();
    assert!(
        matches!(error.kind(), AuthErrorKind::Rejected { .. }),
        "{error}"
    );
    let message = error.to_string();
    let places = [
        "/meta/prm.json ",
        &format!("{PRM_WELL_KNOWN}/api/mcp "),
        &format!("{PRM_WELL_KNOWN} "),
    ]
    .map(|path| {
        message
            .find(&format!("{}{path}", server.base_url()))
            .unwrap_or_else(|| panic!("{path} not tried: {message}"))
    });
    assert!(places.is_sorted(), "tried out of order: {message}");
    assert!(!message.contains("SECRET"), "{message}");
}

#[tokio::test]
async fn a_challenge_resource_metadata_url_over_plain_http_is_refused_unless_on_loopback() {
    let server = MockServer::start_async().await;
    let resource = server.url("/api/mcp");
    let well_known =
        resource_metadata(&server, &format!("{PRM_WELL_KNOWN}/api/mcp"), &resource).await;

    let error = ResourceDiscovery::new(resource.parse().unwrap())
        .resource_metadata("http://metadata.example/prm".parse().unwrap())
        .fetch()
        .await
        .unwrap_err();
    assert!(
        matches!(error.kind(), AuthErrorKind::Rejected { .. }),
        "{error}"
    );
    let message = error.to_string();
    assert!(message.contains("http://metadata.example"), "{message}");
    assert!(message.contains("https"), "{message}");
    assert_eq!(
        well_known.calls_async().await,
        0,
        "fell back after a refusal"
    );

    // The same over http on 127.0.0.1 is followed.
    let local = resource_metadata(&server, "/meta/prm.json", &resource).await;
    ResourceDiscovery::new(resource.parse().unwrap())
        .resource_metadata(url(&server, "/meta/prm.json"))
        .fetch()
        .await
        .unwrap();
    assert_eq!(local.calls_async().await, 1);
}

// ----- authorization code + PKCE with a loopback redirect (RFC 7636, RFC 8252) -----

const AUTHORIZE_PATH: &str = "/oauth/authorize";

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
    .scopes(["tasks"])
    .login_timeout(Duration::from_secs(10))
}

/// What the browser does after the user's consent: follows the redirect to the loopback
/// listener with `query`, built from the authorize URL's `state`; first it asks for a
/// favicon, as browsers do.
async fn redirect(
    mut urls: tokio::sync::mpsc::UnboundedReceiver<reqwest::Url>,
    query: impl FnOnce(&str) -> String,
) -> reqwest::Url {
    let authorize = urls.recv().await.unwrap();
    let pair = |name: &str| {
        authorize
            .query_pairs()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.into_owned())
            .unwrap()
    };
    let redirect_uri: reqwest::Url = pair("redirect_uri").parse().unwrap();
    let http = reqwest::Client::new();
    let mut favicon = redirect_uri.clone();
    favicon.set_path("/favicon.ico");
    let status = http.get(favicon).send().await.unwrap().status();
    assert_eq!(status, 404);
    let mut target = redirect_uri.clone();
    target.set_query(Some(&query(&pair("state"))));
    http.get(target).send().await.unwrap();
    authorize
}

#[tokio::test]
async fn pkce_login_sends_the_challenge_and_exchanges_the_code_with_its_verifier() {
    let server = MockServer::start_async().await;
    let exchange = server
        .mock_async(|when, then| {
            when.method(POST).path(TOKEN_PATH).is_true(|request| {
                let form = form(request);
                let get = |name: &str| {
                    form.iter()
                        .find(|(key, _)| key == name)
                        .map(|(_, value)| value.clone())
                        .unwrap_or_default()
                };
                get("grant_type") == "authorization_code"
                    && get("code") == "code-SECRET-1"
                    && get("client_id") == CLIENT_ID
                    && get("redirect_uri").starts_with("http://127.0.0.1:")
                    && get("code_verifier").len() == 43
            });
            then.status(200).json_body(json!({
                "access_token": "access-SECRET-1",
                "refresh_token": "refresh-SECRET-2",
                "expires_in": 3600,
            }));
        })
        .await;
    let (urls, received) = tokio::sync::mpsc::unbounded_channel();
    let source = pkce_source(&server, urls);

    let (token, authorize) = tokio::join!(
        source.login(),
        redirect(received, |state| format!(
            "code=code-SECRET-1&state={state}"
        ))
    );
    let token = token.unwrap();
    assert_eq!(token.access_token().expose_secret(), "access-SECRET-1");
    assert_eq!(exchange.calls_async().await, 1);
    let query: Vec<(String, String)> = authorize.query_pairs().into_owned().collect();
    for (name, value) in [
        ("response_type", "code"),
        ("client_id", CLIENT_ID),
        ("code_challenge_method", "S256"),
        ("scope", "tasks"),
    ] {
        assert!(
            query.contains(&(name.to_owned(), value.to_owned())),
            "{name}: {query:?}"
        );
    }
    // Later tokens come from the refresh token, not from another login.
    let renewed = answer_json(
        &server,
        TOKEN_PATH,
        json!({"access_token": "access-SECRET-2"}),
    )
    .await;
    let cache = TokenCache::builder(source).token(token).build();
    cache.refresh().await.unwrap();
    assert_eq!(renewed.calls_async().await, 1);
}

/// The `redirect_uri` of an authorize URL.
fn redirect_uri_of(authorize: &reqwest::Url) -> reqwest::Url {
    let (_, uri) = authorize
        .query_pairs()
        .find(|(key, _)| key == "redirect_uri")
        .unwrap();
    uri.parse().unwrap()
}

/// Sends `request` as it is to the listener at `uri` and reads the status line's code.
async fn raw_request(uri: &reqwest::Url, request: &[u8]) -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let address = (uri.host_str().unwrap(), uri.port().unwrap());
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    stream.write_all(request).await.unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.unwrap();
    let answer = String::from_utf8_lossy(&answer);
    answer.split(' ').nth(1).unwrap().parse().unwrap()
}

#[tokio::test]
async fn pkce_login_ignores_a_forged_state_and_reports_a_denied_consent() {
    let server = MockServer::start_async().await;
    let exchange = answer_json(&server, TOKEN_PATH, json!({"access_token": "a"})).await;
    let (urls, mut received) = tokio::sync::mpsc::unbounded_channel();
    let source = pkce_source(&server, urls);
    let browser = async {
        let authorize = received.recv().await.unwrap();
        let mut forged = redirect_uri_of(&authorize);
        forged.set_query(Some("code=code-SECRET-1&state=forged"));
        let status = reqwest::get(forged).await.unwrap().status();
        assert_eq!(status, 400, "a forged redirect is answered");
        let (urls, received) = tokio::sync::mpsc::unbounded_channel();
        urls.send(authorize).unwrap();
        redirect(received, |state| {
            format!("error=access_denied&state={state}")
        })
        .await;
    };
    let (login, ()) = tokio::join!(source.login(), browser);
    let error = login.unwrap_err();
    assert!(
        matches!(error.kind(), AuthErrorKind::Rejected { .. }),
        "{error}"
    );
    let message = error.to_string();
    assert!(
        message.contains("access_denied") && message.contains("denied consent"),
        "{message}"
    );
    assert!(!message.contains(CONFIGURATION_ADVICE), "{message}");
    assert_no_secrets(&error);
    assert_eq!(
        exchange.calls_async().await,
        0,
        "a refused redirect was exchanged"
    );
}

#[tokio::test]
async fn an_idle_connection_does_not_hold_up_the_browsers_redirect() {
    use tokio::io::AsyncWriteExt;
    let server = MockServer::start_async().await;
    answer_json(
        &server,
        TOKEN_PATH,
        json!({"access_token": "access-SECRET-1"}),
    )
    .await;
    let (urls, mut received) = tokio::sync::mpsc::unbounded_channel();
    let source = pkce_source(&server, urls);
    let browser = async {
        let authorize = received.recv().await.unwrap();
        let uri = redirect_uri_of(&authorize);
        let address = (uri.host_str().unwrap(), uri.port().unwrap());
        // A connection that sends nothing, and one that stops in the middle of its request.
        let idle = tokio::net::TcpStream::connect(address).await.unwrap();
        let mut halfway = tokio::net::TcpStream::connect(address).await.unwrap();
        halfway.write_all(b"GET /callback?st").await.unwrap();
        let (urls, received) = tokio::sync::mpsc::unbounded_channel();
        urls.send(authorize).unwrap();
        redirect(received, |state| {
            format!("code=code-SECRET-1&state={state}")
        })
        .await;
        (idle, halfway)
    };
    let (token, _connections) = tokio::join!(source.login(), browser);
    let token = token.unwrap();
    assert_eq!(token.access_token().expose_secret(), "access-SECRET-1");
}

#[tokio::test]
async fn stray_requests_are_answered_and_ignored_until_the_real_redirect() {
    let server = MockServer::start_async().await;
    let exchange = answer_json(
        &server,
        TOKEN_PATH,
        json!({"access_token": "access-SECRET-1"}),
    )
    .await;
    let (urls, mut received) = tokio::sync::mpsc::unbounded_channel();
    let source = pkce_source(&server, urls);
    let browser = async {
        let authorize = received.recv().await.unwrap();
        let uri = redirect_uri_of(&authorize);
        for (request, expected) in [
            (
                &b"GET /callback?code=code-SECRET-1&state=forged HTTP/1.1\r\n\r\n"[..],
                400,
            ),
            (b"GET /callback?code=code-SECRET-1 HTTP/1.1\r\n\r\n", 400),
            (b"GET /callback HTTP/1.1\r\n\r\n", 400),
            (b"GET /elsewhere HTTP/1.1\r\n\r\n", 404),
            (b"POST /callback HTTP/1.1\r\nContent-Length: 0\r\n\r\n", 400),
            (b"HELLO\r\n\r\n", 400),
        ] {
            let status = raw_request(&uri, request).await;
            assert_eq!(status, expected, "{}", String::from_utf8_lossy(request));
        }
        let (urls, received) = tokio::sync::mpsc::unbounded_channel();
        urls.send(authorize).unwrap();
        redirect(received, |state| {
            format!("code=code-SECRET-1&state={state}")
        })
        .await;
    };
    let (token, ()) = tokio::join!(source.login(), browser);
    token.unwrap();
    assert_eq!(exchange.calls_async().await, 1);
}

#[tokio::test]
async fn a_login_gives_up_after_a_hundred_stray_requests() {
    let server = MockServer::start_async().await;
    let (urls, mut received) = tokio::sync::mpsc::unbounded_channel();
    let source = pkce_source(&server, urls);
    let prober = async {
        let uri = redirect_uri_of(&received.recv().await.unwrap());
        for _ in 0..100 {
            raw_request(&uri, b"GET /callback?code=x&state=forged HTTP/1.1\r\n\r\n").await;
        }
    };
    let (login, ()) = tokio::join!(source.login(), prober);
    let error = login.unwrap_err();
    assert!(
        matches!(error.kind(), AuthErrorKind::Rejected { .. }),
        "{error}"
    );
    let message = error.to_string();
    assert!(
        message.contains("100 requests") && message.contains("not its redirect"),
        "{message}"
    );
}

#[tokio::test]
async fn the_redirect_path_is_configurable_and_the_redirect_uri_known_before_the_browser_opens() {
    let server = MockServer::start_async().await;
    let (urls, received) = tokio::sync::mpsc::unbounded_channel();
    let source = pkce_source(&server, urls).redirect_path("/oauth/done");
    let listening = source.listen().await.unwrap();
    let redirect_uri = listening.redirect_uri().to_owned();
    assert!(
        redirect_uri.starts_with("http://127.0.0.1:") && redirect_uri.ends_with("/oauth/done"),
        "{redirect_uri}"
    );
    let expected = redirect_uri.clone();
    let exchange = server
        .mock_async(|when, then| {
            when.method(POST)
                .path(TOKEN_PATH)
                .form_urlencoded_tuple("redirect_uri", expected);
            then.status(200)
                .json_body(json!({"access_token": "access-SECRET-1"}));
        })
        .await;
    let (token, authorize) = tokio::join!(
        listening.login(),
        redirect(received, |state| format!(
            "code=code-SECRET-1&state={state}"
        ))
    );
    token.unwrap();
    assert_eq!(redirect_uri_of(&authorize).as_str(), redirect_uri);
    assert_eq!(exchange.calls_async().await, 1);
}

#[tokio::test]
async fn a_fixed_redirect_port_is_used_and_a_busy_one_refused_naming_it() {
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = busy.local_addr().unwrap().port();
    let server = MockServer::start_async().await;
    let (urls, _received) = tokio::sync::mpsc::unbounded_channel();
    let source = pkce_source(&server, urls).redirect_port(port);
    let error = source.listen().await.unwrap_err();
    let message = error.to_string();
    assert!(
        message.contains(&format!("127.0.0.1:{port}")) && message.contains("redirect_port"),
        "{message}"
    );
    drop(busy);
    let listening = source.listen().await.unwrap();
    assert_eq!(
        listening.redirect_uri(),
        format!("http://127.0.0.1:{port}/callback")
    );
}

#[tokio::test(start_paused = true)]
async fn a_login_that_times_out_names_login_timeout_and_blames_no_endpoint() {
    let nowhere: reqwest::Url = "http://127.0.0.1:9/never".parse().unwrap();
    let source = AuthorizationCodePkce::new(
        nowhere.clone(),
        nowhere,
        ClientAuth::public(CLIENT_ID),
        |_| {},
    )
    .login_timeout(Duration::from_secs(120));
    let error = source.login().await.unwrap_err();
    let message = error.to_string();
    assert!(
        message.contains("login_timeout") && message.contains("120 s"),
        "{message}"
    );
    for misleading in ["refresh_timeout", "token endpoint"] {
        assert!(!message.contains(misleading), "{message}");
    }
}

#[tokio::test]
async fn a_redirect_path_that_is_not_a_path_is_refused_naming_the_setting() {
    let server = MockServer::start_async().await;
    for path in ["callback", "/callback?x=1", "/call back"] {
        let (urls, _received) = tokio::sync::mpsc::unbounded_channel();
        let error = pkce_source(&server, urls)
            .redirect_path(path)
            .listen()
            .await
            .unwrap_err();
        assert!(
            error
                .to_string()
                .contains("AuthorizationCodePkce::redirect_path"),
            "{path}: {error}"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn a_login_in_a_cache_runs_for_its_login_timeout_not_the_refresh_timeout() {
    let nowhere: reqwest::Url = "http://127.0.0.1:9/never".parse().unwrap();
    let source = AuthorizationCodePkce::new(
        nowhere.clone(),
        nowhere,
        ClientAuth::public(CLIENT_ID),
        |_| {},
    )
    .login_timeout(Duration::from_secs(120));
    let cache = TokenCache::builder(source)
        .refresh_timeout(Duration::from_secs(30))
        .build();
    let started = tokio::time::Instant::now();
    let error = cache.token().await.unwrap_err();
    let message = error.to_string();
    assert!(
        message.contains("login_timeout") && message.contains("120 s"),
        "the login's own bound ended it, not the cache's 30 s: {message}"
    );
    assert!(started.elapsed() >= Duration::from_secs(120));
}

/// After a logout the next `token()` starts an interactive login, which its own login timeout
/// ends here: both the log line and the error name the call that puts a login in service for
/// every process, `TokenCache::save_token`.
#[tokio::test(start_paused = true)]
async fn an_interactive_login_after_a_logout_names_save_token_as_the_way_to_log_in() {
    let watch = freshtoken_tests::faults::SecretWatch::start();
    let nowhere: reqwest::Url = "http://127.0.0.1:9/never".parse().unwrap();
    let source = AuthorizationCodePkce::new(
        nowhere.clone(),
        nowhere,
        ClientAuth::public(CLIENT_ID),
        |_| {},
    );
    let cache = TokenCache::builder(source)
        .refresh_timeout(Duration::from_secs(30))
        .build();
    cache.clear().await.unwrap();

    let error = cache.token().await.unwrap_err();

    let message = error.to_string();
    assert!(message.contains("`TokenCache::save_token`"), "{message}");
    let logs = watch.logs();
    assert!(
        logs.contains("starts an interactive login") && logs.contains("`TokenCache::save_token`"),
        "{logs}"
    );
}

// ----- the device authorization grant (RFC 8628); the exact times of its polls are tested on
// the paused clock in the runtime's unit tests, these run on a stepped clock -----

const DEVICE_PATH: &str = "/oauth/device_authorization";
const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// The device authorization answer of `device_server`: `interval` 0 asks for no wait at all.
fn device_answer() -> serde_json::Value {
    json!({
        "device_code": "device-SECRET-1",
        "user_code": "WDJB-MJHT",
        "verification_uri": "https://auth.example/device",
        "verification_uri_complete": "https://auth.example/device?user_code=WDJB-MJHT",
        "expires_in": 60,
        "interval": 0,
    })
}

/// A device authorization endpoint answering [`device_answer`], and a token endpoint that
/// answers the device code grant with `status` and `body`.
async fn device_server(status: u16, body: serde_json::Value) -> MockServer {
    device_server_answering(device_answer(), status, body).await
}

/// A device authorization endpoint answering `authorization`, and a token endpoint that
/// answers the device code grant with `status` and `body`.
async fn device_server_answering(
    authorization: serde_json::Value,
    status: u16,
    body: serde_json::Value,
) -> MockServer {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(POST)
                .path(DEVICE_PATH)
                .form_urlencoded_tuple("client_id", CLIENT_ID)
                .form_urlencoded_tuple("scope", "tasks");
            then.status(200).json_body(authorization);
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(POST)
                .path(TOKEN_PATH)
                .form_urlencoded_tuple("grant_type", DEVICE_GRANT)
                .form_urlencoded_tuple("device_code", "device-SECRET-1")
                .form_urlencoded_tuple("client_id", CLIENT_ID);
            then.status(status).json_body(body);
        })
        .await;
    server
}

type Shown = Arc<Mutex<Vec<DeviceAuthorization>>>;

/// A device source that keeps what it shows the user in `shown`. Its requests may take an
/// hour, longer than any test waits on the stepped clock.
fn device_source(server: &MockServer, shown: Shown) -> DeviceCodeGrant {
    DeviceCodeGrant::new(
        url(server, DEVICE_PATH),
        url(server, TOKEN_PATH),
        ClientAuth::public(CLIENT_ID),
        move |login| shown.lock().unwrap().push(login.clone()),
    )
    .scopes(["tasks"])
    .timeout(Duration::from_secs(3600))
}

#[tokio::test]
async fn device_login_shows_the_user_code_and_exchanges_the_device_code() {
    let server = device_server(200, json!({"access_token": "access-SECRET-1"})).await;
    let shown = Shown::default();
    let source = device_source(&server, Arc::clone(&shown));
    let token = on_stepped_clock(source.login()).await.unwrap();
    assert_eq!(token.access_token().expose_secret(), "access-SECRET-1");
    let shown = shown.lock().unwrap();
    assert_eq!(shown.len(), 1);
    assert_eq!(shown[0].user_code, "WDJB-MJHT");
    assert_eq!(shown[0].verification_uri, "https://auth.example/device");
    assert_eq!(
        shown[0].verification_uri_complete.as_deref(),
        Some("https://auth.example/device?user_code=WDJB-MJHT")
    );
}

#[tokio::test]
async fn a_device_server_asking_for_no_interval_is_polled_after_five_seconds() {
    let server = device_server(200, json!({"access_token": "access-SECRET-1"})).await;
    let source = device_source(&server, Shown::default());
    let waited = on_stepped_clock(async {
        let start = tokio::time::Instant::now();
        source.login().await.unwrap();
        start.elapsed()
    })
    .await;
    assert!(
        waited >= Duration::from_secs(5),
        "`interval: 0` was taken at its word: the token endpoint was polled after {waited:?}"
    );
}

#[tokio::test]
async fn a_device_login_survives_an_interval_and_a_lifetime_of_u64_max() {
    let mut authorization = device_answer();
    authorization["expires_in"] = json!(u64::MAX);
    authorization["interval"] = json!(u64::MAX);
    let server =
        device_server_answering(authorization, 400, json!({"error": "access_denied"})).await;
    let shown = Shown::default();
    let source = device_source(&server, Arc::clone(&shown));
    let denied = on_stepped_clock(source.login()).await.unwrap_err();
    assert!(
        matches!(denied.kind(), AuthErrorKind::Rejected { .. }),
        "{denied}"
    );
    assert_eq!(
        shown.lock().unwrap()[0].expires_in,
        Duration::from_secs(30 * 60),
        "the lifetime shown is the one the source polls for"
    );
}

#[tokio::test]
async fn a_device_login_reports_the_time_left_after_each_poll_that_finds_it_pending() {
    let server = device_server(400, json!({"error": "authorization_pending"})).await;
    let left = Arc::new(Mutex::new(Vec::new()));
    let recorded = Arc::clone(&left);
    let source = device_source(&server, Shown::default())
        .on_poll(move |remaining| recorded.lock().unwrap().push(remaining));

    let expired = on_stepped_clock(source.login()).await.unwrap_err();

    assert!(expired.needs_reauthentication(), "{expired}");
    let left = left.lock().unwrap();
    assert!(left.len() >= 2, "{left:?}");
    assert!(left[0] <= Duration::from_secs(55), "{left:?}");
    assert!(left.is_sorted_by(|a, b| a > b), "a countdown: {left:?}");
}

/// Whether `text` could steer a terminal or reorder what is shown: C0 and C1 controls (ESC,
/// CSI, BEL...) and Unicode's bidirectional overrides.
fn steers_a_terminal(text: &str) -> bool {
    text.chars()
        .any(|c| c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'))
}

#[tokio::test]
async fn control_characters_from_the_device_server_never_reach_the_users_screen() {
    let mut authorization = device_answer();
    authorization["user_code"] = json!("WDJB\u{1b}[2J-\u{9b}31mMJHT\u{7}\u{202e}");
    authorization["verification_uri"] =
        json!("https://auth.example/device\u{1b}]8;;https://evil.example\u{7}");
    authorization["verification_uri_complete"] =
        json!("https://auth.example/device?user_code=WDJB-MJHT\u{1b}[0m\u{85}");
    let server =
        device_server_answering(authorization, 400, json!({"error": "access_denied"})).await;
    let shown = Shown::default();
    let source = device_source(&server, Arc::clone(&shown));
    on_stepped_clock(source.login()).await.unwrap_err();

    let shown = shown.lock().unwrap();
    let login = &shown[0];
    assert_eq!(login.user_code, "WDJB[2J-31mMJHT");
    for text in [
        &login.user_code,
        &login.verification_uri,
        login.verification_uri_complete.as_ref().unwrap(),
    ] {
        assert!(!steers_a_terminal(text), "{text:?}");
    }
    assert!(
        login
            .verification_uri
            .starts_with("https://auth.example/device"),
        "{login:?}"
    );
}

#[tokio::test]
async fn a_verification_uri_that_is_not_http_is_refused_and_a_complete_one_left_out() {
    let mut authorization = device_answer();
    authorization["verification_uri"] = json!("javascript:alert(document.cookie)");
    let server =
        device_server_answering(authorization, 400, json!({"error": "access_denied"})).await;
    let shown = Shown::default();
    let error = on_stepped_clock(device_source(&server, Arc::clone(&shown)).login())
        .await
        .unwrap_err();
    assert!(
        shown.lock().unwrap().is_empty(),
        "a javascript: URL was shown to the user"
    );
    let message = error.to_string();
    assert!(
        message.contains("`verification_uri`") && message.contains("http"),
        "{message}"
    );
    assert_no_secrets(&error);

    // The complete URI is a convenience: one that is not http(s) is left out, and the user
    // types the code at the verification URI instead.
    let mut authorization = device_answer();
    authorization["verification_uri_complete"] = json!("data:text/html,<h1>login</h1>");
    let server =
        device_server_answering(authorization, 400, json!({"error": "access_denied"})).await;
    let shown = Shown::default();
    on_stepped_clock(device_source(&server, Arc::clone(&shown)).login())
        .await
        .unwrap_err();
    let shown = shown.lock().unwrap();
    assert_eq!(shown[0].verification_uri, "https://auth.example/device");
    assert_eq!(shown[0].verification_uri_complete, None);
}

#[tokio::test]
async fn a_denied_and_an_expired_device_login_end_with_distinct_errors() {
    let server = device_server(400, json!({"error": "access_denied"})).await;
    let denied = on_stepped_clock(device_source(&server, Shown::default()).login())
        .await
        .unwrap_err();
    assert!(
        matches!(denied.kind(), AuthErrorKind::Rejected { .. }),
        "{denied}"
    );
    let message = denied.to_string();
    assert!(
        message.contains("access_denied") && message.contains("denied the login"),
        "{message}"
    );
    assert!(!message.contains(CONFIGURATION_ADVICE), "{message}");
    assert_no_secrets(&denied);

    let server = device_server(400, json!({"error": "expired_token"})).await;
    let expired = on_stepped_clock(device_source(&server, Shown::default()).login())
        .await
        .unwrap_err();
    assert!(expired.needs_reauthentication(), "{expired}");
    assert!(expired.to_string().contains("expired_token"), "{expired}");
    assert_no_secrets(&expired);
}

// ----- JWT assertions (RFC 7523) -----

const RSA_PRIVATE: &[u8] = include_bytes!("../../../runtime/src/oauth/test_keys/rsa_private.pem");
const RSA_PUBLIC: &[u8] = include_bytes!("../../../runtime/src/oauth/test_keys/rsa_public.pem");
const EC_PRIVATE: &[u8] = include_bytes!("../../../runtime/src/oauth/test_keys/ec_private.pem");
const EC_PUBLIC: &[u8] = include_bytes!("../../../runtime/src/oauth/test_keys/ec_public.pem");

/// The claims of `assertion` if its signature verifies with `public` and its audience is
/// `audience`, as a token endpoint checks it.
fn verified(
    assertion: &str,
    public: &jsonwebtoken::DecodingKey,
    algorithm: jsonwebtoken::Algorithm,
    audience: &str,
) -> Option<serde_json::Value> {
    let mut validation = jsonwebtoken::Validation::new(algorithm);
    validation.set_audience(&[audience]);
    jsonwebtoken::decode::<serde_json::Value>(assertion, public, &validation)
        .ok()
        .map(|data| data.claims)
}

fn field(request: &HttpMockRequest, name: &str) -> String {
    form(request)
        .into_iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value)
        .unwrap_or_default()
}

#[tokio::test]
async fn jwt_bearer_grant_sends_a_signed_assertion_for_the_token_endpoint() {
    let server = MockServer::start_async().await;
    let audience = server.url(TOKEN_PATH);
    let public = jsonwebtoken::DecodingKey::from_rsa_pem(RSA_PUBLIC).unwrap();
    let endpoint = server
        .mock_async(|when, then| {
            when.method(POST).path(TOKEN_PATH).is_true(move |request| {
                field(request, "grant_type") == "urn:ietf:params:oauth:grant-type:jwt-bearer"
                    && verified(
                        &field(request, "assertion"),
                        &public,
                        jsonwebtoken::Algorithm::RS256,
                        &audience,
                    )
                    .is_some_and(|claims| {
                        claims["iss"] == "svc@example" && claims["sub"] == "user@example"
                    })
            });
            then.status(200)
                .json_body(json!({"access_token": "access-SECRET-1"}));
        })
        .await;
    let source = JwtBearerGrant::new(
        url(&server, TOKEN_PATH),
        ClientAuth::public(CLIENT_ID),
        JwtSigner::rs256_pem(RSA_PRIVATE).unwrap(),
        "svc@example",
        "user@example",
    );
    source.fetch(None).await.unwrap();
    source.fetch(None).await.unwrap();
    assert_eq!(endpoint.calls_async().await, 2);
}

#[tokio::test]
async fn private_key_jwt_authenticates_the_client_with_a_verified_assertion() {
    let server = MockServer::start_async().await;
    let audience = server.url(TOKEN_PATH);
    let public = jsonwebtoken::DecodingKey::from_ec_pem(EC_PUBLIC).unwrap();
    server
        .mock_async(|when, then| {
            when.method(POST).path(TOKEN_PATH).is_true(move |request| {
                field(request, "client_assertion_type")
                    == "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
                    && verified(
                        &field(request, "client_assertion"),
                        &public,
                        jsonwebtoken::Algorithm::ES256,
                        &audience,
                    )
                    .is_some_and(|claims| claims["iss"] == CLIENT_ID && claims["sub"] == CLIENT_ID)
                    && !has_header(request, "authorization")
            });
            then.status(400)
                .json_body(json!({"error": "invalid_grant"}));
        })
        .await;
    let client = ClientAuth::private_key_jwt(CLIENT_ID, JwtSigner::es256_pem(EC_PRIVATE).unwrap());
    let error = RefreshTokenGrant::new(url(&server, TOKEN_PATH), client)
        .fetch(Some(&previous()))
        .await
        .unwrap_err();
    // Matched (a 400 from the mock, not httpmock's 404): the assertion verified.
    assert!(error.needs_reauthentication(), "{error}");
}
