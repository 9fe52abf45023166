// Headers: from parameters, from the method's attributes, from the builder's defaults.

use std::sync::Mutex;

use super::server::{Reply, Server};
use super::{TestClient, call, client, invalid_param, leak, no_args, plain, spec};
use crate::client::__macro::{AsUnit, PathPart};
use crate::client::{Builder, NoAuth};

#[tokio::test]
async fn a_header_parameter_is_sent() {
    let server = Server::start([Reply::status(204)]).await;
    let client = client(&server);
    call(
        &client,
        plain(),
        |request| request.header("x-request-id", "request_id", &42),
        AsUnit,
    )
    .await
    .expect("the call succeeds");
    assert_eq!(server.only_request().header("x-request-id"), Some("42"));
}

#[tokio::test]
async fn a_header_value_with_a_newline_is_refused_without_showing_it() {
    let server = Server::start([Reply::status(204)]).await;
    let client = client(&server);
    let error = call(
        &client,
        plain(),
        |request| request.header("x-api-key", "api_key", "sekrit\r\nx-evil: 1"),
        AsUnit,
    )
    .await
    .expect_err("a newline cannot go into a header");
    assert_eq!(invalid_param(&error), "api_key");
    let text = format!("{error} {error:?}");
    assert!(!text.contains("sekrit"), "{text}");
    assert!(server.requests().is_empty());
}

#[tokio::test]
async fn an_optional_header_is_sent_only_when_some() {
    let server = Server::start([Reply::status(204)]).await;
    let client = client(&server);
    call(
        &client,
        plain(),
        |request| {
            request.header_opt("if-match", "etag", None::<&str>)?;
            request.header_opt("x-trace", "trace", Some("t-1"))
        },
        AsUnit,
    )
    .await
    .expect("the call succeeds");
    let request = server.only_request();
    assert_eq!(request.header("if-match"), None);
    assert_eq!(request.header("x-trace"), Some("t-1"));
}

#[tokio::test]
async fn a_header_value_is_hidden_from_debug_output() {
    let server = Server::start([Reply::status(204)]).await;
    let client = client(&server);
    let shown = Mutex::new(String::new());
    call(
        &client,
        plain(),
        |request| {
            request.header("x-api-key", "api_key", "sekrit")?;
            *shown.lock().unwrap() = format!("{request:?}");
            Ok(())
        },
        AsUnit,
    )
    .await
    .expect("the call succeeds");
    let shown = shown.into_inner().unwrap();
    assert!(shown.contains("x-api-key"), "{shown}");
    assert!(!shown.contains("sekrit"), "{shown}");
}

#[tokio::test]
async fn default_and_fixed_headers_are_sent() {
    let server = Server::start([Reply::status(204)]).await;
    let client = Builder::<TestClient<NoAuth>>::without_auth(server.url(""))
        .default_header("user-agent", "tasks-sdk/1.0")
        .default_header("x-tenant", "acme")
        .build()
        .expect("a valid base URL");
    let mut fixed = spec("/items", &[PathPart::Literal("/items")], false);
    fixed.headers = &[("x-fixed", "one"), ("x-fixed", "two")];
    call(&client, leak(fixed), no_args, AsUnit)
        .await
        .expect("the call succeeds");
    let request = server.only_request();
    assert_eq!(request.header_all("user-agent"), ["tasks-sdk/1.0"]);
    assert_eq!(request.header_all("x-tenant"), ["acme"]);
    assert_eq!(request.header_all("x-fixed"), ["one", "two"]);
}

#[tokio::test]
async fn a_methods_headers_replace_a_default_of_the_same_name() {
    let server = Server::start([Reply::status(204)]).await;
    let client = Builder::<TestClient<NoAuth>>::without_auth(server.url(""))
        .default_header("accept", "application/json")
        .default_header("x-version", "1")
        .build()
        .expect("a valid base URL");
    let mut fixed = spec("/items", &[PathPart::Literal("/items")], false);
    fixed.headers = &[("accept", "text/csv")];
    call(
        &client,
        leak(fixed),
        |request| request.header("x-version", "version", &2),
        AsUnit,
    )
    .await
    .expect("the call succeeds");
    let request = server.only_request();
    assert_eq!(request.header_all("accept"), ["text/csv"]);
    assert_eq!(request.header_all("x-version"), ["2"]);
}

#[tokio::test]
async fn the_token_and_a_bodys_type_replace_defaults_of_the_same_name() {
    let server = Server::start([Reply::status(204)]).await;
    let (source, _issued) = super::counting_source();
    let client = Builder::<TestClient<_>>::new(server.url(""), super::cache(source))
        .default_header("authorization", "Basic stale")
        .default_header("content-type", "text/plain")
        .build()
        .expect("a valid base URL");
    let mut post = spec("/items", &[PathPart::Literal("/items")], true);
    post.method = http::Method::POST;
    call(
        &client,
        leak(post),
        |request| request.json("item", &[1, 2]),
        AsUnit,
    )
    .await
    .expect("the call succeeds");
    let request = server.only_request();
    assert_eq!(request.header_all("authorization").len(), 1);
    assert!(
        request
            .header("authorization")
            .is_some_and(|value| value.starts_with("Bearer "))
    );
    assert_eq!(request.header_all("content-type"), ["application/json"]);
}
