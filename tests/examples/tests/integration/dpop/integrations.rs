//! A bound token through the other ways of sending one: a `#[refresh_token]` method (async
//! and blocking), a reqwest-middleware stack and a tower-wrapped hyper client. The resource
//! asks for its nonce, so each path also shows the one resend it costs.

use bytes::Bytes;
use freshtoken::dpop::DpopKey;
use freshtoken::middleware::BearerAuth;
use freshtoken::tower::BearerLayer;
use freshtoken::{
    AuthError, BearerExt, NonceDemand, Token, TokenCache, TokenSource, Unauthorized, refresh_token,
};
use freshtoken_examples::server::{DpopConfig, RunningServer};
use http_body_util::{BodyExt, Empty};
use reqwest::StatusCode;
use tower::{ServiceBuilder, ServiceExt};

use super::{cache, login, server_with};

fn nonce_at_resource() -> DpopConfig {
    DpopConfig {
        nonce_required_at_resource: true,
        ..DpopConfig::default()
    }
}

/// What a hand-written SDK's method returns: no token, or the API's answer (status and
/// headers, which say what a 401 wants).
#[derive(Debug)]
#[allow(dead_code)] // `Auth`'s error is read through `Debug` when a test fails
enum ApiError {
    Auth(AuthError),
    Answer(http::Response<()>),
}

impl From<AuthError> for ApiError {
    fn from(error: AuthError) -> Self {
        Self::Auth(error)
    }
}

impl Unauthorized for ApiError {
    fn is_unauthorized(&self) -> bool {
        matches!(self, Self::Answer(answer) if answer.is_unauthorized())
    }

    fn dpop_nonce(&self) -> NonceDemand {
        match self {
            Self::Answer(answer) => answer.dpop_nonce(),
            Self::Auth(_) => NonceDemand::None,
        }
    }
}

fn kept(status: StatusCode, headers: &http::HeaderMap) -> ApiError {
    let mut answer = http::Response::new(());
    *answer.status_mut() = status;
    *answer.headers_mut() = headers.clone();
    ApiError::Answer(answer)
}

#[refresh_token(cache = cache)]
async fn count_tasks<S: TokenSource>(
    cache: &TokenCache<S>,
    http: &reqwest::Client,
    url: &str,
    #[token] token: &Token,
) -> Result<usize, ApiError> {
    let response = http
        .get(url)
        .send_with_token(token)
        .await
        .expect("the server answers");
    if !response.status().is_success() {
        return Err(kept(response.status(), response.headers()));
    }
    let tasks: Vec<serde_json::Value> = response.json().await.expect("a JSON list");
    Ok(tasks.len())
}

#[tokio::test]
async fn a_refresh_token_method_sends_the_proof_and_resends_once_for_the_nonce() {
    let server = server_with(nonce_at_resource()).await;
    let cache = cache(&server, &DpopKey::generate().unwrap());
    let url = format!("{}/tasks", server.base_url());
    let http = reqwest::Client::new();

    assert_eq!(count_tasks(&cache, &http, &url).await.unwrap(), 0);
    assert_eq!(count_tasks(&cache, &http, &url).await.unwrap(), 0);
    assert_eq!(server.stats().resource_use_dpop_nonce, 1);
    assert_eq!(
        cache.stats().refreshes,
        1,
        "the nonce resend keeps the token"
    );
}

#[tokio::test]
async fn the_middleware_sends_the_proof_and_resends_once_for_the_nonce() {
    let server = server_with(nonce_at_resource()).await;
    let cache = cache(&server, &DpopKey::generate().unwrap());
    let http = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
        .with(BearerAuth::new(cache.clone(), server.base_url()).unwrap())
        .build();
    for path in ["/tasks", "/tasks?done=false"] {
        let response = http
            .get(format!("{}{path}", server.base_url()))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
    }
    assert_eq!(server.stats().resource_use_dpop_nonce, 1);
    assert_eq!(server.stats().dpop_bound_tokens_issued, 1);
    assert_eq!(cache.stats().refreshes, 1);
}

#[tokio::test]
async fn the_tower_layer_sends_the_proof_and_resends_once_for_the_nonce() {
    let server = server_with(nonce_at_resource()).await;
    let cache = cache(&server, &DpopKey::generate().unwrap());
    let hyper = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http::<Empty<Bytes>>();
    let service = ServiceBuilder::new()
        .layer(BearerLayer::new(cache.clone(), server.base_url()).unwrap())
        .service(hyper);
    for _ in 0..2 {
        let request = http::Request::get(format!("{}/tasks", server.base_url()))
            .body(Empty::<Bytes>::new())
            .unwrap();
        let response = service.clone().oneshot(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let body = response.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(&body[..], b"[]");
    }
    assert_eq!(server.stats().resource_use_dpop_nonce, 1);
    assert_eq!(cache.stats().refreshes, 1);
}

#[refresh_token(cache = cache)]
fn count_tasks_blocking<S: TokenSource>(
    cache: &TokenCache<S>,
    http: &reqwest::blocking::Client,
    url: &reqwest::Url,
    #[token] token: &Token,
) -> Result<usize, ApiError> {
    let mut request = http
        .get(url.clone())
        .header(http::header::AUTHORIZATION, token.authorization().clone());
    if let Some(proof) = token.dpop_proof(&http::Method::GET, url)? {
        request = request.header("DPoP", proof);
    }
    let response = request.send().expect("the server answers");
    token.remember_dpop_nonce(url, response.headers());
    if !response.status().is_success() {
        return Err(kept(response.status(), response.headers()));
    }
    let tasks: Vec<serde_json::Value> = response.json().expect("a JSON list");
    Ok(tasks.len())
}

#[test]
fn a_blocking_method_makes_the_proof_itself_and_resends_once_for_the_nonce() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let server: RunningServer = runtime.block_on(server_with(nonce_at_resource()));
    let cache = TokenCache::builder(login(&server, &DpopKey::generate().unwrap()))
        .runtime(runtime.handle().clone())
        .build();
    let url: reqwest::Url = format!("{}/tasks", server.base_url()).parse().unwrap();
    let http = reqwest::blocking::Client::new();

    assert_eq!(count_tasks_blocking(&cache, &http, &url).unwrap(), 0);
    assert_eq!(count_tasks_blocking(&cache, &http, &url).unwrap(), 0);
    assert_eq!(server.stats().resource_use_dpop_nonce, 1);
    assert_eq!(cache.stats().refreshes, 1);
    drop(http);
    runtime.block_on(server.shutdown());
}
