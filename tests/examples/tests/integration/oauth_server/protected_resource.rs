//! The Tasks API as an RFC 9728 protected resource over real HTTP: its metadata, the
//! `resource_metadata` of its 401 challenges, and 403 `insufficient_scope` for a scoped
//! token, each read with freshtoken's `Challenge` and `ResourceDiscovery` as a client would.

use crate::common::{BACKEND, Oauth};
use freshtoken::oauth::Url;
use freshtoken::oauth::resource::{Challenge, ChallengeError, ResourceDiscovery};
use freshtoken_examples::server::ServerConfig;
use reqwest::header::{CONTENT_TYPE, WWW_AUTHENTICATE};
use reqwest::{Method, StatusCode};

/// A password login for alice with `scope` (none: the request names no scope).
async fn access_token(oauth: &Oauth, scope: Option<&str>) -> String {
    let mut params = vec![
        ("grant_type", "password"),
        ("username", "alice"),
        ("password", "wonderland"),
    ];
    params.extend(scope.map(|scope| ("scope", scope)));
    oauth.token(BACKEND, &params).await.tokens().0
}

/// `method path` with `bearer`: the status and the Bearer challenge, if any.
async fn call(
    oauth: &Oauth,
    method: Method,
    path: &str,
    bearer: Option<&str>,
) -> (StatusCode, Option<Challenge>) {
    let mut request = oauth
        .http
        .request(method, format!("{}{path}", oauth.base_url))
        .header(CONTENT_TYPE, "application/json")
        .body(r#"{"title": "write the report"}"#);
    if let Some(token) = bearer {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    (response.status(), Challenge::bearer(response.headers()))
}

fn metadata_url(oauth: &Oauth) -> Url {
    format!("{}/.well-known/oauth-protected-resource", oauth.base_url)
        .parse()
        .unwrap()
}

#[tokio::test]
async fn the_resource_metadata_names_the_server_its_issuer_and_its_scopes() {
    let oauth = Oauth::start_default().await;
    let resource: Url = oauth.base_url.parse().unwrap();
    let metadata = ResourceDiscovery::new(resource).fetch().await.unwrap();
    assert_eq!(metadata.resource, oauth.base_url);
    assert_eq!(
        metadata.authorization_servers.as_deref(),
        Some(&[oauth.server.issuer()][..])
    );
    let scopes = metadata.scopes_supported.unwrap();
    for scope in ["tasks:read", "tasks:write"] {
        assert!(scopes.iter().any(|listed| listed == scope), "{scopes:?}");
    }
    assert_eq!(
        metadata.bearer_methods_supported.as_deref(),
        Some(&["header".to_owned()][..])
    );
}

#[tokio::test]
async fn a_401_names_the_resource_metadata_and_has_no_error_without_credentials() {
    let oauth = Oauth::start_default().await;

    let (status, challenge) = call(&oauth, Method::GET, "/tasks", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let challenge = challenge.expect("a Bearer challenge");
    assert_eq!(
        challenge.error(),
        None,
        "RFC 6750 section 3.1: {challenge:?}"
    );
    let found = challenge.resource_metadata().unwrap().unwrap();
    assert_eq!(found, metadata_url(&oauth));

    let (status, challenge) = call(&oauth, Method::GET, "/tasks", Some("garbage")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let challenge = challenge.expect("a Bearer challenge");
    assert_eq!(challenge.error(), Some(ChallengeError::InvalidToken));
    assert!(challenge.error_description().is_some_and(|d| !d.is_empty()));
    let found = challenge.resource_metadata().unwrap().unwrap();

    // What a client does next: discovery from the challenge finds the server's metadata.
    let metadata = ResourceDiscovery::new(oauth.base_url.parse().unwrap())
        .resource_metadata(found)
        .fetch()
        .await
        .unwrap();
    assert_eq!(metadata.resource, oauth.base_url);
    assert_eq!(oauth.server.stats().unauthorized_responses, 2);
}

#[tokio::test]
async fn a_token_without_the_routes_scope_gets_403_insufficient_scope_naming_it() {
    let oauth = Oauth::start_default().await;
    let reader = access_token(&oauth, Some("tasks:read")).await;

    let (status, _) = call(&oauth, Method::GET, "/tasks", Some(&reader)).await;
    assert_eq!(status, StatusCode::OK);
    for (method, path) in [
        (Method::POST, "/tasks"),
        (Method::POST, "/tasks/1/complete"),
        (Method::DELETE, "/tasks/1"),
    ] {
        let (status, challenge) = call(&oauth, method.clone(), path, Some(&reader)).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{method} {path}");
        let challenge = challenge.expect("a Bearer challenge");
        assert_eq!(challenge.error(), Some(ChallengeError::InsufficientScope));
        assert_eq!(challenge.scopes().collect::<Vec<_>>(), ["tasks:write"]);
        assert_eq!(
            challenge.resource_metadata().unwrap(),
            Some(metadata_url(&oauth))
        );
    }
    assert_eq!(oauth.server.stats().insufficient_scope_responses, 3);
    assert_eq!(oauth.server.stats().unauthorized_responses, 0);

    // The stepped-up token, and tokens of logins that ask for no scope or the umbrella
    // `tasks`, may write.
    for scope in [Some("tasks:read tasks:write"), None, Some("tasks")] {
        let writer = access_token(&oauth, scope).await;
        let (status, _) = call(&oauth, Method::POST, "/tasks", Some(&writer)).await;
        assert_eq!(status, StatusCode::CREATED, "{scope:?}");
    }
    // A writer that cannot read.
    let writer = access_token(&oauth, Some("tasks:write")).await;
    let (status, challenge) = call(&oauth, Method::GET, "/tasks", Some(&writer)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(
        challenge.unwrap().scopes().collect::<Vec<_>>(),
        ["tasks:read"]
    );
}

#[tokio::test]
async fn refuse_every_scope_refuses_even_a_token_that_holds_the_scope() {
    let config = ServerConfig {
        refuse_every_scope: true,
        ..ServerConfig::default()
    };
    let oauth = Oauth::start(config).await;
    let token = access_token(&oauth, Some("tasks:read tasks:write")).await;
    let response = oauth
        .http
        .get(format!("{}/tasks", oauth.base_url))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let challenge = response.headers().get(WWW_AUTHENTICATE).unwrap();
    assert!(
        challenge
            .to_str()
            .unwrap()
            .contains("error=\"insufficient_scope\", scope=\"tasks:read\""),
        "{challenge:?}"
    );
    let body: serde_json::Value = serde_json::from_slice(&response.bytes().await.unwrap()).unwrap();
    assert_eq!(body["error"], "insufficient_scope");
}

#[tokio::test]
async fn a_refresh_that_narrows_the_scope_issues_a_token_with_only_that_scope() {
    let oauth = Oauth::start_default().await;
    let params = [
        ("grant_type", "password"),
        ("username", "alice"),
        ("password", "wonderland"),
        ("scope", "tasks:read tasks:write"),
    ];
    let (_, refresh) = oauth.token(BACKEND, &params).await.tokens();
    let narrowed = oauth
        .token(
            BACKEND,
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", &refresh),
                ("scope", "tasks:read"),
            ],
        )
        .await;
    assert_eq!(narrowed.body["scope"], "tasks:read");
    let (reader, _) = narrowed.tokens();
    let (status, _) = call(&oauth, Method::GET, "/tasks", Some(&reader)).await;
    assert_eq!(status, StatusCode::OK);
    let (status, challenge) = call(&oauth, Method::POST, "/tasks", Some(&reader)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(
        challenge.unwrap().scopes().collect::<Vec<_>>(),
        ["tasks:write"]
    );
}
