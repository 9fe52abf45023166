//! The reference auth server over real HTTP on 127.0.0.1: login, the tokens' claims, the
//! Tasks API per user, 401 answers, rotation, reuse detection, logout, admin revocation and
//! the counters. Expiry is driven by a manual `Clock`: no test sleeps.

use std::time::{Duration, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use freshtoken_examples::server::{self, Clock, RunningServer, ServerConfig, ServerStats};
use reqwest::header::{CACHE_CONTROL, CONTENT_TYPE, HeaderMap, WWW_AUTHENTICATE};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const CHALLENGE_ERROR: &str = "error=\"invalid_token\"";
const CHALLENGE_METADATA: &str = "/.well-known/oauth-protected-resource\"";

/// A server whose clock stands at a whole second until the test advances it.
async fn start_manual(config: ServerConfig) -> (RunningServer, Api, Clock) {
    let clock = Clock::manual(UNIX_EPOCH + Duration::from_secs(1_700_000_000));
    let server = server::start_with_clock(config, clock.clone())
        .await
        .unwrap();
    let api = Api::of(&server);
    (server, api, clock)
}

async fn start_default() -> (RunningServer, Api) {
    let server = server::start(ServerConfig::default()).await.unwrap();
    let api = Api::of(&server);
    (server, api)
}

struct Api {
    http: reqwest::Client,
    base_url: String,
}

#[derive(Debug)]
struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Value,
}

impl Answer {
    fn error(&self) -> &str {
        self.body["error"].as_str().unwrap_or_default()
    }

    fn description(&self) -> &str {
        self.body["error_description"].as_str().unwrap_or_default()
    }

    fn header(&self, name: impl reqwest::header::AsHeaderName) -> Option<&str> {
        self.headers.get(name).map(|value| value.to_str().unwrap())
    }

    fn text(&self, field: &str) -> String {
        self.body[field]
            .as_str()
            .unwrap_or_else(|| panic!("no string `{field}` in {}", self.body))
            .to_owned()
    }

    /// A 401 for a bearer route, with a Bearer challenge (with `error="invalid_token"` when
    /// the request had credentials) that names the resource metadata, and a JSON reason.
    fn assert_invalid_token(&self, had_credentials: bool) {
        assert_eq!(self.status, StatusCode::UNAUTHORIZED, "{self:?}");
        let challenge = self.header(WWW_AUTHENTICATE).unwrap_or_default();
        assert!(challenge.starts_with("Bearer "), "{self:?}");
        assert_eq!(
            challenge.contains(CHALLENGE_ERROR),
            had_credentials,
            "{self:?}"
        );
        assert!(challenge.contains(CHALLENGE_METADATA), "{self:?}");
        assert_eq!(self.error(), "invalid_token", "{self:?}");
        assert!(!self.description().is_empty(), "{self:?}");
    }

    /// A 401 refusal of a login or refresh.
    fn assert_invalid_grant(&self) {
        assert_eq!(self.status, StatusCode::UNAUTHORIZED, "{self:?}");
        assert_eq!(self.error(), "invalid_grant", "{self:?}");
        assert!(!self.description().is_empty(), "{self:?}");
    }
}

impl Api {
    fn of(server: &RunningServer) -> Self {
        Self {
            http: reqwest::Client::new(),
            base_url: server.base_url(),
        }
    }

    async fn send(
        &self,
        method: Method,
        path: &str,
        bearer: Option<&str>,
        body: Option<&[u8]>,
    ) -> Answer {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base_url));
        if let Some(token) = bearer {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request
                .header(CONTENT_TYPE, "application/json")
                .body(body.to_vec());
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.bytes().await.unwrap();
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap_or_else(|error| {
                panic!("not JSON ({error}): {}", String::from_utf8_lossy(&bytes))
            })
        };
        Answer {
            status,
            headers,
            body,
        }
    }

    async fn post(&self, path: &str, bearer: Option<&str>, body: &Value) -> Answer {
        let body = serde_json::to_vec(body).unwrap();
        self.send(Method::POST, path, bearer, Some(&body)).await
    }

    async fn login(&self, username: &str, password: &str) -> Answer {
        let body = json!({ "username": username, "password": password });
        self.post("/auth/login", None, &body).await
    }

    /// Logs in and answers `(access_token, refresh_token)`.
    async fn tokens(&self, username: &str, password: &str) -> (String, String) {
        let answer = self.login(username, password).await;
        assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
        (answer.text("access_token"), answer.text("refresh_token"))
    }

    async fn refresh(&self, refresh_token: &str) -> Answer {
        let body = json!({ "refresh_token": refresh_token });
        self.post("/auth/refresh", None, &body).await
    }

    /// Refreshes successfully and answers the new `(access_token, refresh_token)`.
    async fn rotate(&self, refresh_token: &str) -> (String, String) {
        let answer = self.refresh(refresh_token).await;
        assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
        (answer.text("access_token"), answer.text("refresh_token"))
    }

    async fn list(&self, access_token: &str) -> Answer {
        self.send(Method::GET, "/tasks", Some(access_token), None)
            .await
    }

    async fn admin(&self, action: &str, username: &str) -> Answer {
        let path = format!("/admin/{action}/{username}");
        self.send(Method::POST, &path, None, None).await
    }
}

