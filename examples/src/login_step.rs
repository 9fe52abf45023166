//! The demo's login step: a CLI's first login as `gh` or `gcloud` do it, against the reference
//! server: the endpoints found from the issuer's metadata, authorization code + PKCE with a
//! loopback redirect (the server consents automatically, and this code plays the browser),
//! a call with the token, a refresh with rotation through the cache, then a logout that
//! revokes the refresh token.

use std::time::Duration;

use freshtoken::TokenCache;
use freshtoken::oauth::{AuthorizationCodePkce, ClientAuth, Issuer, Url};

use crate::server::DEMO_PUBLIC_CLIENT_ID;

/// Runs the step against the reference server at `base_url`, saying what happens; the error
/// says which part did not behave as described.
///
/// # Errors
/// A description of the first part that failed.
pub async fn run(base_url: &str, say: &mut impl FnMut(&str)) -> Result<(), String> {
    let issuer = Issuer::new(base_url.parse().map_err(|error| format!("{error}"))?);
    let metadata = issuer.metadata().await.map_err(|error| error.to_string())?;
    let authorize = metadata
        .authorization_endpoint()
        .ok_or("the metadata names no authorization endpoint")?
        .clone();
    say(&format!(
        "discovered {} from the issuer's metadata",
        metadata.token_endpoint()
    ));

    let (urls, mut shown) = tokio::sync::mpsc::unbounded_channel::<Url>();
    let source = AuthorizationCodePkce::new(
        authorize,
        metadata.token_endpoint().clone(),
        ClientAuth::public(DEMO_PUBLIC_CLIENT_ID),
        move |url| {
            let _ = urls.send(url.clone());
        },
    )
    .scopes(["tasks"])
    .login_timeout(Duration::from_secs(10));
    let user = async {
        let url = shown.recv().await.ok_or("no authorize URL was shown")?;
        say(&format!(
            "open in a browser: {}…",
            &url.as_str()[..url.as_str().len().min(60)]
        ));
        crate::mcp_client::browser::consent(url).await?;
        Ok::<(), String>(())
    };
    let (token, consented) = tokio::join!(source.login(), user);
    consented?;
    let token = token.map_err(|error| error.to_string())?;
    say("logged in with PKCE through the loopback redirect");

    let cache = TokenCache::new(source);
    cache
        .save_token(token)
        .await
        .map_err(|error| error.to_string())?;
    let first = cache.token().await.map_err(|error| error.to_string())?;
    let status = reqwest::Client::new()
        .get(format!("{}/tasks", base_url.trim_end_matches('/')))
        .bearer_auth(first.access_token().expose_secret())
        .send()
        .await
        .map_err(|error| error.to_string())?
        .status();
    if !status.is_success() {
        return Err(format!("GET /tasks with the new token answered {status}"));
    }
    let renewed = cache.refresh().await.map_err(|error| error.to_string())?;
    let rotated = renewed
        .refresh_token()
        .map(|t| t.expose_secret().to_owned())
        != first.refresh_token().map(|t| t.expose_secret().to_owned());
    if !rotated {
        return Err("the refresh token did not rotate".to_owned());
    }
    say("called GET /tasks, then refreshed through the cache: the refresh token rotated");

    let revocation = issuer
        .revocation(ClientAuth::public(DEMO_PUBLIC_CLIENT_ID))
        .await
        .map_err(|error| error.to_string())?;
    revocation
        .log_out(&cache)
        .await
        .map_err(|error| error.to_string())?;
    say("logged out: the cache is empty and the server revoked the refresh token");
    Ok(())
}
