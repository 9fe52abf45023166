// Input: a `client_id` at `/oauth/authorize` or `/oauth/token` that is an `http(s)` URL.
// Output: the client its Client ID Metadata Document describes, fetched once and kept in
// the client registry; or why it cannot be used, as a fixed text.

use std::time::Duration;

use reqwest::Url;
use serde::Deserialize;

use super::authorize::is_loopback;
use super::oauth_clients::OAuthClient;
use super::state::Shared;

/// A metadata document is a few hundred bytes; more is not one.
const MAX_DOCUMENT: usize = 64 * 1024;
/// The fetch happens while a user waits at the authorization endpoint.
const FETCH_TIMEOUT: Duration = Duration::from_secs(5);

/// The members of the document this server acts on.
#[derive(Deserialize)]
struct Document {
    client_id: String,
    redirect_uris: Vec<String>,
    #[serde(default)]
    token_endpoint_auth_method: Option<String>,
    #[serde(default)]
    client_name: Option<String>,
}

/// Makes `client_id` known to the registry if it is a document URL not fetched yet. A
/// `client_id` that is no `http(s)` URL is left to the registry.
pub(crate) async fn resolve(state: &Shared, client_id: &str) -> Result<(), &'static str> {
    if !(client_id.starts_with("https://") || client_id.starts_with("http://"))
        || state.clients.find(client_id).is_some()
    {
        return Ok(());
    }
    let url = document_url(client_id)?;
    state.counters.client_metadata_document_fetched();
    let document = fetch(url).await?;
    if document.client_id != client_id {
        return Err("the client metadata document's client_id is not the URL it was fetched from");
    }
    if document
        .token_endpoint_auth_method
        .as_deref()
        .is_some_and(|method| method != "none")
    {
        return Err(
            "the client metadata document's token_endpoint_auth_method must be none: this \
             server takes no keys from documents",
        );
    }
    if document.redirect_uris.is_empty() {
        return Err("the client metadata document lists no redirect_uris");
    }
    tracing::info!(
        client = ?client_id,
        // Debug-quoted: the name is the document's text, and could hold a line break.
        name = ?document.client_name,
        "client metadata document fetched"
    );
    state.clients.add(OAuthClient {
        redirect_uris: document.redirect_uris,
        loopback_redirects: false,
        ..OAuthClient::public(client_id)
    });
    Ok(())
}

/// The URL of a document this server fetches: `https`, or `http` to 127.0.0.1 only (this
/// server is for tests on one host), with a path and no fragment or user info.
fn document_url(client_id: &str) -> Result<Url, &'static str> {
    // The URL parser drops tabs and line breaks: a client id with any would name another
    // text than the URL fetched.
    if client_id.chars().any(char::is_control) {
        return Err("a client_id URL must not hold control characters");
    }
    let url = Url::parse(client_id).map_err(|_| "the client_id URL does not parse")?;
    let allowed = url.scheme() == "https" || is_loopback(&url);
    if !allowed || url.path() == "/" || url.fragment().is_some() || !url.username().is_empty() {
        return Err(
            "a client_id URL must be https (or http://127.0.0.1 on this test server), with a \
             path and without fragment or user info",
        );
    }
    Ok(url)
}

async fn fetch(url: Url) -> Result<Document, &'static str> {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(FETCH_TIMEOUT)
        .build()
        .map_err(|_| "the server could not make an HTTP client")?;
    let unreachable = "the client metadata document could not be fetched";
    let mut response = http.get(url).send().await.map_err(|_| unreachable)?;
    if !response.status().is_success() {
        return Err("the client metadata document's URL did not answer 200");
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|_| unreachable)? {
        if body.len() + chunk.len() > MAX_DOCUMENT {
            return Err("the client metadata document is larger than 64 KiB");
        }
        body.extend_from_slice(&chunk);
    }
    serde_json::from_slice(&body).map_err(
        |_| "the client metadata document is not a JSON object with client_id and redirect_uris",
    )
}
