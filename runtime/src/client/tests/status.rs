// Answers that are not 2xx, and answers that never come: the error keeps the status and a
// bounded, redacted start of the body, and never shows the token or the URL.

use std::time::Duration;

use super::server::{Reply, Server};
use super::{SECRET, TestClient, authed, authed_client, call, client, leak, no_args, plain, spec};
use crate::client::__macro::{AsText, AsUnit, PathPart};
use crate::client::{Builder, Error, NoAuth};

#[tokio::test]
async fn a_non_2xx_answer_is_a_status_error_with_the_body() {
    let server = Server::start([Reply::status(404).body("no such item")]).await;
    let client = client(&server);
    let error = call(&client, plain(), no_args, AsText)
        .await
        .expect_err("404");
    assert_eq!(error.status(), Some(http::StatusCode::NOT_FOUND));
    assert_eq!(error.body(), Some("no such item"));
    assert!(!error.is_unauthorized());
    assert_eq!(
        error.to_string(),
        "test_method (GET /items): the server answered 404 Not Found: no such item"
    );
}

#[tokio::test]
async fn an_empty_error_body_leaves_no_trailing_colon() {
    let server = Server::start([Reply::status(500)]).await;
    let client = client(&server);
    let error = call(&client, plain(), no_args, AsUnit)
        .await
        .expect_err("500");
    assert_eq!(
        error.to_string(),
        "test_method (GET /items): the server answered 500 Internal Server Error"
    );
}

#[tokio::test]
async fn a_large_error_body_is_cut_to_max_body() {
    let page = "x".repeat(100 * 1024);
    let server = Server::start([Reply::status(502).body(page)]).await;
    let client = client(&server);
    let error = call(&client, plain(), no_args, AsUnit)
        .await
        .expect_err("502");
    let body = error.body().expect("a status error");
    assert!(body.len() <= Error::MAX_BODY, "{} bytes kept", body.len());
    assert!(
        body.len() >= Error::MAX_BODY - 4,
        "{} bytes kept",
        body.len()
    );
    assert!(body.bytes().all(|byte| byte == b'x'));
}

#[tokio::test]
async fn a_large_error_body_of_wide_characters_is_cut_to_max_body_bytes() {
    let page = "é".repeat(50 * 1024);
    let server = Server::start([Reply::status(502).body(page)]).await;
    let client = client(&server);
    let error = call(&client, plain(), no_args, AsUnit)
        .await
        .expect_err("502");
    let body = error.body().expect("a status error");
    assert!(body.len() <= Error::MAX_BODY, "{} bytes kept", body.len());
    assert!(
        body.len() >= Error::MAX_BODY - 4,
        "{} bytes kept",
        body.len()
    );
    assert!(body.chars().all(|c| c == 'é'));
}

#[tokio::test]
async fn a_token_the_server_echoes_is_cut_out_of_the_error() {
    let echo = format!(
        "{{\"error\":\"forbidden\",\"seen\":\"Bearer {SECRET}1\",\"escaped\":\"{}\"}}",
        format!("{SECRET}1").replace('-', "\\u002d")
    );
    let server = Server::start([Reply::status(403).body(echo)]).await;
    let (client, _) = authed_client(&server);
    let error = call(&client, authed(), no_args, AsUnit)
        .await
        .expect_err("403");
    let body = error.body().expect("a status error");
    assert!(body.contains("forbidden"), "{body}");
    assert!(body.contains("[redacted]"), "{body}");
    let text = format!("{error} {error:?}");
    assert!(!text.contains(SECRET), "{text}");
    assert!(!text.contains("tok\\u002dSECRET"), "{text}");
}

#[tokio::test]
async fn a_method_timeout_ends_a_call_the_server_never_answers() {
    let server = Server::start([Reply::hang()]).await;
    // The client's own timeout is far longer: the method's must be the one that applies.
    let client = Builder::<TestClient<NoAuth>>::without_auth(server.url(""))
        .timeout(Duration::from_secs(3600))
        .build()
        .expect("a valid base URL");
    let mut slow = spec("/items", &[PathPart::Literal("/items")], false);
    slow.timeout = Some(Duration::from_millis(200));
    // A guard, not a measurement: if the method's timeout were ignored, fail instead of
    // waiting for the client's hour.
    let error = tokio::time::timeout(
        Duration::from_secs(60),
        call(
            &client,
            leak(slow),
            |request| request.query("api_key", "sekrit"),
            AsUnit,
        ),
    )
    .await
    .expect("the method's timeout ends the call")
    .expect_err("no answer");
    assert!(error.is_timeout(), "{error:?}");
    assert_eq!(server.requests().len(), 1);
    let text = error.to_string();
    assert!(
        text.starts_with("test_method (GET /items): timed out"),
        "{text}"
    );
    assert!(
        !text.contains("sekrit") && !text.contains("127.0.0.1"),
        "{text}"
    );
}

#[tokio::test]
async fn the_client_timeout_applies_when_the_method_sets_none() {
    let server = Server::start([Reply::hang()]).await;
    let client = Builder::<TestClient<NoAuth>>::without_auth(server.url(""))
        .timeout(Duration::from_millis(200))
        .build()
        .expect("a valid base URL");
    let error = call(&client, plain(), no_args, AsUnit)
        .await
        .expect_err("no answer");
    assert!(error.is_timeout(), "{error:?}");
}

#[tokio::test]
async fn a_refused_connection_is_a_transport_error_without_the_url() {
    // A port that was free a moment ago: nothing listens there now.
    let url = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
        format!("http://{}", listener.local_addr().expect("a bound address"))
    };
    let client = Builder::<TestClient<NoAuth>>::without_auth(url)
        .build()
        .expect("a valid base URL");
    let error = call(
        &client,
        plain(),
        |request| request.query("api_key", "sekrit"),
        AsUnit,
    )
    .await
    .expect_err("nothing listens");
    assert!(matches!(error, Error::Transport { .. }), "{error:?}");
    assert!(!error.is_timeout());
    let text = format!("{error} {error:?}");
    assert!(!text.contains("sekrit"), "{text}");
}

#[tokio::test]
async fn retry_after_in_seconds_or_as_a_date_is_kept_with_the_status() {
    let in_a_minute =
        httpdate::fmt_http_date(std::time::SystemTime::now() + Duration::from_secs(60));
    let server = Server::start([
        Reply::status(503).header("retry-after", "120"),
        Reply::status(429).header("retry-after", &in_a_minute),
        Reply::status(503).header("retry-after", "soon"),
    ])
    .await;
    let client = client(&server);
    let seconds = call(&client, plain(), no_args, AsUnit)
        .await
        .expect_err("503");
    assert_eq!(seconds.retry_after(), Some(Duration::from_secs(120)));
    assert!(seconds.is_transient());
    let date = call(&client, plain(), no_args, AsUnit)
        .await
        .expect_err("429");
    let wait = date.retry_after().expect("a date is a wait");
    assert!(
        wait > Duration::from_secs(55) && wait <= Duration::from_secs(60),
        "{wait:?}"
    );
    let garbled = call(&client, plain(), no_args, AsUnit)
        .await
        .expect_err("503");
    assert_eq!(garbled.retry_after(), None, "no wait read from `soon`");
}
