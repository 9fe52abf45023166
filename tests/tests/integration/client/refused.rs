//! A generated client whose API refuses a token without a 401 (httpmock on 127.0.0.1): the
//! `unauthorized` option of the trait and of a method. A refusal it names costs one resend
//! with a new token, as a 401 does by default; any other error is returned at once; a 401
//! left out of a status set is returned as it is; a method's option overrides the trait's.

use freshtoken::client::Error;
use freshtoken_tests::client::open_cache;
use httpmock::Method::GET;
use httpmock::MockServer;

/// flask-jwt-extended's answer to a token whose signature it cannot verify.
const BAD_SIGNATURE: &str = r#"{"msg": "Signature verification failed"}"#;

/// Whether an answer is flask-jwt-extended's refusal of the token, not a validation error.
fn bad_signature(error: &Error) -> bool {
    error.status().is_some_and(|status| status == 422)
        && error
            .body()
            .is_some_and(|body| body.contains("Signature verification failed"))
}

/// An API that refuses a token it cannot verify with a 422, decided by a function.
#[freshtoken::client(unauthorized = bad_signature)]
pub trait Flask {
    /// Decided by the trait's function.
    #[get("/me")]
    async fn me(&self) -> Result<String>;

    /// Its own status set, over the trait's function.
    #[get("/legacy", unauthorized = [401, 403])]
    async fn legacy(&self) -> Result<String>;
}

/// An API that refuses a token with a 422, by a status set that leaves out 401.
#[freshtoken::client(unauthorized = [422])]
pub trait Unprocessable {
    /// The trait's set.
    #[get("/me")]
    async fn me(&self) -> Result<String>;

    /// Its own set, with 401 back in.
    #[get("/both", unauthorized = [401, 422])]
    async fn both(&self) -> Result<String>;
}

async fn server() -> MockServer {
    // httpmock (0.7 did) may spin in this poll on a spent coop budget; unconstrained, it does not.
    tokio::task::unconstrained(MockServer::start_async()).await
}

/// `path` refuses the first token with `status` and `body`, and answers the second with 200.
async fn refuse_first_token<'s>(
    server: &'s MockServer,
    path: &str,
    status: u16,
    body: &str,
) -> (httpmock::Mock<'s>, httpmock::Mock<'s>) {
    let refused = server
        .mock_async(|when, then| {
            when.method(GET)
                .path(path)
                .header("authorization", "Bearer access-1");
            then.status(status).body(body);
        })
        .await;
    let accepted = server
        .mock_async(|when, then| {
            when.method(GET)
                .path(path)
                .header("authorization", "Bearer access-2");
            then.status(200).body("alice");
        })
        .await;
    (refused, accepted)
}

#[tokio::test]
async fn a_422_the_function_calls_a_refusal_is_resent_once_with_a_new_token() {
    let server = server().await;
    let (refused, accepted) = refuse_first_token(&server, "/me", 422, BAD_SIGNATURE).await;
    let (source, cache) = open_cache();
    let client = FlaskClient::builder(server.base_url(), cache)
        .build()
        .expect("a valid base URL");

    let me = client.me().await.expect("the second token is accepted");

    assert_eq!(me, "alice");
    assert_eq!(refused.calls_async().await, 1);
    assert_eq!(accepted.calls_async().await, 1, "the new token was sent");
    assert_eq!(source.calls(), 2, "the refused token was replaced");
}

