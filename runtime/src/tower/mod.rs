//! A [tower](https://docs.rs/tower) layer that keeps the bearer token of every request fresh,
//! for hyper-util clients, tonic channels and any other `http` service: [`BearerLayer`].
//!
//! Each request to the API's origin gets `Authorization: Bearer <token>` from a
//! [`TokenCache`](crate::TokenCache) (replacing one already set; the header value is marked
//! sensitive). The token is awaited
//! inside the response future, so no thread ever blocks and `poll_ready` holds no token: it
//! asks the inner service's readiness only. When the server rejects the token, the layer
//! invalidates it (only if it is still the cache's current token) and, if the request can be
//! sent again, sends it once more with a new token, by the same policy as
//! [`refresh_token`](crate::refresh_token) and the reqwest-middleware `BearerAuth`.
//!
//! # Bound to its origins
//!
//! A layer is made for one API: [`BearerLayer::new`] takes its URL (for a tonic channel, the
//! endpoint's), and [`BearerLayer::also_for`] adds more. Only the origin counts (scheme, host
//! and port, compared after normalisation: `https://API.example.com:443/v1` is
//! `https://api.example.com`).
//!
//! - A request whose URI is at one of those origins gets the token, and its rejections are
//!   acted on as below.
//! - A request whose URI has **no authority** (only a path, `/pkg.Service/Method`) counts as
//!   the API's: the inner service sends it to the one endpoint it is connected to. That is
//!   how tonic's clients send through a channel (`GreeterClient::new(channel)`), so their
//!   calls get the token. A tonic client made `with_origin(uri)` puts that URI's authority on
//!   its requests: bind that origin too.
//! - A request to **any other origin** passes through untouched: no token is added, an
//!   `Authorization` header the caller set is left as it is, and its 401 or `UNAUTHENTICATED`
//!   is returned as it is, without invalidating the token or retrying.
//!
//! # What counts as a rejected token
//!
//! - an HTTP **401** response;
//! - a gRPC response whose **headers** carry `grpc-status: 16` (`UNAUTHENTICATED`): the
//!   "trailers-only" answer a tonic server interceptor sends when it returns
//!   `Status::unauthenticated`;
//! - a gRPC response whose **trailers** carry `grpc-status: 16` (a server that rejects the
//!   token after it began to answer): the token is invalidated when the trailers are read
//!   through [`ResponseBody`], and the response is **not** retried, since it is already yours.
//!
//! An HTTP **403** whose `WWW-Authenticate: Bearer` challenge says `insufficient_scope` (with
//! the default `reqwest` feature, which brings the challenge parser) is not a rejected token
//! but a token with too little scope: the cache steps up once
//! ([`TokenCache::step_up_for`](crate::TokenCache::step_up_for): one new authorization with
//! the held and the named scopes, for every caller at once) and the request is resent once,
//! under the same rule of which requests can be sent again.
//!
//! # Which requests are retried
//!
//! Before the first attempt, the layer reads the frames of the request body that are ready
//! at once, without waiting (it stops at the first frame that is not ready yet, and after
//! [`DEFAULT_REPLAY_LIMIT`] bytes, see [`BearerLayer::replay_limit`]):
//!
//! - **Retried once**: a request whose body ended within that read. That is every body
//!   already in memory (`Full`, `Empty`, a `BoxBody` of either) and every
//!   **unary** or **server-streaming** tonic call (tonic encodes its one message at once).
//!   Each attempt sends a copy of those frames.
//! - **Not retried**: a body still being written when the request starts (a tonic
//!   **client-streaming** or **bidi-streaming** call, a body fed from a channel or a file).
//!   It is sent as it comes, the frames read ahead first; after a rejection its token is
//!   still invalidated (the next request gets a new one) and the rejection is returned to you.
//!   Nothing waits for such a body to end, so a bidi stream is never held back.
//!
//! The request body type must implement [`ReplayBody`], so the layer can make a body of the
//! same type for each attempt: implemented for `http_body_util::Full<Bytes>`,
//! `Empty<Bytes>`, `combinators::BoxBody<Bytes, E>`, `combinators::UnsyncBoxBody<Bytes, E>`
//! and, with the `tonic` feature, `tonic::body::Body`.
//!
//! # Errors
//!
//! The service's error is a [`BoxError`], so it composes with other tower layers and with
//! tonic (`tonic::client::GrpcService` needs `Error: Into<BoxError>`). When no token can be
//! had, nothing is sent and the error is the [`AuthError`](crate::AuthError) itself: find it
//! with `error.downcast_ref::<freshtoken::AuthError>()`. For a gRPC call (a request whose
//! `content-type` is `application/grpc`), with the `tonic` feature, it is a `tonic::Status`
//! instead, which tonic hands to the caller as it is: `UNAVAILABLE` when the failure may pass
//! ([`AuthError::is_retryable`](crate::AuthError::is_retryable)), `UNAUTHENTICATED` when it
//! will not (dead credentials, a refused client), its message the `AuthError`'s and its
//! `source()` the `AuthError`. No error or log line holds a secret. The inner
//! service's errors pass through unchanged. A request body that fails while it is read ahead
//! fails the call with the body's error, and nothing is sent.
//!
//! Responses come back as the inner service's, their body wrapped in [`ResponseBody`] (which
//! implements `http_body::Body` the same way; [`ResponseBody::into_inner`] unwraps it).
//!
//! # Place in the stack
//!
//! Put `BearerLayer` **inside** (after) a retry or timeout layer, so each attempt of the outer
//! policy gets a fresh token, and outside the transport (the channel or the client).
//!
//! # Example: a tonic channel
//!
//! With the `tonic` feature. Any tonic client, generated (`GreeterClient::new(channel)`) or
//! hand-written on `tonic::client::Grpc`, takes the wrapped channel as it would the channel.
//!
#![cfg_attr(feature = "tonic", doc = "```")]
#![cfg_attr(not(feature = "tonic"), doc = "```ignore")]
//! use freshtoken::tower::BearerLayer;
//! use freshtoken::{Token, TokenCache, source_fn};
//! use tonic::transport::Endpoint;
//! use tower::ServiceBuilder;
//!
//! async fn connect() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
//!     let cache = TokenCache::new(source_fn(|_previous| async {
//!         Token::builder("issued-access-token").build() // a real source asks the IdP
//!     }));
//!     let channel = Endpoint::from_static("http://127.0.0.1:50051").connect().await?;
//!     let channel = ServiceBuilder::new()
//!         .layer(BearerLayer::new(cache, "http://127.0.0.1:50051")?) // the endpoint's URL
//!         .service(channel);
//!     let mut grpc = tonic::client::Grpc::new(channel); // or GreeterClient::new(channel)
//!     grpc.ready().await?;
//!     // grpc.unary(request, path, codec).await?: sent with `authorization: Bearer ...`
//!     Ok(())
//! }
//! # let _ = connect;
//! ```
//!
//! # Example: a hyper-util client
//!
//! ```
//! use bytes::Bytes;
//! use freshtoken::tower::BearerLayer;
//! use freshtoken::{Token, TokenCache, source_fn};
//! use http_body_util::{BodyExt, Full};
//! use hyper_util::client::legacy::Client;
//! use hyper_util::rt::TokioExecutor;
//! use tower::{Layer, ServiceExt};
//!
//! async fn list_tasks() -> Result<Bytes, Box<dyn std::error::Error + Send + Sync>> {
//!     let cache = TokenCache::new(source_fn(|_previous| async {
//!         Token::builder("issued-access-token").build()
//!     }));
//!     let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
//!     let layer = BearerLayer::new(cache, "http://127.0.0.1:8080")?; // the API's origin
//!     let client = layer.layer(client); // clone it freely
//!     let request = http::Request::get("http://127.0.0.1:8080/tasks").body(Full::default())?;
//!     let response = client.oneshot(request).await?; // a 401 is retried once
//!     Ok(response.into_body().collect().await?.to_bytes())
//! }
//! # let _ = list_tasks;
//! ```

// Input: an inner `http` service, a token cache and the origin(s) its token is for.
// Output: the service wrapped so that every request to those origins carries a fresh token,
// with the retry after a rejected token that `__private::Call` decides; other requests pass
// through untouched.

mod layer;
mod no_token;
mod prefetch;
mod replay;
mod response_body;
mod service;
#[cfg(test)]
mod service_tests;
mod unauthenticated;

pub use layer::BearerLayer;
pub use replay::{PrefixedBody, ReplayBody};
pub use response_body::ResponseBody;
pub use service::{BearerService, ResponseFuture};

/// The error of a [`BearerService`]: tower's and tonic's boxed error, holding the inner
/// service's error, the request body's error, or the [`AuthError`](crate::AuthError) when
/// no token could be had.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The most bytes of a request body read in advance to keep it for a retry, unless
/// [`BearerLayer::replay_limit`] says otherwise: 1 MiB.
pub const DEFAULT_REPLAY_LIMIT: usize = 1024 * 1024;
