//! No secret of any OAuth flow reaches a log line of the reference server: passwords,
//! client secrets, codes, verifiers, device codes, tokens, assertions and DPoP proofs,
//! whether the request succeeds or is refused.

use crate::common::{ClientAuth, Logs, Oauth};
use crate::dpop_proofs::{ProofKey, ath};
use freshtoken_examples::server::{
    DEMO_CONFIDENTIAL_CLIENT_ID as BACKEND_ID, DEMO_CONFIDENTIAL_CLIENT_SECRET as BACKEND_SECRET,
    DEMO_PUBLIC_CLIENT_ID as CLI_ID, OAuthClient, ServerConfig,
};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::Url;
use reqwest::header::LOCATION;
use serde_json::json;

const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
const REDIRECT: &str = "http://127.0.0.1:53682/callback";

// The default current-thread runtime runs the server's tasks on this thread, where the
// subscriber is set.
#[tokio::test]
async fn no_secret_of_any_flow_is_logged() {
    let (logs, _guard) = Logs::capture();

    let mut config = ServerConfig::default();
    config.clients.push(OAuthClient::with_jwt_keys(
        "svc-rsa",
        [include_str!("keys/test-only-rsa-public.pem")],
    ));
    let oauth = Oauth::start(config).await;
    let mut secrets = password_and_revocation(&oauth).await;
    secrets.extend(code_flows(&oauth).await);
    secrets.extend(device_flow(&oauth).await);
    secrets.extend(jwt_bearer(&oauth).await);
    secrets.extend(token_exchange(&oauth).await);
    secrets.extend(dpop(&oauth).await);

    let logs = logs.text();
    assert!(
        logs.contains("password grant"),
        "nothing was captured: {logs}"
    );
    assert!(logs.contains("device code grant"), "{logs}");
    assert!(logs.contains("token exchange grant"), "{logs}");
    assert!(logs.contains("DPoP proof refused"), "{logs}");
    for secret in &secrets {
        assert!(
            !logs.contains(secret.as_str()),
            "a secret was logged:\n{logs}"
        );
    }
}

/// Password and refresh grants, refusals, a revocation: the secrets they involved.
async fn password_and_revocation(oauth: &Oauth) -> Vec<String> {
    let backend = ClientAuth::Basic(BACKEND_ID, BACKEND_SECRET);
    let mut secrets: Vec<String> = vec![
        BACKEND_SECRET.into(),
        "wonderland".into(),
        "not-wonderland".into(),
        "wrong-secret".into(),
    ];
    let (access, refresh) = oauth
        .password(backend, "alice", "wonderland")
        .await
        .tokens();
    oauth.password(backend, "alice", "not-wonderland").await;
    oauth
        .password(
            ClientAuth::Basic(BACKEND_ID, "wrong-secret"),
            "alice",
            "wonderland",
        )
        .await;
    let (access2, refresh2) = oauth.refresh(backend, &refresh).await.tokens();
    oauth.refresh(backend, &refresh).await;
    oauth
        .post_form("/oauth/revoke", backend, &[("token", refresh2.as_str())])
        .await;
    secrets.extend([access, refresh, access2, refresh2]);
    secrets
}

/// Authorization code + PKCE, a wrong verifier, reuses.
async fn code_flows(oauth: &Oauth) -> Vec<String> {
    let cli = ClientAuth::Public(CLI_ID);
    let mut secrets = vec![VERIFIER.to_owned()];
    let query = serde_urlencoded::to_string([
        ("response_type", "code"),
        ("client_id", CLI_ID),
        ("redirect_uri", REDIRECT),
        ("state", "s"),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ])
    .unwrap();
    for verifier in [VERIFIER, "x".repeat(43).as_str(), VERIFIER] {
        let answer = oauth.get(&format!("/oauth/authorize?{query}")).await;
        let location = Url::parse(answer.header(LOCATION).unwrap()).unwrap();
        let code = location
            .query_pairs()
            .find(|(name, _)| name == "code")
            .unwrap()
            .1
            .into_owned();
        let exchange = [
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", REDIRECT),
            ("code_verifier", verifier),
        ];
        let answer = oauth.token(cli, &exchange).await;
        oauth.token(cli, &exchange).await;
        secrets.push(code);
        if let Some(token) = answer.body["access_token"].as_str() {
            secrets.push(token.to_owned());
        }
    }
    secrets
}

