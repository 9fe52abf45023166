// Path parameters: one segment each, whatever the value holds.

use super::server::{Reply, Server};
use super::{SECRET, Spec, authed_client, call, client, invalid_param, leak, spec};
use crate::client::__macro::{AsUnit, PathPart};

fn file_spec() -> &'static Spec {
    leak(spec(
        "/files/{name}/raw",
        &[
            PathPart::Literal("/files/"),
            PathPart::Param("name"),
            PathPart::Literal("/raw"),
        ],
        false,
    ))
}

async fn target_for(value: &str) -> String {
    let server = Server::start([Reply::status(204)]).await;
    let client = client(&server);
    call(
        &client,
        file_spec(),
        |request| request.path_param("name", value),
        AsUnit,
    )
    .await
    .expect("the call succeeds");
    server.only_request().target
}

#[tokio::test]
async fn a_value_is_one_segment_whatever_it_holds() {
    assert_eq!(
        target_for("a b/c?d#e%f").await,
        "/files/a%20b%2Fc%3Fd%23e%25f/raw"
    );
}

#[tokio::test]
async fn unicode_is_percent_encoded_utf8() {
    assert_eq!(target_for("été").await, "/files/%C3%A9t%C3%A9/raw");
}

#[tokio::test]
async fn unreserved_characters_stay_as_they_are() {
    assert_eq!(target_for("a-b_c.d~e9").await, "/files/a-b_c.d~e9/raw");
}

#[tokio::test]
async fn an_encoded_dot_segment_stays_a_plain_segment() {
    // `%2e%2e` would be `..` to a URL parser; its `%` is encoded, so it is not.
    assert_eq!(target_for("%2e%2e").await, "/files/%252e%252e/raw");
}

#[tokio::test]
async fn dot_segments_and_empty_values_are_refused_before_sending() {
    for value in ["", ".", ".."] {
        let server = Server::start([Reply::status(204)]).await;
        let (client, _) = authed_client(&server);
        let spec = leak(spec(
            "/files/{name}/raw",
            &[
                PathPart::Literal("/files/"),
                PathPart::Param("name"),
                PathPart::Literal("/raw"),
            ],
            true,
        ));
        let error = call(
            &client,
            spec,
            |request| request.path_param("name", value),
            AsUnit,
        )
        .await
        .expect_err("the value changes the path");
        assert_eq!(invalid_param(&error), "name");
        let message = error.to_string();
        assert!(message.contains("`name`"), "{message}");
        assert!(message.contains("GET /files/{name}/raw"), "{message}");
        assert!(!message.contains(SECRET), "{message}");
        assert!(server.requests().is_empty(), "value {value:?} was sent");
    }
}

#[tokio::test]
async fn a_missing_path_value_is_refused_naming_the_parameter() {
    let server = Server::start([Reply::status(204)]).await;
    let client = client(&server);
    let error = call(&client, file_spec(), super::no_args, AsUnit)
        .await
        .expect_err("no value for `name`");
    assert_eq!(invalid_param(&error), "name");
    assert!(server.requests().is_empty());
}

#[tokio::test]
async fn a_parameter_used_twice_fills_both_places() {
    let server = Server::start([Reply::status(204)]).await;
    let client = client(&server);
    let spec = leak(spec(
        "/a/{id}/b/{id}",
        &[
            PathPart::Literal("/a/"),
            PathPart::Param("id"),
            PathPart::Literal("/b/"),
            PathPart::Param("id"),
        ],
        false,
    ));
    call(
        &client,
        spec,
        |request| request.path_param("id", &7),
        AsUnit,
    )
    .await
    .expect("the call succeeds");
    assert_eq!(server.only_request().target, "/a/7/b/7");
}
