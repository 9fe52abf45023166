// The base URL: its path prefix joins the template with one slash; anything that is not a
// plain absolute http(s) URL is refused when the client is built, without showing secrets.

use super::server::{Reply, Server};
use super::{TestClient, call, no_args, plain};
use crate::client::__macro::AsUnit;
use crate::client::{BuildError, Builder, NoAuth};

fn build_error(builder: Builder<TestClient<NoAuth>>) -> BuildError {
    match builder.build() {
        Ok(_) => panic!("the builder should refuse"),
        Err(error) => error,
    }
}

fn base_url_error(url: &str) -> BuildError {
    build_error(Builder::without_auth(url))
}

async fn target_under(base_path: &str) -> String {
    let server = Server::start([Reply::status(204)]).await;
    let client = Builder::<TestClient<NoAuth>>::without_auth(server.url(base_path))
        .build()
        .expect("a valid base URL");
    call(&client, plain(), no_args, AsUnit)
        .await
        .expect("the call succeeds");
    server.only_request().target
}

#[tokio::test]
async fn a_path_prefix_joins_with_exactly_one_slash() {
    assert_eq!(target_under("/v2").await, "/v2/items");
    assert_eq!(target_under("/v2/").await, "/v2/items");
    assert_eq!(target_under("/api/v2//").await, "/api/v2/items");
}

#[tokio::test]
async fn a_base_url_without_a_path_puts_the_template_at_the_root() {
    assert_eq!(target_under("").await, "/items");
    assert_eq!(target_under("/").await, "/items");
}

#[test]
fn a_relative_url_is_refused_with_an_example() {
    let error = base_url_error("/v2");
    assert!(
        matches!(error, BuildError::InvalidBaseUrl { .. }),
        "{error:?}"
    );
    assert!(error.to_string().contains("absolute URL"), "{error}");
}

#[test]
fn a_scheme_other_than_http_is_refused() {
    let error = base_url_error("ftp://127.0.0.1/files");
    assert!(
        matches!(error, BuildError::InvalidBaseUrl { .. }),
        "{error:?}"
    );
    assert!(error.to_string().contains("`http` or `https`"), "{error}");
}

#[test]
fn credentials_are_refused_without_showing_the_password() {
    for url in [
        "http://user:pa55word@127.0.0.1/v2",
        "https://pa55word@127.0.0.1/v2",
        // Unparseable: the password must not show either.
        "http://user:pa55word@127.0.0.1:notaport/v2",
    ] {
        let error = base_url_error(url);
        assert!(
            matches!(error, BuildError::InvalidBaseUrl { .. }),
            "{error:?}"
        );
        let text = format!("{error} {error:?}");
        assert!(!text.contains("pa55word"), "{text}");
    }
}

#[test]
fn a_query_or_fragment_is_refused() {
    for url in ["http://127.0.0.1/v2?key=1", "http://127.0.0.1/v2#top"] {
        let error = base_url_error(url);
        assert!(
            matches!(error, BuildError::InvalidBaseUrl { .. }),
            "{error:?}"
        );
        assert!(error.to_string().contains("`#[query]`"), "{error}");
    }
}

#[test]
fn a_bad_default_header_is_refused_without_showing_its_value() {
    let error = build_error(
        Builder::without_auth("http://127.0.0.1").default_header("x-key", "sek\nret-value"),
    );
    assert!(
        matches!(&error, BuildError::InvalidHeader { name, .. } if name == "x-key"),
        "{error:?}"
    );
    assert!(!format!("{error} {error:?}").contains("ret-value"));

    let error = build_error(Builder::without_auth("http://127.0.0.1").default_header("x key", "v"));
    assert!(
        matches!(error, BuildError::InvalidHeader { .. }),
        "{error:?}"
    );
}