/// The header and the claims of a JWT, read without verification.
fn jwt_parts(token: &str) -> (Value, Value) {
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(parts.len(), 3, "not a JWT: {token}");
    let decode = |part: &str| -> Value {
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
    };
    (decode(parts[0]), decode(parts[1]))
}

fn claims(token: &str) -> Value {
    jwt_parts(token).1
}

#[test]
fn the_default_config_is_the_documented_one() {
    let config = ServerConfig::default();
    assert_eq!(config.access_ttl, Duration::from_secs(15 * 60));
    assert_eq!(config.refresh_ttl, Duration::from_secs(7 * 24 * 3600));
    assert_eq!(
        config.users,
        [
            ("alice".to_owned(), "wonderland".to_owned()),
            ("bob".to_owned(), "builder".to_owned())
        ]
    );
}

#[tokio::test]
async fn login_answers_a_bearer_token_pair() {
    let (server, api) = start_default().await;
    assert!(server.base_url().starts_with("http://127.0.0.1:"));
    assert!(!server.base_url().ends_with('/'));

    let answer = api.login("alice", "wonderland").await;

    assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
    assert_eq!(answer.header(CONTENT_TYPE), Some("application/json"));
    assert_eq!(answer.header(CACHE_CONTROL), Some("no-store"));
    assert_eq!(answer.body["token_type"], "Bearer");
    assert_eq!(answer.body["expires_in"], 900);
    assert_ne!(answer.text("access_token"), answer.text("refresh_token"));
    let tasks = api.list(&answer.text("access_token")).await;
    assert_eq!((tasks.status, tasks.body), (StatusCode::OK, json!([])));
}

#[tokio::test]
async fn login_refuses_wrong_credentials() {
    let (server, api) = start_default().await;

    for (username, password) in [
        ("alice", "builder"),
        ("alice", ""),
        ("carol", "wonderland"),
        ("", ""),
    ] {
        let answer = api.login(username, password).await;
        answer.assert_invalid_grant();
        assert!(answer.body.get("access_token").is_none(), "{answer:?}");
    }
    assert_eq!(server.stats(), ServerStats::default());
}

#[tokio::test]
async fn malformed_bodies_are_invalid_requests_that_echo_nothing() {
    let (_server, api) = start_default().await;

    let bodies: [&[u8]; 7] = [
        b"",
        b"not json",
        b"{\"username\": \"alice\"",
        b"[]",
        b"{\"username\": \"alice\"}",
        b"{\"username\": \"alice\", \"password\": 31337}",
        b"{\"username\": null, \"password\": \"wonderland\"}",
    ];
    for body in bodies {
        for path in ["/auth/login", "/auth/refresh"] {
            let answer = api.send(Method::POST, path, None, Some(body)).await;
            assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{path}: {answer:?}");
            assert_eq!(answer.error(), "invalid_request", "{answer:?}");
            assert!(!answer.description().contains("31337"), "{answer:?}");
        }
    }
    let (access, _) = api.tokens("alice", "wonderland").await;
    for body in [json!({}), json!({ "title": 7 }), json!({ "title": "  " })] {
        let answer = api.post("/tasks", Some(&access), &body).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{answer:?}");
        assert_eq!(answer.error(), "invalid_request", "{answer:?}");
    }
}

