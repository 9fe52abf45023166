//! An rmcp client over `freshtoken::rmcp::AuthorizedHttpClient`, against the examples' MCP
//! server behind the reference auth server, over real HTTP on 127.0.0.1: the token on every
//! request, one refresh and resend after a 401, one step-up and resend after a 403
//! `insufficient_scope`, and no token in an error; and the examples' MCP client, end to end.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use freshtoken::dpop::DpopKey;
use freshtoken::oauth::{AuthorizationCodePkce, ClientAuth, Url};
use freshtoken::rmcp::AuthorizedHttpClient;
use freshtoken::{AuthError, Token, TokenCache, TokenSource, source_fn};
use freshtoken_examples::mcp_client::{self, browser};
use freshtoken_examples::server::mcp::{
    self, LIST_NOTES_TOOL, READ_SCOPE, RunningMcpServer, WRITE_NOTE_TOOL, WRITE_SCOPE,
};
use freshtoken_examples::server::{DEMO_PUBLIC_CLIENT_ID, ServerConfig};
use rmcp::RoleClient;
use rmcp::model::{CallToolRequestParams, CallToolResult, ClientConfig, ContentBlock};
use rmcp::service::{RunningService, ServiceExt};

type McpClient = RunningService<RoleClient, ClientConfig>;

/// A cache over `source`. These tests ask for a new token right after the first, which the
/// default minimum interval between refreshes (1 s) would turn into a real wait.
fn new_cache<S: TokenSource>(source: S) -> TokenCache<S> {
    TokenCache::builder(source)
        .min_refresh_interval(Duration::ZERO)
        .build()
}

async fn start_server() -> RunningMcpServer {
    mcp::start(ServerConfig::default(), 0).await.unwrap()
}

/// Logs in at the reference server with PKCE (its consent is automatic, played by the
/// examples' stand-in browser) for `scope`, and for the scopes of a step-up when asked,
/// keeping a list of those.
struct Login {
    base_url: String,
    scope: Vec<String>,
    /// The RFC 8707 `resource` to log in for, if any.
    resource: Option<String>,
    /// The DPoP key the tokens are bound to, if any.
    dpop: Option<DpopKey>,
    stepped_up_to: Arc<Mutex<Vec<Vec<String>>>>,
}

impl Login {
    /// For the MCP server's resource, as an MCP client logs in.
    fn new(server: &RunningMcpServer) -> Self {
        Self {
            base_url: server.base_url(),
            scope: vec![READ_SCOPE.to_owned()],
            resource: Some(server.mcp_url()),
            dpop: None,
            stepped_up_to: Arc::default(),
        }
    }

    fn bound_to(mut self, key: DpopKey) -> Self {
        self.dpop = Some(key);
        self
    }

    fn for_resource(mut self, resource: Option<String>) -> Self {
        self.resource = resource;
        self
    }

    fn pkce(&self, scopes: &[String]) -> AuthorizationCodePkce {
        let url = |path: &str| Url::parse(&format!("{}{path}", self.base_url)).unwrap();
        let login = AuthorizationCodePkce::new(
            url("/oauth/authorize"),
            url("/oauth/token"),
            ClientAuth::public(DEMO_PUBLIC_CLIENT_ID),
            browser::open,
        )
        .scopes(scopes.iter().cloned());
        let login = match &self.dpop {
            Some(key) => login.dpop(key.clone()),
            None => login,
        };
        match &self.resource {
            Some(resource) => login.resource(resource.as_str()),
            None => login,
        }
    }
}

impl TokenSource for Login {
    async fn fetch(&self, previous: Option<&Token>) -> Result<Token, AuthError> {
        self.pkce(&self.scope).fetch(previous).await
    }

    async fn fetch_with_scopes(
        &self,
        previous: Option<&Token>,
        scopes: &[String],
    ) -> Result<Token, AuthError> {
        if previous.is_none() {
            self.stepped_up_to
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(scopes.to_vec());
        }
        self.pkce(scopes).fetch(previous).await
    }
}

/// [`Login`] without a step-up: the default `fetch_with_scopes`, which refuses.
struct LoginWithoutStepUp(Login);

impl TokenSource for LoginWithoutStepUp {
    async fn fetch(&self, previous: Option<&Token>) -> Result<Token, AuthError> {
        self.0.fetch(previous).await
    }
}

async fn connect<S: TokenSource>(server: &RunningMcpServer, cache: TokenCache<S>) -> McpClient {
    ClientConfig::default()
        .serve(AuthorizedHttpClient::new(cache).transport(server.mcp_url()))
        .await
        .unwrap()
}

