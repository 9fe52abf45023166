//! Dynamic client registration and client ID metadata documents with freshtoken's
//! `ClientRegistration`, `RegistrationStore` and `ClientIdentity` against the reference
//! server: the registered client logs in, a kept registration is not done again, and the
//! server's refusals arrive as clear errors.

use std::time::Duration;

use axum::Json;
use axum::routing::{get, post};
use freshtoken::oauth::resource::{
    ClientIdentity, ClientRegistration, RegisteredClient, RegistrationStore,
};
use freshtoken::oauth::{AuthorizationCodePkce, EndpointError, Issuer, PasswordGrant, Url};
use freshtoken::{AuthErrorKind, FileStore, MemoryStore, Token, TokenSource};
use reqwest::StatusCode;
use serde_json::{Value, json};

use super::{access, refresh_rotates};
use crate::common::Oauth;

async fn metadata(oauth: &Oauth) -> freshtoken::oauth::ServerMetadata {
    Issuer::new(oauth.base_url.parse().unwrap())
        .metadata()
        .await
        .unwrap()
        .clone()
}

/// Logs in with `source`, acting as the browser that follows the authorize URL.
async fn browser_login(
    source: AuthorizationCodePkce,
    mut shown: tokio::sync::mpsc::UnboundedReceiver<Url>,
    oauth: &Oauth,
) -> Token {
    let browser = async {
        let authorize = shown.recv().await.unwrap();
        let answer = oauth.http.get(authorize).send().await.unwrap();
        assert_eq!(answer.status(), StatusCode::FOUND);
        let location = answer.headers()["location"].to_str().unwrap().to_owned();
        let _ = oauth.http.get(location).send().await;
    };
    let (token, ()) = tokio::join!(source.login(), browser);
    token.unwrap()
}

/// A PKCE source of `issuer` for `client`, and the receiver of the URLs it shows.
async fn pkce_source(
    oauth: &Oauth,
    client: freshtoken::oauth::ClientAuth,
) -> (
    AuthorizationCodePkce,
    tokio::sync::mpsc::UnboundedReceiver<Url>,
) {
    let (urls, shown) = tokio::sync::mpsc::unbounded_channel();
    let source = Issuer::new(oauth.base_url.parse().unwrap())
        .authorization_code_pkce(client, move |url| {
            let _ = urls.send(url.clone());
        })
        .await
        .unwrap()
        .login_timeout(Duration::from_secs(10));
    (source, shown)
}

#[tokio::test]
async fn a_registered_public_client_logs_in_with_pkce_and_refreshes() {
    let oauth = Oauth::start_default().await;
    let server = metadata(&oauth).await;
    let client = ClientRegistration::loopback("Tasks CLI")
        .scopes(["tasks:read", "tasks:write"])
        .register(&server)
        .await
        .unwrap();
    assert!(client.client_secret().is_none());
    assert_eq!(client.token_endpoint_auth_method(), "none");
    assert_eq!(client.metadata()["client_name"], "Tasks CLI");
    assert!(client.client_id_issued_at().is_some());

    let (source, shown) = pkce_source(&oauth, client.client_auth().unwrap()).await;
    let token = browser_login(source.clone(), shown, &oauth).await;
    assert_eq!(oauth.tasks_status(access(&token)).await, StatusCode::OK);
    refresh_rotates(&oauth, source, token).await;
}

#[tokio::test]
async fn a_registered_confidential_client_logs_in_with_the_password_grant() {
    let oauth = Oauth::start_default().await;
    let server = metadata(&oauth).await;
    for method in ["client_secret_basic", "client_secret_post"] {
        let client = ClientRegistration::new("Tasks backend")
            .grant_types(["password", "refresh_token"])
            .token_endpoint_auth_method(method)
            .register(&server)
            .await
            .unwrap();
        assert_eq!(client.client_secret().unwrap().expose_secret().len(), 43);
        assert_eq!(client.client_secret_expires_at(), None, "0: never");
        let source = PasswordGrant::new(
            server.token_endpoint().clone(),
            client.client_auth().unwrap(),
            "alice",
            "wonderland",
        );
        let token = source.fetch(None).await.unwrap();
        assert_eq!(oauth.tasks_status(access(&token)).await, StatusCode::OK);
        refresh_rotates(&oauth, source, token).await;
    }
    assert_eq!(oauth.server.stats().client_registrations, 2);
}

