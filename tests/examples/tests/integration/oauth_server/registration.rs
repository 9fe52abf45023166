//! Dynamic client registration (RFC 7591) and client ID metadata documents over real HTTP:
//! what `POST /oauth/register` answers and refuses, and that the clients it registers, or a
//! document served on 127.0.0.1 describes, are held to their redirect URIs.

use axum::Json;
use axum::routing::get;
use freshtoken_examples::server::ServerConfig;
use reqwest::StatusCode;
use reqwest::header::CONTENT_TYPE;
use serde_json::{Value, json};

use crate::common::{Answer, Oauth};

/// `POST /oauth/register` with `metadata` as JSON.
async fn register(oauth: &Oauth, metadata: &Value) -> Answer {
    let response = oauth
        .http
        .post(format!("{}/oauth/register", oauth.base_url))
        .header(CONTENT_TYPE, "application/json")
        .body(metadata.to_string())
        .send()
        .await
        .unwrap();
    Answer::of(response).await
}

/// `GET /oauth/authorize` for `client_id` with `redirect_uri` and a valid PKCE challenge.
async fn authorize(oauth: &Oauth, client_id: &str, redirect_uri: &str) -> Answer {
    let url = reqwest::Url::parse_with_params(
        &format!("{}/oauth/authorize", oauth.base_url),
        [
            ("response_type", "code"),
            ("client_id", client_id),
            ("redirect_uri", redirect_uri),
            ("state", "s"),
            (
                "code_challenge",
                "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
            ),
            ("code_challenge_method", "S256"),
        ],
    )
    .unwrap();
    let response = oauth.http.get(url).send().await.unwrap();
    Answer::of(response).await
}

#[tokio::test]
async fn registration_answers_the_client_with_a_secret_only_for_a_confidential_one() {
    let oauth = Oauth::start_default().await;
    let metadata = oauth.get("/.well-known/oauth-authorization-server").await;
    let endpoint = format!("{}/oauth/register", oauth.base_url);
    assert_eq!(metadata.body["registration_endpoint"], endpoint.as_str());
    assert_eq!(metadata.body["client_id_metadata_document_supported"], true);

    let public = register(
        &oauth,
        &json!({
            "client_name": "Tasks CLI",
            "redirect_uris": ["http://127.0.0.1/callback"],
            "grant_types": ["authorization_code", "refresh_token"],
            "token_endpoint_auth_method": "none",
            "application_type": "native",
            "scope": "tasks:read",
        }),
    )
    .await;
    assert_eq!(public.status, StatusCode::CREATED, "{public:?}");
    assert_eq!(public.header("cache-control"), Some("no-store"));
    assert!(!public.field("client_id").is_empty());
    assert!(public.body.get("client_secret").is_none(), "{public:?}");
    assert!(public.body["client_id_issued_at"].as_u64().unwrap() > 0);
    assert_eq!(public.body["client_name"], "Tasks CLI");
    assert_eq!(public.body["token_endpoint_auth_method"], "none");
    assert_eq!(public.body["scope"], "tasks:read");

    let confidential = register(
        &oauth,
        &json!({ "grant_types": ["password"], "token_endpoint_auth_method": "client_secret_post" }),
    )
    .await;
    assert_eq!(confidential.status, StatusCode::CREATED, "{confidential:?}");
    assert_eq!(confidential.field("client_secret").len(), 43);
    assert_eq!(confidential.body["client_secret_expires_at"], 0);
    assert_ne!(confidential.field("client_id"), public.field("client_id"));
    assert_eq!(oauth.server.stats().client_registrations, 2);
}

#[tokio::test]
async fn refused_registrations_answer_rfc_7591_error_codes() {
    let oauth = Oauth::start_default().await;
    let cases = [
        (
            json!({ "redirect_uris": ["http://evil.example/cb"] }),
            "invalid_redirect_uri",
        ),
        (
            json!({ "redirect_uris": ["https://app.example/cb#frag"] }),
            "invalid_redirect_uri",
        ),
        (
            json!({ "redirect_uris": ["not a url"] }),
            "invalid_redirect_uri",
        ),
        (
            json!({ "grant_types": ["authorization_code"] }),
            "invalid_redirect_uri",
        ),
        (
            json!({ "token_endpoint_auth_method": "tls_client_auth", "grant_types": ["password"] }),
            "invalid_client_metadata",
        ),
        (
            json!({ "grant_types": ["implicit"] }),
            "invalid_client_metadata",
        ),
        (
            json!({ "grant_types": ["password"], "application_type": "robot" }),
            "invalid_client_metadata",
        ),
        (
            json!({ "grant_types": ["password"], "scope": "a  b" }),
            "invalid_client_metadata",
        ),
        (json!(["not", "an", "object"]), "invalid_client_metadata"),
    ];
    for (metadata, error) in cases {
        let answer = register(&oauth, &metadata).await;
        answer.assert_error(StatusCode::BAD_REQUEST, error, &[]);
    }
    assert_eq!(oauth.server.stats().client_registrations, 0);
}