async fn call(mcp: &McpClient, tool: &'static str) -> Result<CallToolResult, rmcp::ServiceError> {
    let mut params = CallToolRequestParams::new(tool);
    if tool == WRITE_NOTE_TOOL {
        let arguments = serde_json::json!({ "text": "a note" });
        params = params.with_arguments(arguments.as_object().cloned().unwrap());
    }
    mcp.call_tool(params).await
}

fn text_of(result: &CallToolResult) -> String {
    assert_ne!(result.is_error, Some(true), "the tool failed: {result:?}");
    result
        .content
        .iter()
        .filter_map(|block| match block {
            ContentBlock::Text(text) => Some(text.text.as_str()),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn an_rmcp_client_initializes_lists_and_calls_tools_with_the_caches_token() {
    let server = start_server().await;
    let cache = new_cache(Login::new(&server));
    let mcp = connect(&server, cache.clone()).await;

    let tools = mcp.list_all_tools().await.unwrap();
    let names: Vec<&str> = tools.iter().map(|tool| tool.name.as_ref()).collect();
    assert_eq!(names, [LIST_NOTES_TOOL, WRITE_NOTE_TOOL]);
    let notes = call(&mcp, LIST_NOTES_TOOL).await.unwrap();
    assert_eq!(text_of(&notes), "");
    mcp.cancel().await.unwrap();

    let stats = server.stats();
    assert_eq!(stats.logins, 1, "one login for every request: {stats:?}");
    assert_eq!(
        stats.unauthorized_responses, 0,
        "every request had the token: {stats:?}"
    );
}

#[tokio::test]
async fn a_dpop_bound_token_goes_with_a_proof_on_every_mcp_request_and_not_as_bearer() {
    let server = start_server().await;
    let key = DpopKey::generate().unwrap();
    let cache = new_cache(Login::new(&server).bound_to(key.clone()));
    let mcp = connect(&server, cache.clone()).await;
    assert_eq!(text_of(&call(&mcp, LIST_NOTES_TOOL).await.unwrap()), "");
    mcp.cancel().await.unwrap();

    let token = cache.cached().unwrap();
    assert_eq!(token.token_type(), "DPoP");
    assert_eq!(token.dpop_key().unwrap().thumbprint(), key.thumbprint());
    let stats = server.stats();
    assert_eq!(stats.dpop_bound_tokens_issued, 1, "{stats:?}");
    assert_eq!(
        (stats.unauthorized_responses, stats.dpop_proofs_refused),
        (0, 0),
        "every request had the token and a valid proof: {stats:?}"
    );

    // The same token without the key, as a thief would send it.
    let stolen = reqwest::Client::new()
        .post(server.mcp_url())
        .bearer_auth(token.access_token().expose_secret())
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .body(r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(stolen.status(), reqwest::StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_token_issued_for_another_resource_or_for_none_is_refused_by_the_mcp_server() {
    let server = start_server().await;
    let elsewhere = Some(format!("{}/tasks", server.base_url()));
    for resource in [elsewhere, None] {
        let cache = new_cache(Login::new(&server).for_resource(resource.clone()));

        let error = ClientConfig::default()
            .serve(AuthorizedHttpClient::new(cache).transport(server.mcp_url()))
            .await
            .unwrap_err();

        let text = error.to_string();
        assert!(text.contains("Auth required"), "{resource:?}: {text}");
    }
}

#[tokio::test]
async fn the_mcp_endpoint_answers_a_request_without_a_token_with_a_challenge_naming_its_metadata() {
    let server = start_server().await;
    let answer = reqwest::Client::new()
        .post(server.mcp_url())
        .header("content-type", "application/json")
        .body(r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#)
        .send()
        .await
        .unwrap();

    assert_eq!(answer.status(), 401);
    let challenge = answer.headers()["www-authenticate"].to_str().unwrap();
    assert_eq!(
        challenge,
        format!(
            "Bearer resource_metadata=\"{}/.well-known/oauth-protected-resource/mcp\", \
             scope=\"notes:read\"",
            server.base_url()
        )
    );
    let metadata: serde_json::Value = reqwest::get(format!(
        "{}/.well-known/oauth-protected-resource/mcp",
        server.base_url()
    ))
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(metadata["resource"], server.mcp_url());
    assert_eq!(metadata["authorization_servers"][0], server.base_url());
}

#[tokio::test]
async fn a_revoked_token_gets_one_refresh_and_the_call_is_sent_again() {
    let server = start_server().await;
    let cache = new_cache(Login::new(&server));
    let mcp = connect(&server, cache.clone()).await;
    call(&mcp, LIST_NOTES_TOOL).await.unwrap();
    let revoked = cache.cached().unwrap();

    let answer = reqwest::Client::new()
        .post(format!("{}/admin/revoke-access/alice", server.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 204);
    let notes = call(&mcp, LIST_NOTES_TOOL).await.unwrap();

    assert_eq!(text_of(&notes), "");
    let stats = server.stats();
    assert_eq!(stats.refreshes, 1, "one refresh after the 401: {stats:?}");
    assert_eq!(stats.logins, 1, "{stats:?}");
    assert_ne!(
        cache.cached().unwrap().access_token().expose_secret(),
        revoked.access_token().expose_secret()
    );
    mcp.cancel().await.unwrap();
}

#[tokio::test]
async fn a_token_refused_twice_fails_after_one_resend_without_the_token_in_the_error() {
    const REFUSED: &str = "refused-SECRET-token";
    let server = start_server().await;
    let fetches = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&fetches);
    let cache = new_cache(source_fn(move |_previous| {
        counted.fetch_add(1, Ordering::SeqCst);
        async { Token::builder(REFUSED).build() }
    }));

    let error = ClientConfig::default()
        .serve(AuthorizedHttpClient::new(cache).transport(server.mcp_url()))
        .await
        .unwrap_err();

    assert_eq!(
        fetches.load(Ordering::SeqCst),
        2,
        "the first token and one new one"
    );
    assert_eq!(server.stats().unauthorized_responses, 2);
    let text = format!("{error} / {error:?}");
    assert!(text.contains("Auth required"), "{text}");
    assert!(!text.contains("SECRET"), "{text}");
}

#[tokio::test]
async fn a_403_insufficient_scope_steps_up_once_and_the_call_is_sent_again() {
    let server = start_server().await;
    let login = Login::new(&server);
    let stepped_up_to = Arc::clone(&login.stepped_up_to);
    let cache = new_cache(login);
    let mcp = connect(&server, cache.clone()).await;

    let written = call(&mcp, WRITE_NOTE_TOOL).await.unwrap();

    assert_eq!(text_of(&written), "note 1 written");
    assert_eq!(
        *stepped_up_to.lock().unwrap(),
        [vec![READ_SCOPE.to_owned(), WRITE_SCOPE.to_owned()]]
    );
    assert_eq!(
        server.stats().logins,
        2,
        "the first login and the step-up's"
    );
    // The wider token serves the next call: no second step-up.
    let again = call(&mcp, WRITE_NOTE_TOOL).await.unwrap();
    assert_eq!(text_of(&again), "note 2 written");
    assert_eq!(server.stats().logins, 2);
    assert_eq!(stepped_up_to.lock().unwrap().len(), 1);
    mcp.cancel().await.unwrap();
}

#[tokio::test]
async fn a_step_up_the_source_cannot_make_fails_the_call_naming_the_scope_but_not_the_token() {
    let server = start_server().await;
    let cache = new_cache(LoginWithoutStepUp(Login::new(&server)));
    let mcp = connect(&server, cache.clone()).await;

    let error = call(&mcp, WRITE_NOTE_TOOL).await.unwrap_err();

    let text = format!("{error} / {error:?}");
    assert!(text.contains(WRITE_SCOPE), "{text}");
    assert!(text.contains("step-up failed"), "{text}");
    let token = cache.cached().unwrap();
    assert!(
        !text.contains(token.access_token().expose_secret()),
        "{text}"
    );
    // The token in service still works for what it may do.
    call(&mcp, LIST_NOTES_TOOL).await.unwrap();
    mcp.cancel().await.unwrap();
}

#[tokio::test]
async fn the_example_mcp_client_writes_a_note_through_a_scope_step_up() {
    let server = start_server().await;
    let mut printed = String::new();

    let result = mcp_client::run(&server.mcp_url(), &mut |line| {
        printed.push_str(line);
        printed.push('\n');
    })
    .await;

    assert_eq!(result, Ok(()), "{printed}");
    assert!(
        printed.contains("tools: list_notes, write_note"),
        "{printed}"
    );
    assert!(printed.contains("write_note: note 1 written"), "{printed}");
    assert!(
        printed.contains("list_notes: written through a step-up"),
        "{printed}"
    );
    let stats = server.stats();
    assert_eq!(
        stats.logins, 2,
        "the first login and the step-up's: {stats:?}"
    );
}