#[tokio::test]
async fn a_file_store_keeps_the_registration_so_the_next_start_does_not_register_again() {
    let oauth = Oauth::start_default().await;
    let server = metadata(&oauth).await;
    let dir = tempfile::tempdir().unwrap();
    let token_file = dir.path().join("token.json");
    let registration = ClientRegistration::new("Tasks backend")
        .grant_types(["password"])
        .token_endpoint_auth_method("client_secret_post");

    let first = registration
        .register_once(&FileStore::new(&token_file), &server)
        .await
        .unwrap();
    // A new process: a new store on the same file.
    let store = FileStore::new(&token_file);
    let second = registration.register_once(&store, &server).await.unwrap();
    assert_eq!(second.client_id(), first.client_id());
    assert_eq!(
        second.client_secret().unwrap().expose_secret(),
        first.client_secret().unwrap().expose_secret()
    );
    assert_eq!(oauth.server.stats().client_registrations, 1);
    let kept = store.registrations_path();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&kept).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{}", kept.display());
    }
    // The kept client still logs in.
    let source = PasswordGrant::new(
        server.token_endpoint().clone(),
        second.client_auth().unwrap(),
        "alice",
        "wonderland",
    );
    source.fetch(None).await.unwrap();

    // After `invalid_client` a program forgets the registration: the next start registers.
    store.forget_registration(server.issuer()).await.unwrap();
    let third = registration.register_once(&store, &server).await.unwrap();
    assert_ne!(third.client_id(), first.client_id());
    assert_eq!(oauth.server.stats().client_registrations, 2);
}

#[tokio::test]
async fn a_memory_store_registers_once_and_again_once_the_secret_expired() {
    let oauth = Oauth::start_default().await;
    let server = metadata(&oauth).await;
    let store = MemoryStore::default();
    let registration = ClientRegistration::loopback("Tasks CLI");
    let first = registration.register_once(&store, &server).await.unwrap();
    let again = registration.register_once(&store, &server).await.unwrap();
    assert_eq!(again.client_id(), first.client_id());
    assert_eq!(oauth.server.stats().client_registrations, 1);

    let expired = RegisteredClient::from_json(
        br#"{"client_id": "old", "client_secret": "old-secret", "client_secret_expires_at": 1}"#,
    )
    .unwrap();
    store
        .save_registration(server.issuer(), &expired)
        .await
        .unwrap();
    let renewed = registration.register_once(&store, &server).await.unwrap();
    assert_ne!(renewed.client_id(), "old");
    assert_eq!(oauth.server.stats().client_registrations, 2);
    let kept = store.load_registration(server.issuer()).await.unwrap();
    assert_eq!(kept.unwrap().client_id(), renewed.client_id());
}

#[tokio::test]
async fn a_refused_registration_names_the_rfc_7591_error_and_the_endpoint() {
    let oauth = Oauth::start_default().await;
    let server = metadata(&oauth).await;
    let error = ClientRegistration::new("Tasks CLI")
        .redirect_uri("http://evil.example/callback")
        .register(&server)
        .await
        .unwrap_err();
    assert!(
        matches!(error.kind(), AuthErrorKind::Rejected { .. }),
        "{error:?}"
    );
    let message = error.to_string();
    assert!(message.contains("invalid_redirect_uri"), "{message}");
    assert!(message.contains("/oauth/register"), "{message}");
    let AuthErrorKind::Rejected { source } = error.kind() else {
        unreachable!()
    };
    let endpoint_error = source.downcast_ref::<EndpointError>().unwrap();
    assert_eq!(endpoint_error.error_code(), Some("invalid_redirect_uri"));
    assert_eq!(endpoint_error.status(), Some(StatusCode::BAD_REQUEST));
}