/// Device flow: pending, approved, spent.
async fn device_flow(oauth: &Oauth) -> Vec<String> {
    let cli = ClientAuth::Public(CLI_ID);
    let started = oauth
        .post_form("/oauth/device_authorization", cli, &[])
        .await;
    let device_code = started.field("device_code");
    let poll = [
        ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
        ("device_code", device_code.as_str()),
    ];
    oauth.token(cli, &poll).await;
    let approve = [
        ("user_code", started.field("user_code")),
        ("approve", "true".into()),
    ];
    let approve: Vec<(&str, &str)> = approve.iter().map(|(k, v)| (*k, v.as_str())).collect();
    oauth
        .post_form("/oauth/device/approve", ClientAuth::Anonymous, &approve)
        .await;
    oauth.clock.advance(std::time::Duration::from_secs(5));
    let (device_access, device_refresh) = oauth.token(cli, &poll).await.tokens();
    oauth.token(cli, &poll).await;
    vec![device_code, device_access, device_refresh]
}

/// JWT bearer: accepted, then replayed.
async fn jwt_bearer(oauth: &Oauth) -> Vec<String> {
    let now = oauth.clock.now().as_secs();
    let claims = json!({
        "iss": "svc-rsa", "sub": "svc-rsa", "aud": format!("{}/oauth/token", oauth.base_url),
        "exp": now + 300, "jti": "log-test",
    });
    let key = EncodingKey::from_rsa_pem(include_bytes!("keys/test-only-rsa-private.pem")).unwrap();
    let assertion = jsonwebtoken::encode(&Header::new(Algorithm::RS256), &claims, &key).unwrap();
    let grant = [
        ("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"),
        ("assertion", assertion.as_str()),
    ];
    let (jwt_access, _) = oauth.token(ClientAuth::Anonymous, &grant).await.tokens();
    oauth.token(ClientAuth::Anonymous, &grant).await;
    vec![assertion, jwt_access]
}

/// Token exchange: a subject and an actor token exchanged, then a forged subject refused.
async fn token_exchange(oauth: &Oauth) -> Vec<String> {
    let backend = ClientAuth::Basic(BACKEND_ID, BACKEND_SECRET);
    let (subject, _) = oauth
        .password(backend, "alice", "wonderland")
        .await
        .tokens();
    let (actor, _) = oauth.password(backend, "bob", "builder").await.tokens();
    let access_type = "urn:ietf:params:oauth:token-type:access_token";
    let exchange = [
        (
            "grant_type",
            "urn:ietf:params:oauth:grant-type:token-exchange",
        ),
        ("subject_token", subject.as_str()),
        ("subject_token_type", access_type),
        ("actor_token", actor.as_str()),
        ("actor_token_type", access_type),
        ("audience", "billing"),
    ];
    let (exchanged, _) = oauth.token(backend, &exchange).await.tokens();
    let forged = [
        (
            "grant_type",
            "urn:ietf:params:oauth:grant-type:token-exchange",
        ),
        ("subject_token", "forged-subject-token"),
        ("subject_token_type", access_type),
    ];
    oauth.token(backend, &forged).await.assert_invalid_grant();
    vec![subject, actor, exchanged, "forged-subject-token".to_owned()]
}

/// A bound token from a proof, a refused proof at each side, the Tasks API with the bound
/// token: the tokens, the proofs and their signatures.
async fn dpop(oauth: &Oauth) -> Vec<String> {
    let backend = ClientAuth::Basic(BACKEND_ID, BACKEND_SECRET);
    let (key, other) = (ProofKey::ec(), ProofKey::rsa());
    let now = 1_700_000_000;
    let token_url = format!("{}/oauth/token", oauth.base_url);
    let tasks_url = format!("{}/tasks", oauth.base_url);
    let params = [
        ("grant_type", "password"),
        ("username", "alice"),
        ("password", "wonderland"),
    ];
    let wrong_url = key.proof("POST", &tasks_url, now, &json!({}));
    oauth
        .post_form_with("/oauth/token", backend, &params, &[("DPoP", &wrong_url)])
        .await;
    let proof = key.proof("POST", &token_url, now, &json!({}));
    let answer = oauth
        .post_form_with("/oauth/token", backend, &params, &[("DPoP", &proof)])
        .await;
    let access = answer.field("access_token");
    let mut proofs = vec![wrong_url, proof];
    for signer in [&key, &other] {
        let proof = signer.proof("GET", &tasks_url, now, &json!({ "ath": ath(&access) }));
        oauth
            .http
            .get(&tasks_url)
            .header("Authorization", format!("DPoP {access}"))
            .header("DPoP", &proof)
            .send()
            .await
            .unwrap();
        proofs.push(proof);
    }
    let signatures = proofs
        .iter()
        .map(|proof| proof.rsplit('.').next().unwrap().to_owned())
        .collect::<Vec<_>>();
    proofs.extend(signatures);
    proofs.push(access);
    proofs
}
