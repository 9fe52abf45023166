//! `freshtoken::tower::BearerLayer` over a tonic channel, against a hand-written gRPC server
//! on 127.0.0.1 that accepts only the tokens its source issued and the test has not revoked
//! (`freshtoken_tests::grpc`): the bearer metadata set; `UNAUTHENTICATED` then success with
//! one refresh and one retry; 100 concurrent calls on an expired token with one refresh; a
//! second `UNAUTHENTICATED` returned; a client stream not retried but its token invalidated;
//! `UNAUTHENTICATED` in a stream's trailers invalidating the token; a failed refresh reaching
//! the caller as a `Status` whose source is the `AuthError`, `UNAVAILABLE` when it may pass
//! and `UNAUTHENTICATED` when the login is dead.

use std::error::Error as _;
use std::future::Future;
use std::time::Duration;

use freshtoken::tower::{BearerLayer, BearerService};
use freshtoken::{AuthError, Token, TokenCache, TokenSource, source_fn};
use freshtoken_tests::grpc::{GrpcServer, GrpcSource, Ping, Pong, Tokens, path};
use futures_util::StreamExt as _;
use http::uri::PathAndQuery;
use tokio::task::JoinSet;
use tonic::transport::{Channel, Endpoint};
use tonic::{Code, Request, Status};
use tonic_prost::ProstCodec;
use tower::{Layer as _, ServiceBuilder};

/// Every wait of these tests: a failing test fails, never hangs.
const BOUND: Duration = Duration::from_secs(10);

async fn bounded<T>(work: impl Future<Output = T>) -> T {
    tokio::time::timeout(BOUND, work)
        .await
        .expect("the test finished within its bound")
}

type AuthChannel<S> = BearerService<Channel, S>;

/// A cache over the server's source with no minimum interval between refreshes (a retry gets
/// its new token at once), starting with `first` when given.
fn cache(tokens: &Tokens, first: Option<&str>) -> TokenCache<GrpcSource> {
    let mut builder =
        TokenCache::builder(GrpcSource(tokens.clone())).min_refresh_interval(Duration::ZERO);
    if let Some(first) = first {
        builder = builder.token(Token::builder(first).build().expect("a valid token"));
    }
    builder.build()
}

async fn connect<S>(server: &GrpcServer, cache: TokenCache<S>) -> AuthChannel<S> {
    let channel = Endpoint::from_shared(server.url())
        .expect("the server's URL")
        .connect()
        .await
        .expect("the server on 127.0.0.1 accepts connections");
    ServiceBuilder::new()
        .layer(BearerLayer::new(cache, server.url()).expect("the server's URL"))
        .service(channel)
}

/// Readies a client over `channel`, as a generated client does before each call.
async fn client<S: TokenSource>(channel: &AuthChannel<S>) -> tonic::client::Grpc<AuthChannel<S>> {
    let mut grpc = tonic::client::Grpc::new(channel.clone());
    grpc.ready().await.expect("the channel is ready");
    grpc
}

async fn unary<S: TokenSource>(channel: &AuthChannel<S>, text: &str) -> Result<Pong, Status> {
    let ping = Ping {
        text: text.to_owned(),
    };
    client(channel)
        .await
        .unary(
            Request::new(ping),
            PathAndQuery::from_static(path::UNARY),
            ProstCodec::<Ping, Pong>::default(),
        )
        .await
        .map(tonic::Response::into_inner)
}

#[tokio::test]
async fn a_unary_call_carries_the_current_token_as_bearer_metadata() {
    bounded(async {
        let tokens = Tokens::default();
        let server = GrpcServer::start(tokens.clone()).await;
        let channel = connect(&server, cache(&tokens, None)).await;

        let pong = unary(&channel, "hello").await.expect("an accepted call");

        assert_eq!(pong.text, "hello");
        assert_eq!(tokens.seen(), ["Bearer grpc-token-1"]);
        assert_eq!(tokens.issued(), 1);
    })
    .await;
}