#[tokio::test]
async fn a_server_without_registration_or_an_answer_without_a_client_is_a_clear_error() {
    // A registration endpoint that answers 201 with HTML, and one with JSON but no client.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let app = axum::Router::new()
        .route(
            "/html",
            post(|| async { (StatusCode::CREATED, "<html>welcome</html>") }),
        )
        .route(
            "/no-client",
            post(|| async {
                (
                    StatusCode::CREATED,
                    Json(json!({ "client_secret": "lonely-secret" })),
                )
            }),
        );
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    let _stop = AbortOnDrop(task);
    let registration = ClientRegistration::loopback("Tasks CLI");
    for (path, expected) in [
        ("/html", "not a JSON object"),
        ("/no-client", "no `client_id`"),
    ] {
        let error = registration
            .register_at(format!("{base}{path}").parse().unwrap())
            .await
            .unwrap_err();
        let message = error.to_string();
        assert!(message.contains(expected), "{message}");
        assert!(message.contains("201"), "{message}");
        assert!(
            !message.contains("lonely-secret") && !message.contains("welcome"),
            "{message}"
        );
    }

    // Nobody listens: a retryable error that names the endpoint.
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = closed.local_addr().unwrap();
    drop(closed);
    let error = registration
        .register_at(format!("http://{address}/register").parse().unwrap())
        .await
        .unwrap_err();
    assert!(error.is_retryable(), "{error:?}");
    assert!(error.to_string().contains(&address.to_string()), "{error}");

    // Metadata without a registration endpoint.
    let issuer: Url = "https://auth.example".parse().unwrap();
    let unregistrable = freshtoken::oauth::ServerMetadata::from_json(
        br#"{"issuer": "https://auth.example", "token_endpoint": "https://auth.example/token"}"#,
        &issuer,
    )
    .unwrap();
    let error = registration
        .register(&unregistrable)
        .await
        .unwrap_err()
        .to_string();
    assert!(error.contains("no registration endpoint"), "{error}");
}

/// Aborts a spawned server when the test ends, passed or panicked.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

#[tokio::test]
async fn a_client_id_metadata_document_url_is_the_client_id_of_a_pkce_login() {
    let oauth = Oauth::start_default().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let document_url = format!("http://{}/client.json", listener.local_addr().unwrap());
    let document: Value = json!({
        "client_id": document_url,
        "client_name": "Tasks CLI",
        "redirect_uris": ["http://127.0.0.1/callback"],
        "grant_types": ["authorization_code", "refresh_token"],
        "token_endpoint_auth_method": "none",
    });
    let app = axum::Router::new().route(
        "/client.json",
        get(move || {
            let document = document.clone();
            async move { Json(document) }
        }),
    );
    let _stop = AbortOnDrop(tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    }));

    let server = metadata(&oauth).await;
    let identity = ClientIdentity::new()
        .metadata_document(document_url.parse().unwrap())
        .registration(ClientRegistration::loopback("Tasks CLI"));
    let client = identity
        .client_auth(&MemoryStore::default(), &server)
        .await
        .unwrap();
    assert_eq!(client.client_id(), document_url);

    let (source, shown) = pkce_source(&oauth, client).await;
    let token = browser_login(source.clone(), shown, &oauth).await;
    assert_eq!(oauth.tasks_status(access(&token)).await, StatusCode::OK);
    refresh_rotates(&oauth, source, token).await;
    let stats = oauth.server.stats();
    assert_eq!(stats.client_metadata_document_fetches, 1);
    assert_eq!(
        stats.client_registrations, 0,
        "the document made registration needless"
    );
}