#[tokio::test]
async fn tokens_are_signed_jwts_with_the_documented_claims() {
    let (_server, api, _clock) = start_manual(ServerConfig::default()).await;
    let (access, refresh) = api.tokens("alice", "wonderland").await;
    let (again, _) = api.tokens("alice", "wonderland").await;

    let (header, access_claims) = jwt_parts(&access);
    assert_eq!(header["alg"], "HS256");
    assert_eq!(access_claims["sub"], "alice");
    assert_eq!(access_claims["type"], "access");
    assert_eq!(access_claims["iat"], 1_700_000_000);
    assert_eq!(access_claims["exp"], 1_700_000_000 + 900);
    assert!(access_claims.get("family").is_none());

    let refresh_claims = claims(&refresh);
    assert_eq!(refresh_claims["sub"], "alice");
    assert_eq!(refresh_claims["type"], "refresh");
    assert_eq!(refresh_claims["exp"], 1_700_000_000 + 7 * 24 * 3600);
    assert!(
        refresh_claims["family"]
            .as_str()
            .is_some_and(|f| !f.is_empty())
    );

    let jtis: Vec<Value> = [&access, &refresh, &again]
        .iter()
        .map(|token| claims(token)["jti"].clone())
        .collect();
    assert!(jtis.iter().all(Value::is_string), "{jtis:?}");
    assert!(jtis[0] != jtis[1] && jtis[1] != jtis[2] && jtis[0] != jtis[2]);
}

#[tokio::test]
async fn a_lifetime_below_one_second_is_one_second() {
    let config = ServerConfig {
        access_ttl: Duration::from_millis(10),
        ..ServerConfig::default()
    };
    let (_server, api, _clock) = start_manual(config).await;
    let answer = api.login("bob", "builder").await;
    assert_eq!(answer.body["expires_in"], 1);
    let claims = claims(&answer.text("access_token"));
    assert_eq!(claims["exp"], 1_700_000_001);
}

#[tokio::test]
async fn tasks_belong_to_their_user() {
    let (_server, api) = start_default().await;
    let (alice, _) = api.tokens("alice", "wonderland").await;
    let (bob, _) = api.tokens("bob", "builder").await;

    let created = api
        .post("/tasks", Some(&alice), &json!({ "title": "feed the cat" }))
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{created:?}");
    let id = created.body["id"].as_u64().unwrap();
    assert_eq!(
        created.body,
        json!({ "id": id, "title": "feed the cat", "done": false })
    );
    let second = api
        .post(
            "/tasks",
            Some(&alice),
            &json!({ "title": "paint the roses" }),
        )
        .await;
    let second_id = second.body["id"].as_u64().unwrap();
    assert_ne!(id, second_id);

    let listed = api.list(&alice).await;
    assert_eq!(listed.body.as_array().unwrap().len(), 2, "{listed:?}");
    assert_eq!(listed.body[0], created.body);
    assert_eq!(api.list(&bob).await.body, json!([]));

    // Bob cannot touch Alice's task: it does not exist for him.
    let complete = format!("/tasks/{id}/complete");
    let task = format!("/tasks/{id}");
    for (method, path) in [(Method::POST, &complete), (Method::DELETE, &task)] {
        let answer = api.send(method, path, Some(&bob), None).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{answer:?}");
        assert_eq!(answer.error(), "not_found");
    }

    let done = api.send(Method::POST, &complete, Some(&alice), None).await;
    assert_eq!(done.status, StatusCode::OK, "{done:?}");
    assert_eq!(
        done.body,
        json!({ "id": id, "title": "feed the cat", "done": true })
    );

    let deleted = api.send(Method::DELETE, &task, Some(&alice), None).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT, "{deleted:?}");
    let listed = api.list(&alice).await;
    assert_eq!(listed.body, json!([second.body]));

    for path in [&task, &complete, &"/tasks/not-a-number".to_owned()] {
        let method = if path.ends_with("complete") {
            Method::POST
        } else {
            Method::DELETE
        };
        let answer = api.send(method, path, Some(&alice), None).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{path}: {answer:?}");
        assert_eq!(answer.error(), "not_found");
    }
}

