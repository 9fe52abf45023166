//! A gRPC server on 127.0.0.1 written by hand (no protoc, no build script), with the token
//! source that issues the tokens it accepts: for the tests of `freshtoken::tower::BearerLayer`
//! over a tonic channel.
//!
//! The server checks each call's `authorization` metadata against the tokens the source has
//! issued and the test has not revoked, and answers `UNAUTHENTICATED` (trailers-only, before
//! reading the request) otherwise. It counts calls and rejections and records the metadata
//! it saw. It runs on the test's runtime; dropping it stops it.
//!
//! Methods of the service `test.Tasks`: `Unary` (one `Ping`, one `Pong`), `Collect` (a stream
//! of `Ping`s, one `Pong` counting them) and `Watch` (one `Ping`; a stream with one `Pong`,
//! then trailers `UNAUTHENTICATED`: a server that rejects the token after it began to answer).

use std::collections::HashSet;
use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use freshtoken::{AuthError, Token, TokenSource};
use futures_util::StreamExt as _;
use tokio::task::JoinHandle;
use tonic::body::Body;
use tonic::codec::Streaming;
use tonic::server::Grpc;
use tonic::{Request, Response, Status};
use tonic_prost::ProstCodec;

use crate::lock;
use crate::scripted::bind_loopback;

/// The request of every method.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Ping {
    /// Anything; echoed back.
    #[prost(string, tag = "1")]
    pub text: String,
}

/// The answer of every method.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Pong {
    /// The text of the (last) `Ping`.
    #[prost(string, tag = "1")]
    pub text: String,
    /// How many `Ping`s the call carried.
    #[prost(uint32, tag = "2")]
    pub pings: u32,
}

/// The paths of the service's methods.
pub mod path {
    /// One `Ping`, one `Pong`.
    pub const UNARY: &str = "/test.Tasks/Unary";
    /// A stream of `Ping`s, one `Pong`.
    pub const COLLECT: &str = "/test.Tasks/Collect";
    /// One `Ping`, a stream of one `Pong` ended by trailers `UNAUTHENTICATED`.
    pub const WATCH: &str = "/test.Tasks/Watch";
}

/// What the server knows and has seen, shared with the source that issues its tokens.
#[derive(Debug, Default)]
struct Accounts {
    /// The tokens the server accepts.
    valid: HashSet<String>,
    /// The `authorization` metadata of each call, in order of arrival.
    seen: Vec<String>,
    rejected: u32,
    /// Set by [`Tokens::refuse_every_token`]: newly issued tokens are not accepted either.
    refusing: bool,
}

/// The server's view of the tokens: the source adds what it issues, the test revokes.
#[derive(Debug, Clone, Default)]
pub struct Tokens {
    accounts: Arc<Mutex<Accounts>>,
    issued: Arc<AtomicU32>,
}

impl Tokens {
    /// Makes every token issued so far invalid: the next call with one is `UNAUTHENTICATED`.
    pub fn revoke_all(&self) {
        lock(&self.accounts).valid.clear();
    }

    /// Revokes every token, and accepts none of those issued from now on.
    pub fn refuse_every_token(&self) {
        let mut accounts = lock(&self.accounts);
        accounts.valid.clear();
        accounts.refusing = true;
    }

    /// The `authorization` metadata of each call the server received, in order.
    #[must_use]
    pub fn seen(&self) -> Vec<String> {
        lock(&self.accounts).seen.clone()
    }

    /// Calls the server received, and how many of them it answered `UNAUTHENTICATED`
    /// before running the method.
    #[must_use]
    pub fn calls(&self) -> (usize, u32) {
        let accounts = lock(&self.accounts);
        (accounts.seen.len(), accounts.rejected)
    }

    /// How many tokens the source has issued (the cache's refreshes).
    #[must_use]
    pub fn issued(&self) -> u32 {
        self.issued.load(Ordering::SeqCst)
    }

