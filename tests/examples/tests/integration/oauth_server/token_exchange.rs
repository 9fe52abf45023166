//! The token exchange grant (RFC 8693) over real HTTP: the answer and its
//! `issued_token_type`, the `act` claim for an actor, and each refusal.

use crate::common::{Answer, BACKEND, Oauth};
use reqwest::StatusCode;
use serde_json::Value;

const GRANT: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
const ACCESS: &str = "urn:ietf:params:oauth:token-type:access_token";

async fn access_token(oauth: &Oauth, user: &str, password: &str) -> String {
    oauth.password(BACKEND, user, password).await.tokens().0
}

async fn exchange(oauth: &Oauth, params: &[(&str, &str)]) -> Answer {
    let mut form = vec![("grant_type", GRANT)];
    form.extend_from_slice(params);
    oauth.token(BACKEND, &form).await
}

fn claims_of(jwt: &str) -> Value {
    use base64::Engine as _;
    let payload = jwt.split('.').nth(1).unwrap();
    let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .unwrap();
    serde_json::from_slice(&payload).unwrap()
}

#[tokio::test]
async fn an_exchange_answers_an_access_token_with_its_issued_type_and_the_actor_in_act() {
    let oauth = Oauth::start_default().await;
    let (alice, bob) = (
        access_token(&oauth, "alice", "wonderland").await,
        access_token(&oauth, "bob", "builder").await,
    );
    let answer = exchange(
        &oauth,
        &[
            ("subject_token", &alice),
            ("subject_token_type", ACCESS),
            ("actor_token", &bob),
            ("actor_token_type", ACCESS),
            ("scope", "tasks.read"),
            ("resource", "https://api.example/tasks"),
        ],
    )
    .await;
    let (token, refresh) = answer.tokens();
    assert_eq!(refresh, "", "an exchange issues no refresh token");
    assert_eq!(answer.body["issued_token_type"], ACCESS);
    assert_eq!(answer.body["scope"], "tasks.read");
    let claims = claims_of(&token);
    assert_eq!(
        (&claims["sub"], &claims["act"]["sub"], &claims["aud"]),
        (
            &Value::from("alice"),
            &Value::from("bob"),
            &Value::from("https://api.example/tasks")
        )
    );

    // Without an actor, no `act`; the plain token works on the Tasks API.
    let (plain, _) = exchange(
        &oauth,
        &[("subject_token", &alice), ("subject_token_type", ACCESS)],
    )
    .await
    .tokens();
    assert!(claims_of(&plain).get("act").is_none());
    assert_eq!(oauth.tasks_status(&plain).await, StatusCode::OK);
}

#[tokio::test]
async fn a_malformed_exchange_is_invalid_request_or_invalid_target_and_a_bad_token_invalid_grant() {
    let oauth = Oauth::start_default().await;
    let alice = access_token(&oauth, "alice", "wonderland").await;
    let subject = [
        ("subject_token", alice.as_str()),
        ("subject_token_type", ACCESS),
    ];
    let with = |extra: &[(&'static str, &'static str)]| {
        let mut params = subject.to_vec();
        params.extend_from_slice(extra);
        params
    };
    let invalid_requests = [
        vec![("subject_token", alice.as_str())],
        vec![("subject_token_type", ACCESS)],
        with(&[("actor_token_type", ACCESS)]),
        with(&[(
            "requested_token_type",
            "urn:ietf:params:oauth:token-type:saml2",
        )]),
        vec![
            ("subject_token", alice.as_str()),
            (
                "subject_token_type",
                "urn:ietf:params:oauth:token-type:id_token",
            ),
        ],
    ];
    for params in invalid_requests {
        exchange(&oauth, &params).await.assert_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            &[&alice],
        );
    }
    for resource in ["not a uri", "https://api.example/tasks#fragment"] {
        exchange(&oauth, &with(&[("resource", resource)]))
            .await
            .assert_error(StatusCode::BAD_REQUEST, "invalid_target", &[&alice]);
    }
    let refresh = oauth
        .password(BACKEND, "alice", "wonderland")
        .await
        .tokens()
        .1;
    for token in ["not-a-token", refresh.as_str()] {
        exchange(
            &oauth,
            &[("subject_token", token), ("subject_token_type", ACCESS)],
        )
        .await
        .assert_error(StatusCode::BAD_REQUEST, "invalid_grant", &[token]);
    }
}
