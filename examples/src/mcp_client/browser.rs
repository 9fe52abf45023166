//! The user's browser, for the examples and tests: the reference server consents at once,
//! so opening a login page is a GET of the authorize URL and of the redirect it answers.

// Input: the authorize URL a login shows the user.
// Output: what the user's browser would do with it at the reference server, whose consent
// is automatic: open the page and follow its redirect to the login's loopback listener.

use freshtoken::oauth::Url;

/// Opens `url` as a browser would, on a task of its own (a login's `show` callback must not
/// block); a failure is logged, and the login then times out, saying so.
pub fn open(url: &Url) {
    let url = url.clone();
    tokio::spawn(async move {
        if let Err(problem) = consent(url).await {
            tracing::warn!(%problem, "the stand-in browser could not complete the login");
        }
    });
}

/// Opens `url` and follows its redirect, waiting for both: what [`open`] does on its own task.
///
/// # Errors
/// What failed, when a request fails or the authorize endpoint does not redirect.
pub async fn consent(url: Url) -> Result<(), String> {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|error| error.to_string())?;
    let consent = http
        .get(url)
        .send()
        .await
        .map_err(|error| error.to_string())?;
    let redirect = consent
        .headers()
        .get("location")
        .and_then(|location| location.to_str().ok())
        .ok_or("the authorize endpoint did not redirect")?
        .to_owned();
    http.get(redirect)
        .send()
        .await
        .map_err(|error| error.to_string())?;
    Ok(())
}
