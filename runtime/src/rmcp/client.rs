// Input: the requests of rmcp's streamable-HTTP client transport (POST of a JSON-RPC message,
// GET of the SSE stream, DELETE of the session).
// Output: the same requests sent by rmcp's reqwest client, each with a token from the cache
// and freshtoken's resend policy (see `attempts`).

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use ::rmcp::model::ClientJsonRpcMessage;
use ::rmcp::transport::StreamableHttpClientTransport;
use ::rmcp::transport::streamable_http_client::{
    SseError, StreamableHttpClient, StreamableHttpClientTransportConfig,
    StreamableHttpPostResponse, StreamableHttpResponseLimits,
};
use futures_core::stream::BoxStream;
use http::header::AUTHORIZATION;
use http::{HeaderName, HeaderValue, Method};
use sse_stream::Sse;

use super::attempts::send_authorized;
use super::error::{AuthorizedHttpError, TransportError};
use crate::{Token, TokenCache, TokenSource};

/// The HTTP client of an rmcp streamable-HTTP transport whose authorization is a
/// [`TokenCache`]: every request carries `Authorization` from the cache.
///
/// Give it to `StreamableHttpClientTransport::with_client` (or use
/// [`transport`](AuthorizedHttpClient::transport)). It sends through rmcp's own reqwest
/// client, so the transport behaves as it does without freshtoken, plus:
///
/// - **401**: the rejected token is invalidated and the request is sent once more with a
///   new one (the JSON-RPC message is sent again as it was).
/// - **403 `insufficient_scope`**: the cache steps the token up to the scopes the server's
///   `WWW-Authenticate` challenge names (on top of those it held), and the request is sent
///   once more with the new token. A 403 for any other reason is returned as it is.
///
/// A DPoP-bound token (feature `dpop`) goes with a new proof per request. rmcp's client does not
/// show the answers' headers, so a server's `DPoP-Nonce` cannot be kept: an MCP server that
/// requires DPoP nonces at its resource refuses these requests.
///
/// A second refusal of the same kind is returned to rmcp as its `AuthRequired` or
/// `InsufficientScope` error. The transport config's `auth_header` is not used: the token
/// always comes from the cache.
///
/// The error type is [`AuthorizedHttpError`]; no error or log line holds a token or a
/// credential.
///
/// ```no_run
/// use freshtoken::rmcp::AuthorizedHttpClient;
/// use freshtoken::{Token, TokenCache, source_fn};
/// use rmcp::ServiceExt;
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let cache = TokenCache::new(source_fn(|_previous| async {
///     Token::builder("issued-access-token").build() // a real source logs in or asks a vault
/// }));
/// let transport = AuthorizedHttpClient::new(cache).transport("https://mcp.example/mcp");
/// let mcp = ().serve(transport).await?;
/// let tools = mcp.list_all_tools().await?;
/// # let _ = tools;
/// # Ok(()) }
/// ```
pub struct AuthorizedHttpClient<S> {
    http: reqwest::Client,
    cache: TokenCache<S>,
}

impl<S: TokenSource> AuthorizedHttpClient<S> {
    /// A client that sends through a new `reqwest::Client` with its tokens from `cache` (a
    /// clone of a cache shared with the rest of the program is fine: they refresh together).
    #[must_use]
    pub fn new(cache: TokenCache<S>) -> Self {
        Self::with_http(reqwest::Client::new(), cache)
    }

    /// A client that sends through `http` (its timeouts, proxy, TLS settings) with its
    /// tokens from `cache`.
    #[must_use]
    pub fn with_http(http: reqwest::Client, cache: TokenCache<S>) -> Self {
        Self { http, cache }
    }

    /// The token cache.
    #[must_use]
    pub fn cache(&self) -> &TokenCache<S> {
        &self.cache
    }

    /// An rmcp transport to the MCP endpoint at `uri` that sends through this client, with
    /// rmcp's default settings. For others, build a `StreamableHttpClientTransportConfig`
    /// and call `StreamableHttpClientTransport::with_client(client, config)`.
    #[must_use]
    pub fn transport(self, uri: impl Into<Arc<str>>) -> StreamableHttpClientTransport<Self> {
        StreamableHttpClientTransport::with_client(
            self,
            StreamableHttpClientTransportConfig::with_uri(uri),
        )
    }
}

impl<S> Clone for AuthorizedHttpClient<S> {
    fn clone(&self) -> Self {
        Self {
            http: self.http.clone(),
            cache: self.cache.clone(),
        }
    }
}

impl<S> fmt::Debug for AuthorizedHttpClient<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthorizedHttpClient")
            .finish_non_exhaustive()
    }
}

/// The transport's headers with the token's `Authorization` on them (replacing any the
/// caller set), and for a DPoP-bound token a new proof for `method` `uri`.
fn authorized(
    headers: &HashMap<HeaderName, HeaderValue>,
    token: &Token,
    method: &Method,
    uri: &str,
) -> HashMap<HeaderName, HeaderValue> {
    let mut headers = headers.clone();
    headers.insert(AUTHORIZATION, token.authorization().clone());
    #[cfg(feature = "dpop")]
    if token.is_dpop_bound() {
        let proof = url::Url::parse(uri)
            .map_err(|_| crate::AuthError::invalid_token("the MCP endpoint is not a URL"))
            .and_then(|url| token.dpop_proof(method, &url));
        match proof {
            Ok(Some(proof)) => {
                headers.insert(HeaderName::from_static("dpop"), proof);
            }
            Ok(None) => {}
            // The server refuses the request, and says so in its 401.
            Err(error) => {
                tracing::warn!(target: "freshtoken", %error, "no DPoP proof for the MCP request");
            }
        }
    }
    #[cfg(not(feature = "dpop"))]
    let _ = (method, uri);
    headers
}

impl<S: TokenSource> StreamableHttpClient for AuthorizedHttpClient<S> {
    type Error = AuthorizedHttpError;

    async fn post_message(
        &self,
        uri: Arc<str>,
        message: ClientJsonRpcMessage,
        session_id: Option<Arc<str>>,
        _auth_header: Option<String>,
        custom_headers: HashMap<HeaderName, HeaderValue>,
    ) -> Result<StreamableHttpPostResponse, TransportError> {
        send_authorized(&self.cache, |token| {
            self.http.post_message(
                uri.clone(),
                message.clone(),
                session_id.clone(),
                None,
                authorized(&custom_headers, &token, &Method::POST, &uri),
            )
        })
        .await
    }

    async fn post_message_with_max_sse_event_size(
        &self,
        uri: Arc<str>,
        message: ClientJsonRpcMessage,
        session_id: Option<Arc<str>>,
        _auth_header: Option<String>,
        custom_headers: HashMap<HeaderName, HeaderValue>,
        max_sse_event_size: usize,
    ) -> Result<StreamableHttpPostResponse, TransportError> {
        send_authorized(&self.cache, |token| {
            self.http.post_message_with_max_sse_event_size(
                uri.clone(),
                message.clone(),
                session_id.clone(),
                None,
                authorized(&custom_headers, &token, &Method::POST, &uri),
                max_sse_event_size,
            )
        })
        .await
    }

    async fn post_message_with_response_limits(
        &self,
        uri: Arc<str>,
        message: ClientJsonRpcMessage,
        session_id: Option<Arc<str>>,
        _auth_header: Option<String>,
        custom_headers: HashMap<HeaderName, HeaderValue>,
        limits: StreamableHttpResponseLimits,
    ) -> Result<StreamableHttpPostResponse, TransportError> {
        send_authorized(&self.cache, |token| {
            self.http.post_message_with_response_limits(
                uri.clone(),
                message.clone(),
                session_id.clone(),
                None,
                authorized(&custom_headers, &token, &Method::POST, &uri),
                limits,
            )
        })
        .await
    }

    async fn delete_session(
        &self,
        uri: Arc<str>,
        session_id: Arc<str>,
        _auth_header: Option<String>,
        custom_headers: HashMap<HeaderName, HeaderValue>,
    ) -> Result<(), TransportError> {
        send_authorized(&self.cache, |token| {
            self.http.delete_session(
                uri.clone(),
                session_id.clone(),
                None,
                authorized(&custom_headers, &token, &Method::DELETE, &uri),
            )
        })
        .await
    }

    async fn get_stream(
        &self,
        uri: Arc<str>,
        session_id: Option<Arc<str>>,
        last_event_id: Option<String>,
        _auth_header: Option<String>,
        custom_headers: HashMap<HeaderName, HeaderValue>,
    ) -> Result<BoxStream<'static, Result<Sse, SseError>>, TransportError> {
        send_authorized(&self.cache, |token| {
            self.http.get_stream(
                uri.clone(),
                session_id.clone(),
                last_event_id.clone(),
                None,
                authorized(&custom_headers, &token, &Method::GET, &uri),
            )
        })
        .await
    }

    async fn get_stream_with_max_sse_event_size(
        &self,
        uri: Arc<str>,
        session_id: Option<Arc<str>>,
        last_event_id: Option<String>,
        _auth_header: Option<String>,
        custom_headers: HashMap<HeaderName, HeaderValue>,
        max_sse_event_size: usize,
    ) -> Result<BoxStream<'static, Result<Sse, SseError>>, TransportError> {
        send_authorized(&self.cache, |token| {
            self.http.get_stream_with_max_sse_event_size(
                uri.clone(),
                session_id.clone(),
                last_event_id.clone(),
                None,
                authorized(&custom_headers, &token, &Method::GET, &uri),
                max_sse_event_size,
            )
        })
        .await
    }
}