#[tokio::test]
async fn bearer_routes_refuse_bad_tokens_with_a_challenge() {
    let (server, api) = start_default().await;
    let (other_server, other_api) = start_default().await;
    let (access, refresh) = api.tokens("alice", "wonderland").await;
    let (foreign, _) = other_api.tokens("alice", "wonderland").await;
    drop(other_server);
    let (head, signature) = access.rsplit_once('.').unwrap();
    let flipped = if signature.starts_with('A') { 'B' } else { 'A' };
    let tampered_signature = format!("{head}.{flipped}{}", &signature[1..]);
    let (_, payload) = jwt_parts(&access);
    let mut forged_claims = payload.clone();
    forged_claims["sub"] = json!("bob");
    let forged_payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&forged_claims).unwrap());
    let header_part = access.split('.').next().unwrap();
    let forged = format!("{header_part}.{forged_payload}.{signature}");
    let unsigned = format!(
        "{}.{forged_payload}.",
        URL_SAFE_NO_PAD.encode(r#"{"alg":"none"}"#)
    );

    let authorizations: Vec<Option<String>> = vec![
        None,
        Some(String::new()),
        Some("Bearer".to_owned()),
        Some("Bearer ".to_owned()),
        Some("Bearer garbage".to_owned()),
        Some("Bearer a.b.c".to_owned()),
        Some(format!("Basic {access}")),
        Some(format!("Bearer {refresh}")),
        Some(format!("Bearer {tampered_signature}")),
        Some(format!("Bearer {forged}")),
        Some(format!("Bearer {unsigned}")),
        Some(format!("Bearer {foreign}")),
    ];
    for authorization in &authorizations {
        let mut request = api.http.get(format!("{}/tasks", api.base_url));
        if let Some(value) = authorization {
            request = request.header("authorization", value);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let body: Value = serde_json::from_slice(&response.bytes().await.unwrap()).unwrap();
        let answer = Answer {
            status,
            headers,
            body,
        };
        // RFC 6750 section 3.1: no error code without a bearer token attempt (no header, or
        // another scheme).
        let attempted = authorization
            .as_deref()
            .is_some_and(|value| value.len() >= 6 && value[..6].eq_ignore_ascii_case("bearer"));
        answer.assert_invalid_token(attempted);
    }
    // Every bearer route asks the same way.
    api.post("/tasks", None, &json!({ "title": "x" }))
        .await
        .assert_invalid_token(false);
    api.send(Method::POST, "/tasks/1/complete", Some("garbage"), None)
        .await
        .assert_invalid_token(true);
    api.send(Method::DELETE, "/tasks/1", None, None)
        .await
        .assert_invalid_token(false);
    api.send(Method::POST, "/auth/logout", None, None)
        .await
        .assert_invalid_token(false);

    assert_eq!(
        server.stats().unauthorized_responses,
        authorizations.len() as u64 + 4
    );
    // The genuine token still works.
    assert_eq!(api.list(&access).await.status, StatusCode::OK);
}

#[tokio::test]
async fn access_tokens_expire_on_the_servers_clock() {
    let config = ServerConfig {
        access_ttl: Duration::from_secs(1),
        ..ServerConfig::default()
    };
    let (server, api, clock) = start_manual(config).await;
    let (access, refresh) = api.tokens("alice", "wonderland").await;

    clock.advance(Duration::from_millis(999));
    assert_eq!(api.list(&access).await.status, StatusCode::OK);

    clock.advance(Duration::from_millis(1));
    let expired = api.list(&access).await;
    expired.assert_invalid_token(true);
    assert!(expired.description().contains("expired"), "{expired:?}");
    assert_eq!(server.stats().unauthorized_responses, 1);

    // The refresh token outlives it and gets a working one.
    let (fresh, _) = api.rotate(&refresh).await;
    assert_eq!(api.list(&fresh).await.status, StatusCode::OK);
}

#[tokio::test]
async fn refresh_rotates_the_refresh_token() {
    let (server, api) = start_default().await;
    let (access1, refresh1) = api.tokens("alice", "wonderland").await;

    let answer = api.refresh(&refresh1).await;
    assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
    assert_eq!(answer.body["token_type"], "Bearer");
    assert_eq!(answer.body["expires_in"], 900);
    assert_eq!(answer.header(CACHE_CONTROL), Some("no-store"));
    let (access2, refresh2) = (answer.text("access_token"), answer.text("refresh_token"));
    let (access3, refresh3) = api.rotate(&refresh2).await;

    let refreshes = [&refresh1, &refresh2, &refresh3];
    let accesses = [&access1, &access2, &access3];
    for (i, a) in refreshes.iter().enumerate() {
        assert!(
            refreshes[i + 1..].iter().all(|b| a != b),
            "refresh tokens repeat"
        );
    }
    for (i, a) in accesses.iter().enumerate() {
        assert!(
            accesses[i + 1..].iter().all(|b| a != b),
            "access tokens repeat"
        );
    }
    assert_eq!(claims(&refresh3)["family"], claims(&refresh1)["family"]);
    assert_eq!(claims(&access3)["sub"], "alice");
    for access in accesses {
        assert_eq!(api.list(access).await.status, StatusCode::OK);
    }

    // A spent refresh token is refused.
    api.refresh(&refresh2).await.assert_invalid_grant();
    let stats = server.stats();
    assert_eq!((stats.logins, stats.refreshes), (1, 2));
}

#[tokio::test]
async fn reusing_a_refresh_token_revokes_its_whole_family() {
    let (server, api) = start_default().await;
    let (_, refresh1) = api.tokens("alice", "wonderland").await;
    let (_, other_session) = api.tokens("alice", "wonderland").await;
    let (_, refresh2) = api.rotate(&refresh1).await;

    let reused = api.refresh(&refresh1).await;
    reused.assert_invalid_grant();
    assert!(reused.description().contains("already used"), "{reused:?}");
    assert_eq!(server.stats().reuse_detected, 1);

    // The newest token of the family is revoked too; reusing again is no new detection.
    api.refresh(&refresh2).await.assert_invalid_grant();
    api.refresh(&refresh1).await.assert_invalid_grant();
    assert_eq!(server.stats().reuse_detected, 1);

    // Another login of the same user is another family.
    let (access, _) = api.rotate(&other_session).await;
    assert_eq!(api.list(&access).await.status, StatusCode::OK);
}

#[tokio::test]
async fn refresh_refuses_tokens_that_are_not_live_refresh_tokens() {
    let config = ServerConfig {
        access_ttl: Duration::from_secs(1),
        refresh_ttl: Duration::from_secs(3),
        ..ServerConfig::default()
    };
    let (server, api, clock) = start_manual(config).await;
    let (other_server, other_api) = start_default().await;
    let (_, foreign) = other_api.tokens("alice", "wonderland").await;
    drop(other_server);
    let (access, refresh) = api.tokens("alice", "wonderland").await;

    for token in ["", "garbage", "a.b.c", &access, &foreign] {
        api.refresh(token).await.assert_invalid_grant();
    }
    let wrong_type = api.refresh(&access).await;
    assert!(wrong_type.description().contains("type"), "{wrong_type:?}");

    clock.advance(Duration::from_secs(3));
    let expired = api.refresh(&refresh).await;
    expired.assert_invalid_grant();
    assert!(expired.description().contains("expired"), "{expired:?}");

    let stats = server.stats();
    assert_eq!((stats.refreshes, stats.reuse_detected), (0, 0));
    // Refused grants are not bearer 401s.
    assert_eq!(stats.unauthorized_responses, 0);
}

#[tokio::test]
async fn logout_revokes_the_access_token_and_its_family() {
    let (_server, api) = start_default().await;
    let (access, refresh) = api.tokens("alice", "wonderland").await;
    let (other_access, other_refresh) = api.tokens("alice", "wonderland").await;

    let answer = api
        .send(Method::POST, "/auth/logout", Some(&access), None)
        .await;
    assert_eq!(answer.status, StatusCode::NO_CONTENT, "{answer:?}");

    let revoked = api.list(&access).await;
    revoked.assert_invalid_token(true);
    assert!(revoked.description().contains("revoked"), "{revoked:?}");
    let refused = api.refresh(&refresh).await;
    refused.assert_invalid_grant();
    assert!(refused.description().contains("revoked"), "{refused:?}");
    api.send(Method::POST, "/auth/logout", Some(&access), None)
        .await
        .assert_invalid_token(true);

    // The other session of the same user goes on.
    assert_eq!(api.list(&other_access).await.status, StatusCode::OK);
    api.rotate(&other_refresh).await;
}

#[tokio::test]
async fn admin_revoke_access_refuses_unexpired_access_tokens_but_not_refresh() {
    let (_server, api) = start_default().await;
    let (alice1, refresh) = api.tokens("alice", "wonderland").await;
    let (alice2, _) = api.tokens("alice", "wonderland").await;
    let (bob, _) = api.tokens("bob", "builder").await;

    let answer = api.admin("revoke-access", "alice").await;
    assert_eq!(answer.status, StatusCode::NO_CONTENT, "{answer:?}");

    api.list(&alice1).await.assert_invalid_token(true);
    api.list(&alice2).await.assert_invalid_token(true);
    assert_eq!(api.list(&bob).await.status, StatusCode::OK);
    // Only tokens issued so far: the refresh token still works and so does its result.
    let (fresh, _) = api.rotate(&refresh).await;
    assert_eq!(api.list(&fresh).await.status, StatusCode::OK);

    let unknown = api.admin("revoke-access", "carol").await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND, "{unknown:?}");
}