#[tokio::test]
async fn unauthenticated_then_success_is_one_refresh_and_one_retry() {
    bounded(async {
        let tokens = Tokens::default();
        let server = GrpcServer::start(tokens.clone()).await;
        // A token the server does not know: revoked, say.
        let channel = connect(&server, cache(&tokens, Some("grpc-token-revoked"))).await;

        let pong = unary(&channel, "again")
            .await
            .expect("the retry is accepted");

        assert_eq!(pong.text, "again");
        assert_eq!(tokens.calls(), (2, 1), "two calls, the first rejected");
        assert_eq!(tokens.issued(), 1, "exactly one refresh");
        assert_eq!(
            tokens.seen(),
            ["Bearer grpc-token-revoked", "Bearer grpc-token-1"]
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_concurrent_calls_on_an_expired_token_share_one_refresh() {
    bounded(async {
        let tokens = Tokens::default();
        let server = GrpcServer::start(tokens.clone()).await;
        let cache = cache(&tokens, None);
        let channel = connect(&server, cache.clone()).await;
        unary(&channel, "first").await.expect("an accepted call");
        cache.expire_now();

        let mut calls = JoinSet::new();
        for n in 0..100 {
            let channel = channel.clone();
            calls.spawn(async move { unary(&channel, &format!("call {n}")).await });
        }
        let outcomes = calls.join_all().await;

        for outcome in &outcomes {
            assert!(outcome.is_ok(), "{outcome:?}");
        }
        assert_eq!(tokens.issued(), 2, "one refresh for the hundred");
        assert_eq!(tokens.calls(), (101, 0));
        assert_eq!(cache.stats().refreshes, 2);
    })
    .await;
}

#[tokio::test]
async fn a_second_unauthenticated_is_returned_to_the_caller() {
    bounded(async {
        let tokens = Tokens::default();
        tokens.refuse_every_token();
        let server = GrpcServer::start(tokens.clone()).await;
        let cache = cache(&tokens, None);
        let channel = connect(&server, cache.clone()).await;

        let status = unary(&channel, "no")
            .await
            .expect_err("every token refused");

        assert_eq!(status.code(), Code::Unauthenticated, "{status:?}");
        assert_eq!(tokens.calls(), (2, 2), "one retry, never more");
        assert_eq!(tokens.issued(), 2);
        assert!(
            cache.cached().is_none(),
            "the rejected token is not served again"
        );
    })
    .await;
}

#[tokio::test]
async fn a_client_stream_still_open_is_not_retried_but_its_token_is_invalidated() {
    bounded(async {
        let tokens = Tokens::default();
        let server = GrpcServer::start(tokens.clone()).await;
        let cache = cache(&tokens, Some("grpc-token-revoked"));
        let channel = connect(&server, cache.clone()).await;
        // One message ready at once, then a writer that has not finished: the body is not
        // complete when the call starts.
        let ping = Ping {
            text: "one".to_owned(),
        };
        let pings =
            futures_util::stream::once(async { ping }).chain(futures_util::stream::pending());

        let outcome = client(&channel)
            .await
            .client_streaming(
                Request::new(pings),
                PathAndQuery::from_static(path::COLLECT),
                ProstCodec::<Ping, Pong>::default(),
            )
            .await;

        let status = outcome.expect_err("the revoked token is rejected");
        assert_eq!(status.code(), Code::Unauthenticated, "{status:?}");
        assert_eq!(tokens.calls(), (1, 1), "not retried");
        assert_eq!(
            tokens.issued(),
            0,
            "no refresh for a retry that is not made"
        );
        assert!(
            cache.cached().is_none(),
            "the rejected token is invalidated"
        );

        // The next call gets a new token.
        unary(&channel, "next").await.expect("an accepted call");
        assert_eq!(tokens.seen()[1], "Bearer grpc-token-1");
    })
    .await;
}

#[tokio::test]
async fn unauthenticated_in_a_streams_trailers_invalidates_the_token_without_a_retry() {
    bounded(async {
        let tokens = Tokens::default();
        let server = GrpcServer::start(tokens.clone()).await;
        let cache = cache(&tokens, None);
        let channel = connect(&server, cache.clone()).await;
        let ping = Ping {
            text: "watch".to_owned(),
        };

        let mut pongs = client(&channel)
            .await
            .server_streaming(
                Request::new(ping),
                PathAndQuery::from_static(path::WATCH),
                ProstCodec::<Ping, Pong>::default(),
            )
            .await
            .expect("the stream starts")
            .into_inner();
        let first = pongs.message().await.expect("the first message");
        assert_eq!(first.map(|pong| pong.text).as_deref(), Some("watch"));
        assert!(cache.cached().is_some(), "still valid before the trailers");
        let status = pongs.message().await.expect_err("the trailers' status");

        assert_eq!(status.code(), Code::Unauthenticated, "{status:?}");
        assert!(cache.cached().is_none(), "invalidated by the trailers");
        assert_eq!(tokens.calls(), (1, 0), "no retry");
        assert_eq!(tokens.issued(), 1);
    })
    .await;
}

#[tokio::test]
async fn a_failed_refresh_reaches_the_caller_as_a_status_whose_source_is_the_auth_error() {
    bounded(async {
        let tokens = Tokens::default();
        let server = GrpcServer::start(tokens.clone()).await;
        let cache = TokenCache::new(source_fn(|_previous| async {
            Err::<Token, _>(AuthError::refresh_failed("the identity provider is down"))
        }));
        let layer = BearerLayer::new(cache, server.url()).expect("the server's URL");
        let channel = layer.layer(
            Endpoint::from_shared(server.url())
                .expect("the server's URL")
                .connect()
                .await
                .expect("a connection"),
        );

        let status = unary(&channel, "never sent").await.expect_err("no token");

        let auth = status
            .source()
            .and_then(|source| source.downcast_ref::<AuthError>())
            .expect("the AuthError under the Status");
        assert!(auth.is_retryable(), "{auth}");
        assert!(status.message().contains("down"), "{status:?}");
        assert_eq!(tokens.calls(), (0, 0), "nothing sent without a token");
    })
    .await;
}

/// A caller's gRPC retry policy reads the code: a failure that may pass is `UNAVAILABLE`
/// (retry with a backoff), dead credentials are `UNAUTHENTICATED` (log in again), never
/// `UNKNOWN`.
#[tokio::test]
async fn no_token_is_unavailable_when_it_may_pass_and_unauthenticated_when_the_login_is_dead() {
    bounded(async {
        let tokens = Tokens::default();
        let server = GrpcServer::start(tokens.clone()).await;
        for (failure, code) in [
            (
                AuthError::refresh_failed("the identity provider is down"),
                Code::Unavailable,
            ),
            (
                AuthError::reauthenticate("invalid_grant: revoked"),
                Code::Unauthenticated,
            ),
        ] {
            let cache = TokenCache::new(source_fn(move |_previous| {
                let failure = failure.clone();
                async move { Err::<Token, _>(failure) }
            }));
            let channel = connect(&server, cache).await;

            let status = unary(&channel, "never sent").await.expect_err("no token");

            assert_eq!(status.code(), code, "{status:?}");
            let auth = status
                .source()
                .and_then(|source| source.downcast_ref::<AuthError>())
                .expect("the AuthError under the Status");
            assert_eq!(status.message(), auth.to_string());
        }
        assert_eq!(tokens.calls(), (0, 0), "nothing sent without a token");
    })
    .await;
}
