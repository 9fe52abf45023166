// Query parameters: scalars, options, sequences and flattened structs, form-urlencoded.

use serde::Serialize;

use super::server::{Reply, Server};
use super::{call, client, invalid_param, plain};
use crate::client::__macro::{AsUnit, Request};
use crate::client::{Error, QueryValue};

async fn target_with(
    build: impl Fn(&mut Request) -> Result<(), Error> + Send + Sync,
) -> Result<String, Error> {
    let server = Server::start([Reply::status(204)]).await;
    let client = client(&server);
    call(&client, plain(), build, AsUnit).await?;
    Ok(server.only_request().target)
}

#[derive(Serialize)]
struct Filter {
    state: &'static str,
    owner: Option<&'static str>,
    limit: u32,
}

// Wrongly: the attribute refuses a struct at compile time, but a type's own `QueryValue`
// impl can claim one, and the call must then still fail with a clear error.
impl QueryValue for Filter {}

#[tokio::test]
async fn scalars_are_form_urlencoded_in_order() {
    let target = target_with(|request| {
        request.query("q", "a b&c=d/é")?;
        request.query("page", &2)?;
        request.query("done", &true)?;
        request.query("ratio", &0.5)
    })
    .await
    .expect("the call succeeds");
    assert_eq!(
        target,
        "/items?q=a+b%26c%3Dd%2F%C3%A9&page=2&done=true&ratio=0.5"
    );
}

#[tokio::test]
async fn none_adds_nothing_and_no_query_leaves_no_question_mark() {
    let target = target_with(|request| request.query("page", &None::<u32>))
        .await
        .expect("the call succeeds");
    assert_eq!(target, "/items");

    let target = target_with(|request| {
        request.query("page", &None::<u32>)?;
        request.query("size", &Some(10))
    })
    .await
    .expect("the call succeeds");
    assert_eq!(target, "/items?size=10");
}

#[tokio::test]
async fn a_sequence_repeats_the_name() {
    let target = target_with(|request| request.query("tag", &vec!["a", "b c"]))
        .await
        .expect("the call succeeds");
    assert_eq!(target, "/items?tag=a&tag=b+c");

    let target = target_with(|request| request.query("tag", &Vec::<String>::new()))
        .await
        .expect("the call succeeds");
    assert_eq!(target, "/items");
}

#[tokio::test]
async fn a_flattened_struct_adds_its_fields_and_omits_none() {
    let target = target_with(|request| {
        request.query_flatten(
            "filter",
            &Filter {
                state: "open",
                owner: None,
                limit: 5,
            },
        )?;
        request.query("page", &1)
    })
    .await
    .expect("the call succeeds");
    assert_eq!(target, "/items?state=open&limit=5&page=1");
}

#[tokio::test]
async fn a_struct_given_as_a_scalar_is_refused_naming_the_parameter() {
    let error = target_with(|request| {
        request.query(
            "filter",
            &Filter {
                state: "secret-state",
                owner: None,
                limit: 5,
            },
        )
    })
    .await
    .expect_err("a struct is not a scalar");
    assert_eq!(invalid_param(&error), "filter");
    let message = error.to_string();
    assert!(message.contains("#[query(flatten)]"), "{message}");
    assert!(!message.contains("secret-state"), "{message}");
}

#[tokio::test]
async fn a_scalar_given_to_flatten_is_refused_naming_the_parameter() {
    let error = target_with(|request| request.query_flatten("filter", &5))
        .await
        .expect_err("a number is not a struct");
    assert_eq!(invalid_param(&error), "filter");
}