#[tokio::test]
async fn a_registered_client_may_use_its_redirect_uri_on_any_loopback_port_and_no_other() {
    let oauth = Oauth::start_default().await;
    let answer = register(
        &oauth,
        &json!({
            "redirect_uris": ["http://127.0.0.1/callback"],
            "token_endpoint_auth_method": "none",
        }),
    )
    .await;
    let client_id = answer.field("client_id");
    let granted = authorize(&oauth, &client_id, "http://127.0.0.1:43117/callback").await;
    assert_eq!(granted.status, StatusCode::FOUND, "{granted:?}");
    assert!(granted.header("location").unwrap().contains("code="));
    for other in [
        "http://127.0.0.1:43117/other",
        "https://app.example/callback",
    ] {
        let refused = authorize(&oauth, &client_id, other).await;
        assert_eq!(
            refused.status,
            StatusCode::BAD_REQUEST,
            "{other}: {refused:?}"
        );
    }
}

/// A server on 127.0.0.1 serving `document(url)` at `/client.json`; stops when dropped.
struct DocumentServer {
    url: String,
    task: tokio::task::JoinHandle<()>,
}

impl DocumentServer {
    async fn start(document: fn(&str) -> Value) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/client.json", listener.local_addr().unwrap());
        let body = document(&url);
        let app = axum::Router::new().route(
            "/client.json",
            get(move || {
                let body = body.clone();
                async move { Json(body) }
            }),
        );
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self { url, task }
    }
}

impl Drop for DocumentServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

#[tokio::test]
async fn a_client_id_metadata_document_is_fetched_once_and_holds_the_client_to_its_redirects() {
    let oauth = Oauth::start(ServerConfig::default()).await;
    let document = DocumentServer::start(|url| {
        json!({
            "client_id": url,
            "client_name": "Tasks CLI",
            "redirect_uris": ["http://127.0.0.1/callback"],
            "token_endpoint_auth_method": "none",
        })
    })
    .await;
    for port in ["40001", "40002"] {
        let redirect = format!("http://127.0.0.1:{port}/callback");
        let granted = authorize(&oauth, &document.url, &redirect).await;
        assert_eq!(granted.status, StatusCode::FOUND, "{granted:?}");
    }
    let refused = authorize(&oauth, &document.url, "http://127.0.0.1:40001/elsewhere").await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert_eq!(oauth.server.stats().client_metadata_document_fetches, 1);
}

#[tokio::test]
async fn a_document_that_names_another_client_id_or_is_not_on_loopback_is_refused() {
    let oauth = Oauth::start_default().await;
    let impostor = DocumentServer::start(|_| {
        json!({ "client_id": "https://other.example/client.json", "redirect_uris": ["http://127.0.0.1/callback"] })
    })
    .await;
    let refused = authorize(&oauth, &impostor.url, "http://127.0.0.1:40001/callback").await;
    refused.assert_error(StatusCode::BAD_REQUEST, "invalid_request", &[]);
    assert!(
        refused.field("error_description").contains("client_id"),
        "{refused:?}"
    );

    let elsewhere = authorize(
        &oauth,
        "http://example.com/client.json",
        "http://127.0.0.1/cb",
    )
    .await;
    elsewhere.assert_error(StatusCode::BAD_REQUEST, "invalid_request", &[]);
    // The URL parser would drop the line break: the text is not the URL it would fetch.
    let broken = format!("{}\n", impostor.url);
    let refused = authorize(&oauth, &broken, "http://127.0.0.1/cb").await;
    refused.assert_error(StatusCode::BAD_REQUEST, "invalid_request", &[]);
    // Only the impostor's document was fetched; the other URLs never were.
    assert_eq!(oauth.server.stats().client_metadata_document_fetches, 1);
}
