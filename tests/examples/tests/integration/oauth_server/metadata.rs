//! The RFC 8414 metadata over real HTTP: the issuer is the base URL unless configured, the
//! endpoints are where the server serves them, and `openid-configuration` answers the same.

use crate::common::{BACKEND, Oauth};
use freshtoken_examples::server::ServerConfig;
use reqwest::StatusCode;
use serde_json::Value;

#[tokio::test]
async fn the_metadata_names_the_issuer_and_working_endpoints() {
    let oauth = Oauth::start_default().await;
    let answer = oauth.get("/.well-known/oauth-authorization-server").await;
    assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
    let metadata = &answer.body;
    assert_eq!(metadata["issuer"], oauth.base_url.as_str());
    assert_eq!(oauth.server.issuer(), oauth.base_url);
    let token_endpoint = format!("{}/oauth/token", oauth.base_url);
    assert_eq!(metadata["token_endpoint"], token_endpoint.as_str());
    let listed = |field: &str, value: &str| {
        metadata[field]
            .as_array()
            .unwrap_or_else(|| panic!("no `{field}` in {metadata}"))
            .contains(&Value::from(value))
    };
    assert!(listed("grant_types_supported", "password"));
    assert!(listed("grant_types_supported", "refresh_token"));
    assert!(listed(
        "token_endpoint_auth_methods_supported",
        "client_secret_basic"
    ));
    assert!(listed(
        "token_endpoint_auth_methods_supported",
        "client_secret_post"
    ));
    assert!(listed("token_endpoint_auth_methods_supported", "none"));

    // The endpoint it names answers.
    let path = token_endpoint.strip_prefix(&oauth.base_url).unwrap();
    let params = [
        ("grant_type", "password"),
        ("username", "bob"),
        ("password", "builder"),
    ];
    oauth.post_form(path, BACKEND, &params).await.tokens();

    let openid = oauth.get("/.well-known/openid-configuration").await;
    assert_eq!(openid.status, StatusCode::OK);
    assert_eq!(openid.body, answer.body);
}

#[tokio::test]
async fn a_configured_issuer_is_announced_while_endpoints_stay_on_the_server() {
    let config = ServerConfig {
        issuer: Some("https://issuer.example".to_owned()),
        ..ServerConfig::default()
    };
    let oauth = Oauth::start(config).await;
    let metadata = oauth
        .get("/.well-known/oauth-authorization-server")
        .await
        .body;
    assert_eq!(metadata["issuer"], "https://issuer.example");
    assert_eq!(oauth.server.issuer(), "https://issuer.example");
    assert_eq!(
        metadata["token_endpoint"],
        format!("{}/oauth/token", oauth.base_url).as_str()
    );
}
