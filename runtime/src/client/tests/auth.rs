// The token: sent when the method is authenticated, fetched from the cache, renewed and the
// request rebuilt (body included) once after a 401, and never shown in an error.

use std::sync::atomic::{AtomicU32, Ordering};

use super::server::{Reply, Server};
use super::{SECRET, TestClient, authed, authed_client, cache, call, client, no_args, plain};
use crate::client::__macro::{AsText, AsUnit, PathPart};
use crate::client::{Builder, Error, Streamed};
use crate::{AuthError, Token, source_fn};

#[tokio::test]
async fn an_authenticated_method_sends_the_cached_token() {
    let server = Server::start([Reply::ok("one")]).await;
    let (client, issued) = authed_client(&server);
    for _ in 0..2 {
        call(&client, authed(), no_args, AsText)
            .await
            .expect("the call succeeds");
    }
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    for request in &requests {
        assert_eq!(
            request.header_all("authorization"),
            [format!("Bearer {SECRET}1")]
        );
    }
    assert_eq!(issued.load(Ordering::SeqCst), 1, "the token is reused");
}

#[tokio::test]
async fn a_method_without_auth_sends_no_token_and_fetches_none() {
    let server = Server::start([Reply::status(204)]).await;
    let (client, issued) = authed_client(&server);
    call(&client, plain(), no_args, AsUnit)
        .await
        .expect("the call succeeds");
    assert_eq!(server.only_request().header("authorization"), None);
    assert_eq!(issued.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn a_401_is_retried_once_with_a_new_token_and_the_body_made_again() {
    let server = Server::start([Reply::status(401), Reply::ok("done")]).await;
    let (client, issued) = authed_client(&server);
    let opened = AtomicU32::new(0);
    let upload = Streamed::new(|| {
        let n = opened.fetch_add(1, Ordering::SeqCst) + 1;
        let chunks = vec![
            Ok::<_, std::io::Error>(format!("upload #{n}, ")),
            Ok("end".to_owned()),
        ];
        Ok(reqwest::Body::wrap_stream(futures_util::stream::iter(
            chunks,
        )))
    });
    let mut post = super::spec("/items", &[PathPart::Literal("/items")], true);
    post.method = http::Method::POST;
    let answer = call(
        &client,
        super::leak(post),
        |request| request.body("upload", &upload),
        AsText,
    )
    .await
    .expect("the retry succeeds");
    assert_eq!(answer, "done");
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(
        requests[0].header("authorization"),
        Some(format!("Bearer {SECRET}1").as_str())
    );
    assert_eq!(
        requests[1].header("authorization"),
        Some(format!("Bearer {SECRET}2").as_str())
    );
    assert_eq!(requests[0].body_text(), "upload #1, end");
    assert_eq!(requests[1].body_text(), "upload #2, end");
    assert_eq!(issued.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_second_401_is_returned_after_exactly_two_requests() {
    let server = Server::start([Reply::status(401).body(format!("bad token {SECRET}2"))]).await;
    let (client, issued) = authed_client(&server);
    let error = call(&client, authed(), no_args, AsUnit)
        .await
        .expect_err("401 twice");
    assert!(error.is_unauthorized(), "{error:?}");
    assert!(crate::Unauthorized::is_unauthorized(&error));
    assert_eq!(error.status(), Some(http::StatusCode::UNAUTHORIZED));
    assert_eq!(server.requests().len(), 2);
    assert_eq!(issued.load(Ordering::SeqCst), 2);
    let text = format!("{error} {error:?}");
    assert!(!text.contains(SECRET), "{text}");
}

#[tokio::test]
async fn a_401_on_a_method_without_auth_is_not_retried() {
    let server = Server::start([Reply::status(401), Reply::ok("never")]).await;
    let (client, issued) = authed_client(&server);
    let error = call(&client, plain(), no_args, AsText)
        .await
        .expect_err("401");
    assert!(error.is_unauthorized());
    assert_eq!(server.requests().len(), 1);
    assert_eq!(issued.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn a_failing_source_is_an_auth_error_and_nothing_is_sent() {
    let server = Server::start([Reply::status(204)]).await;
    let source = source_fn(|_previous| async {
        Err::<Token, _>(AuthError::rejected("the login server said no"))
    });
    let client = Builder::<TestClient<_>>::new(server.url(""), cache(source))
        .build()
        .expect("a valid base URL");
    let error = call(&client, authed(), no_args, AsUnit)
        .await
        .expect_err("no token");
    assert!(matches!(error, Error::Auth(_)), "{error:?}");
    assert!(error.auth_error().is_some());
    assert!(
        error.to_string().contains("no token for the request"),
        "{error}"
    );
    assert!(server.requests().is_empty());
}

#[tokio::test]
async fn an_authenticated_method_of_a_client_without_a_cache_is_an_auth_error() {
    let server = Server::start([Reply::status(204)]).await;
    let client = client(&server);
    let error = call(&client, authed(), no_args, AsUnit)
        .await
        .expect_err("no cache");
    assert!(matches!(error, Error::Auth(_)), "{error:?}");
    assert!(server.requests().is_empty());
}

#[tokio::test]
async fn clones_of_a_core_share_its_cache() {
    let server = Server::start([Reply::status(204)]).await;
    let (client, issued) = authed_client(&server);
    let copy = TestClient {
        core: client.core.clone(),
    };
    call(&client, authed(), no_args, AsUnit).await.expect("ok");
    call(&copy, authed(), no_args, AsUnit).await.expect("ok");
    assert_eq!(issued.load(Ordering::SeqCst), 1);
    assert_eq!(copy.core.base_url().as_str(), server.url("/"));
    assert!(std::ptr::eq(copy.core.cache(), client.core.cache()));
}

#[tokio::test]
async fn the_resend_after_a_401_runs_in_a_span_with_its_resend_count() {
    let (captured, _guard) = crate::spans::capture::capture();
    let server = Server::start([Reply::status(401), Reply::ok("done")]).await;
    let (client, _issued) = authed_client(&server);

    let answer = call(&client, authed(), no_args, AsText).await;

    assert_eq!(answer.expect("the resend succeeds"), "done");
    let resends = captured.spans("freshtoken.resend");
    assert_eq!(resends.len(), 1, "{resends:?}");
    for expected in [
        "http.request.resend_count=1",
        "freshtoken.reason=unauthorized",
    ] {
        assert!(
            resends[0].fields.contains(expected),
            "{expected}: {resends:?}"
        );
    }
    let refreshes = captured.spans("freshtoken.refresh");
    assert_eq!(refreshes.len(), 2, "{refreshes:?}");
    assert_eq!(refreshes[1].parent, Some("freshtoken.resend"));
    let text = captured.text();
    assert!(!text.contains(SECRET), "a token in the spans: {text}");
}