#[tokio::test]
async fn a_422_for_another_reason_is_returned_without_a_resend() {
    let server = server().await;
    let (refused, accepted) =
        refuse_first_token(&server, "/me", 422, r#"{"msg": "title: field required"}"#).await;
    let (source, cache) = open_cache();
    let client = FlaskClient::builder(server.base_url(), cache)
        .build()
        .expect("a valid base URL");

    let error = client.me().await.expect_err("a validation error");

    assert_eq!(error.status().map(|status| status.as_u16()), Some(422));
    assert_eq!(error.body(), Some(r#"{"msg": "title: field required"}"#));
    assert!(!error.is_unauthorized(), "is_unauthorized still means 401");
    assert_eq!(refused.calls_async().await, 1);
    assert_eq!(accepted.calls_async().await, 0);
    assert_eq!(source.calls(), 1, "the token was kept");
}

#[tokio::test]
async fn a_second_refusal_is_returned_as_the_status_error() {
    let server = server().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET).path("/me");
            then.status(422).body(BAD_SIGNATURE);
        })
        .await;
    let (source, cache) = open_cache();
    let client = FlaskClient::builder(server.base_url(), cache.clone())
        .build()
        .expect("a valid base URL");

    let error = client.me().await.expect_err("every token is refused");

    assert!(
        matches!(&error, Error::Status { status, body, .. } if status.as_u16() == 422 && body == BAD_SIGNATURE),
        "{error:?}"
    );
    assert_eq!(mock.calls_async().await, 2, "one request and one resend");
    assert_eq!(source.calls(), 2);
    assert!(
        cache.cached().is_none(),
        "the refused token is not served again"
    );
}

#[tokio::test]
async fn a_status_in_the_trait_s_set_is_resent_once_with_a_new_token() {
    let server = server().await;
    let (refused, accepted) = refuse_first_token(&server, "/me", 422, "").await;
    let (source, cache) = open_cache();
    let client = UnprocessableClient::builder(server.base_url(), cache)
        .build()
        .expect("a valid base URL");

    assert_eq!(client.me().await.expect("the second token"), "alice");
    assert_eq!(refused.calls_async().await, 1);
    assert_eq!(accepted.calls_async().await, 1);
    assert_eq!(source.calls(), 2);
}

#[tokio::test]
async fn a_401_left_out_of_the_set_is_returned_without_a_resend() {
    let server = server().await;
    let (refused, accepted) = refuse_first_token(&server, "/me", 401, "").await;
    let (source, cache) = open_cache();
    let client = UnprocessableClient::builder(server.base_url(), cache)
        .build()
        .expect("a valid base URL");

    let error = client.me().await.expect_err("a 401, not resent");

    assert!(error.is_unauthorized(), "{error}");
    assert_eq!(refused.calls_async().await, 1);
    assert_eq!(accepted.calls_async().await, 0);
    assert_eq!(source.calls(), 1);
}

#[tokio::test]
async fn a_method_s_set_overrides_the_trait_s_function() {
    let server = server().await;
    let (refused, accepted) = refuse_first_token(&server, "/legacy", 403, "").await;
    let (source, cache) = open_cache();
    let client = FlaskClient::builder(server.base_url(), cache)
        .build()
        .expect("a valid base URL");

    assert_eq!(client.legacy().await.expect("the second token"), "alice");
    assert_eq!(refused.calls_async().await, 1);
    assert_eq!(accepted.calls_async().await, 1);
    assert_eq!(source.calls(), 2);

    // The trait's function would call this a refusal; the method's set does not.
    let server = self::server().await;
    let (refused, _) = refuse_first_token(&server, "/legacy", 422, BAD_SIGNATURE).await;
    let (source, cache) = open_cache();
    let client = FlaskClient::builder(server.base_url(), cache)
        .build()
        .expect("a valid base URL");
    let error = client.legacy().await.expect_err("a 422 outside the set");
    assert_eq!(error.status().map(|status| status.as_u16()), Some(422));
    assert_eq!(refused.calls_async().await, 1);
    assert_eq!(source.calls(), 1);
}

#[tokio::test]
async fn a_method_s_set_overrides_the_trait_s_set() {
    let server = server().await;
    let (refused, accepted) = refuse_first_token(&server, "/both", 401, "").await;
    let (source, cache) = open_cache();
    let client = UnprocessableClient::builder(server.base_url(), cache)
        .build()
        .expect("a valid base URL");

    assert_eq!(client.both().await.expect("the second token"), "alice");
    assert_eq!(refused.calls_async().await, 1);
    assert_eq!(accepted.calls_async().await, 1);
    assert_eq!(source.calls(), 2);
}
