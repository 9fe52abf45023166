// Input: a scripted HTTP server on 127.0.0.1 and clients built the way generated ones are.
// Output: evidence for what the client runtime promises: how a request is built from a
// method's arguments, how answers are decoded, the retry after a 401, and that no secret
// reaches an error.

mod auth;
mod base_url;
mod body;
mod decode;
mod headers;
mod path;
mod query;
mod server;
mod status;

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use http::Method;

use super::__macro::{ClientCore, Decode, Generated, PathPart, Request, Spec, TokenRefused};
use super::{Builder, Error, NoAuth};
use crate::{Token, TokenCache, TokenSource, source_fn};
use server::Server;

/// The start of every token the test sources issue; no error text may contain it.
const SECRET: &str = "tok-SECRET-";

/// A generated client as the macro writes it: a wrapper around the core.
struct TestClient<S> {
    core: ClientCore<S>,
}

impl<S: TokenSource> Generated for TestClient<S> {
    type Source = S;

    fn from_core(core: ClientCore<S>) -> Self {
        Self { core }
    }
}

/// A `GET` spec with `auth`, no timeout and no fixed headers; change fields, then [`leak`].
fn spec(template: &'static str, path: &'static [PathPart], auth: bool) -> Spec {
    Spec {
        name: "test_method",
        method: Method::GET,
        template,
        path,
        auth,
        timeout: None,
        headers: &[],
        unauthorized: TokenRefused::Status401,
        error_body: None,
        accept: None,
    }
}

/// A spec that lives as long as the generated `static` would.
fn leak(spec: Spec) -> &'static Spec {
    Box::leak(Box::new(spec))
}

/// `GET /items` without auth.
fn plain() -> &'static Spec {
    leak(spec("/items", &[PathPart::Literal("/items")], false))
}

/// `GET /items` with auth.
fn authed() -> &'static Spec {
    leak(spec("/items", &[PathPart::Literal("/items")], true))
}

/// A source issuing `tok-SECRET-1`, `tok-SECRET-2`, ..., and how many it issued.
fn counting_source() -> (impl TokenSource, Arc<AtomicU32>) {
    let issued = Arc::new(AtomicU32::new(0));
    let counter = Arc::clone(&issued);
    let source = source_fn(move |_previous| {
        let n = counter.fetch_add(1, Ordering::SeqCst) + 1;
        async move {
            Token::builder(format!("{SECRET}{n}"))
                .expires_in(Duration::from_secs(3600))
                .build()
        }
    });
    (source, issued)
}

/// A cache that fetches again at once after a 401 (no minimum interval).
fn cache<S: TokenSource>(source: S) -> TokenCache<S> {
    TokenCache::builder(source)
        .min_refresh_interval(Duration::ZERO)
        .build()
}

/// A client of `server` (base URL its root) whose tokens come from a counting source.
fn authed_client(server: &Server) -> (TestClient<impl TokenSource>, Arc<AtomicU32>) {
    let (source, issued) = counting_source();
    let client = Builder::<TestClient<_>>::new(server.url(""), cache(source))
        .build()
        .expect("a valid base URL");
    (client, issued)
}

/// A client of `server` (base URL its root) without a cache.
fn client(server: &Server) -> TestClient<NoAuth> {
    Builder::<TestClient<NoAuth>>::without_auth(server.url(""))
        .build()
        .expect("a valid base URL")
}

/// Calls `spec` through `client` with `build` and `decoder`, as a generated method does.
async fn call<S, D>(
    client: &TestClient<S>,
    spec: &'static Spec,
    build: impl Fn(&mut Request) -> Result<(), Error> + Send + Sync,
    decoder: D,
) -> Result<D::Output, Error>
where
    S: TokenSource,
    D: Decode,
{
    client.core.call(spec, build, decoder).await
}

/// No arguments.
#[allow(clippy::unnecessary_wraps)] // the shape of a generated method's closure
fn no_args(_: &mut Request) -> Result<(), Error> {
    Ok(())
}

/// The param an `InvalidArgument` names, panicking on any other error.
fn invalid_param(error: &Error) -> &'static str {
    match error {
        Error::InvalidArgument { param, .. } => param,
        other => panic!("expected InvalidArgument, got {other:?}"),
    }
}