    /// Records a call's metadata; whether its token is accepted.
    fn admit<T>(&self, request: &Request<T>) -> Result<(), Status> {
        let authorization = request
            .metadata()
            .get("authorization")
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let mut accounts = lock(&self.accounts);
        accounts.seen.push(authorization.clone());
        let token = authorization.strip_prefix("Bearer ").unwrap_or_default();
        if accounts.valid.contains(token) {
            Ok(())
        } else {
            accounts.rejected += 1;
            Err(Status::unauthenticated("the access token is not valid"))
        }
    }
}

/// Issues `grpc-token-1`, `grpc-token-2`, ..., each valid at the server until revoked.
#[derive(Debug, Clone)]
pub struct GrpcSource(pub Tokens);

impl TokenSource for GrpcSource {
    async fn fetch(&self, _previous: Option<&Token>) -> Result<Token, AuthError> {
        let n = self.0.issued.fetch_add(1, Ordering::SeqCst) + 1;
        let token = format!("grpc-token-{n}");
        let mut accounts = lock(&self.0.accounts);
        if !accounts.refusing {
            accounts.valid.insert(token.clone());
        }
        drop(accounts);
        Token::builder(token)
            .expires_in(Duration::from_secs(3600))
            .build()
    }
}

/// The server; dropping it stops it.
#[derive(Debug)]
pub struct GrpcServer {
    addr: SocketAddr,
    serving: JoinHandle<()>,
}

impl GrpcServer {
    /// Starts the service on a free port of 127.0.0.1, accepting the tokens in `tokens`.
    ///
    /// # Panics
    /// If no port on 127.0.0.1 can be bound.
    pub async fn start(tokens: Tokens) -> Self {
        let (listener, addr) = bind_loopback().await;
        let incoming = tonic::transport::server::TcpIncoming::from(listener);
        let service = TasksService { tokens };
        let serving = tokio::spawn(async move {
            // Ends only when the test's runtime does, or when the server is dropped.
            let _ = tonic::transport::Server::builder()
                .serve_with_incoming(service, incoming)
                .await;
        });
        Self { addr, serving }
    }

    /// The URL a tonic `Endpoint` connects to.
    #[must_use]
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for GrpcServer {
    fn drop(&mut self) {
        self.serving.abort();
    }
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

/// The service as tonic-build would generate it: one arm per method path.
#[derive(Debug, Clone)]
struct TasksService {
    tokens: Tokens,
}

impl tower::Service<http::Request<Body>> for TasksService {
    type Response = http::Response<Body>;
    type Error = Infallible;
    type Future = BoxFuture<Result<http::Response<Body>, Infallible>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<Body>) -> Self::Future {
        let tokens = self.tokens.clone();
        Box::pin(async move {
            let mut grpc = Grpc::new(ProstCodec::<Pong, Ping>::default());
            let response = match request.uri().path() {
                path::UNARY => {
                    let unary = tower::service_fn(move |call: Request<Ping>| {
                        let admitted = tokens.admit(&call);
                        async move {
                            admitted?;
                            let text = call.into_inner().text;
                            Ok(Response::new(Pong { text, pings: 1 }))
                        }
                    });
                    grpc.unary(unary, request).await
                }
                path::COLLECT => {
                    let collect = tower::service_fn(move |call: Request<Streaming<Ping>>| {
                        // Checked before any message is read, as an interceptor would.
                        let admitted = tokens.admit(&call);
                        async move {
                            admitted?;
                            let mut pings = call.into_inner();
                            let mut pong = Pong::default();
                            while let Some(ping) = pings.message().await? {
                                pong.text = ping.text;
                                pong.pings += 1;
                            }
                            Ok(Response::new(pong))
                        }
                    });
                    grpc.client_streaming(collect, request).await
                }
                path::WATCH => {
                    let watch = tower::service_fn(move |call: Request<Ping>| {
                        let admitted = tokens.admit(&call);
                        async move {
                            admitted?;
                            let pong = Pong {
                                text: call.into_inner().text,
                                pings: 1,
                            };
                            let rejected = Status::unauthenticated("the token was revoked");
                            let stream = futures_util::stream::iter([Ok(pong), Err(rejected)]);
                            Ok(Response::new(stream.boxed()))
                        }
                    });
                    grpc.server_streaming(watch, request).await
                }
                _ => Status::unimplemented("no such method").into_http(),
            };
            Ok(response)
        })
    }
}