#[tokio::test]
async fn admin_revoke_refresh_ends_every_session_of_the_user() {
    let (_server, api) = start_default().await;
    let (access, refresh1) = api.tokens("alice", "wonderland").await;
    let (_, refresh2) = api.tokens("alice", "wonderland").await;
    let (_, bob_refresh) = api.tokens("bob", "builder").await;

    let answer = api.admin("revoke-refresh", "alice").await;
    assert_eq!(answer.status, StatusCode::NO_CONTENT, "{answer:?}");

    api.refresh(&refresh1).await.assert_invalid_grant();
    api.refresh(&refresh2).await.assert_invalid_grant();
    api.rotate(&bob_refresh).await;
    // Access tokens live on until they expire or are revoked themselves.
    assert_eq!(api.list(&access).await.status, StatusCode::OK);
    // Logging in again starts a new family.
    let (_, refresh3) = api.tokens("alice", "wonderland").await;
    api.rotate(&refresh3).await;

    let unknown = api.admin("revoke-refresh", "carol").await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND, "{unknown:?}");
}

#[tokio::test]
async fn stats_count_logins_refreshes_tokens_and_refusals() {
    let (server, api) = start_default().await;
    let (access, refresh1) = api.tokens("alice", "wonderland").await;
    api.tokens("bob", "builder").await;
    api.login("alice", "wrong").await.assert_invalid_grant();
    let (_, refresh2) = api.rotate(&refresh1).await;
    api.rotate(&refresh2).await;
    api.refresh(&refresh1).await.assert_invalid_grant();
    api.list("garbage").await.assert_invalid_token(true);
    api.admin("revoke-access", "alice").await;
    api.list(&access).await.assert_invalid_token(true);

    let expected = ServerStats {
        logins: 2,
        refreshes: 2,
        access_tokens_issued: 4,
        refresh_tokens_issued: 4,
        unauthorized_responses: 2,
        reuse_detected: 1,
        insufficient_scope_responses: 0,
        client_registrations: 0,
        client_metadata_document_fetches: 0,
        ..ServerStats::default()
    };
    assert_eq!(server.stats(), expected);
    let answer = api.send(Method::GET, "/admin/stats", None, None).await;
    assert_eq!(answer.status, StatusCode::OK);
    let over_http: ServerStats = serde_json::from_value(answer.body).unwrap();
    assert_eq!(over_http, expected);
}

#[tokio::test]
async fn unknown_routes_and_methods_answer_json() {
    let (_server, api) = start_default().await;

    let missing = api.send(Method::GET, "/nowhere", None, None).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND, "{missing:?}");
    assert_eq!(missing.error(), "not_found");

    let wrong_method = api.send(Method::GET, "/auth/login", None, None).await;
    assert_eq!(wrong_method.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(wrong_method.error(), "method_not_allowed");
}

#[tokio::test]
async fn shutdown_and_drop_stop_the_server() {
    let (server, api) = start_default().await;
    assert_eq!(api.login("bob", "builder").await.status, StatusCode::OK);
    let addr = server.local_addr();
    server.shutdown().await;
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
    assert!(
        api.http
            .get(format!("{}/tasks", api.base_url))
            .send()
            .await
            .is_err()
    );

    let server = server::start(ServerConfig::default()).await.unwrap();
    let addr = server.local_addr();
    drop(server);
    // The server's task needs a turn of this runtime to close the listener.
    let mut closed = false;
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(addr).await.is_err() {
            closed = true;
            break;
        }
        tokio::task::yield_now().await;
    }
    assert!(closed, "the dropped server still accepts connections");
}
