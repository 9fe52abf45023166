//! No secret of a token API reaches a log line or an error's text: passwords, secret login
//! fields, access and refresh tokens, cookie values, whether the flow succeeds or is
//! refused, and even when the server's refusal quotes the secret it was sent (some of the
//! shapes do, on purpose). The subscriber is this thread's, and the server runs on this
//! thread too.

use freshtoken::oauth::{BodyFormat, JsonLogin, JsonRefresh, RefreshTokenIn, TokenResponseFields};
use freshtoken::{AuthError, Token, TokenSource};

use super::{cache, start, url};
use crate::common::{Logs, Oauth};

const PASSWORD: &str = "wonderland";
const WRONG_PASSWORD: &str = "not-wonderland";
const CLIENT_SECRET: &str = "fastapi-client-secret-9f2c";
const ONE_TIME_CODE: &str = "keys-one-time-code-41d7";
const FORGED_REFRESH_TOKEN: &str = "forged-refresh-token-7b1e";

/// What a test saw: secrets to look for, and the text of every error and `Debug`.
#[derive(Default)]
struct Seen {
    secrets: Vec<String>,
    texts: Vec<String>,
}

impl Seen {
    fn token(&mut self, token: &Token) {
        self.secrets
            .push(token.access_token().expose_secret().to_owned());
        if let Some(refresh) = token.refresh_token() {
            self.secrets.push(refresh.expose_secret().to_owned());
        }
        self.texts.push(format!("{token:?}"));
    }

    fn error(&mut self, error: &AuthError) {
        self.texts.push(format!("{error} {error:?}"));
    }

    fn debug(&mut self, shown: &impl std::fmt::Debug) {
        self.texts.push(format!("{shown:?}"));
    }
}

/// A token holding only `refresh_token`, to refresh with.
fn holding(refresh_token: &str) -> Token {
    Token::builder("unused-access-token")
        .refresh_token(refresh_token)
        .build()
        .unwrap()
}

#[tokio::test]
async fn no_secret_of_a_token_api_is_logged_or_shown() {
    let (logs, _guard) = Logs::capture();
    let oauth = start().await;
    let mut seen = Seen {
        secrets: [
            PASSWORD,
            WRONG_PASSWORD,
            CLIENT_SECRET,
            ONE_TIME_CODE,
            FORGED_REFRESH_TOKEN,
        ]
        .map(str::to_owned)
        .to_vec(),
        ..Seen::default()
    };

    fastapi(&oauth, &mut seen).await;
    flask(&oauth, &mut seen).await;
    cookie(&oauth, &mut seen).await;
    keys(&oauth, &mut seen).await;
    refresh_only(&oauth, &mut seen).await;

    let refused = oauth.server.stats().token_apis;
    for (shape, stats) in [
        ("fastapi", refused.fastapi),
        ("flask", refused.flask),
        ("cookie", refused.cookie),
        ("keys", refused.keys),
        ("refresh-only", refused.refresh_only),
    ] {
        assert!(stats.refused >= 1, "{shape} refused nothing: {stats:?}");
    }
    // The refusals that quote what was sent are shown, with the secrets cut out.
    for quoted in [
        "bad refresh token [redacted]",
        "Invalid refresh token [redacted]",
        r#""otp":"[redacted]","secret":"[redacted]""#,
        "refused [redacted]",
    ] {
        assert!(
            seen.texts.iter().any(|text| text.contains(quoted)),
            "no error shows `{quoted}`: {:#?}",
            seen.texts
        );
    }
    let logs = logs.text();
    // The watch saw freshtoken and the server at work, not an empty log.
    assert!(logs.contains("token refreshed"), "nothing captured: {logs}");
    assert!(logs.contains("refresh token reused"), "{logs}");
    for secret in &seen.secrets {
        for text in std::iter::once(&logs).chain(&seen.texts) {
            assert!(
                !text.contains(secret.as_str()),
                "a secret leaked into: {text}"
            );
        }
    }
}

/// A form login with a secret field, a wrong password, and a replayed refresh token that
/// the server quotes in its refusal.
async fn fastapi(oauth: &Oauth, seen: &mut Seen) {
    let login = |password: &str| {
        JsonLogin::new(
            url(oauth, "/fastapi/token"),
            url(oauth, "/fastapi/refresh"),
            "alice",
            password,
        )
        .login_format(BodyFormat::Form)
        .login_secret_param("client_secret", CLIENT_SECRET)
    };
    seen.error(&login(WRONG_PASSWORD).fetch(None).await.unwrap_err());
    let source = login(PASSWORD);
    seen.debug(&source);
    let cache = cache(source.clone());
    let first = cache.token().await.unwrap();
    seen.token(&first);
    seen.token(&cache.refresh().await.unwrap());
    // The spent refresh token again: refused, quoted, and the session revoked.
    seen.error(&source.fetch(Some(&first)).await.unwrap_err());
    seen.error(&cache.refresh().await.unwrap_err());
    seen.debug(&cache);
}

/// A wrong password, a forged refresh token (422) and a revoked one (401).
async fn flask(oauth: &Oauth, seen: &mut Seen) {
    let login = |password: &str| {
        JsonLogin::new(
            url(oauth, "/flask/login"),
            url(oauth, "/flask/refresh"),
            "alice",
            password,
        )
        .refresh_token_in(RefreshTokenIn::BearerHeader)
    };
    seen.error(&login(WRONG_PASSWORD).fetch(None).await.unwrap_err());
    let source = login(PASSWORD);
    let first = source.fetch(None).await.unwrap();
    seen.token(&first);
    seen.token(&source.fetch(Some(&first)).await.unwrap());
    let forged = source.fetch(Some(&holding(FORGED_REFRESH_TOKEN))).await;
    seen.error(&forged.unwrap_err());
    oauth
        .http
        .post(format!("{}/admin/revoke-refresh/alice", oauth.base_url))
        .send()
        .await
        .unwrap();
    seen.error(&source.fetch(Some(&first)).await.unwrap_err());
}

/// A refresh token in a cookie, replayed after its rotation: the refusal quotes it.
async fn cookie(oauth: &Oauth, seen: &mut Seen) {
    let login = |password: &str| {
        JsonLogin::new(
            url(oauth, "/cookie/login"),
            url(oauth, "/cookie/refresh"),
            "alice",
            password,
        )
        .refresh_token_in(RefreshTokenIn::Cookie("refresh_token".into()))
        .response_fields(TokenResponseFields::default().access_token("accessToken"))
    };
    seen.error(&login(WRONG_PASSWORD).fetch(None).await.unwrap_err());
    let source = login(PASSWORD);
    let first = source.fetch(None).await.unwrap();
    seen.token(&first);
    seen.token(&source.fetch(Some(&first)).await.unwrap());
    seen.error(&source.fetch(Some(&first)).await.unwrap_err());
}

/// A key and secret login with a secret field of its own: the refusal quotes the whole
/// request.
async fn keys(oauth: &Oauth, seen: &mut Seen) {
    let login = |secret: &str| {
        JsonLogin::new(
            url(oauth, "/keys/auth"),
            url(oauth, "/keys/auth"),
            "alice",
            secret,
        )
        .username_field("key")
        .password_field("secret")
        .login_secret_param("otp", ONE_TIME_CODE)
        .response_fields(TokenResponseFields::default().access_token("/data/token"))
    };
    let refused = login(WRONG_PASSWORD);
    seen.debug(&refused);
    seen.error(&refused.fetch(None).await.unwrap_err());
    let cache = cache(login(PASSWORD));
    seen.token(&cache.token().await.unwrap());
    seen.token(&cache.refresh().await.unwrap());
}

/// A dashboard's refresh token, rotated, then replayed: the refusal quotes it.
async fn refresh_only(oauth: &Oauth, seen: &mut Seen) {
    let source = JsonRefresh::new(url(oauth, "/refresh-only/refresh"))
        .refresh_token_field("refresh")
        .response_fields(
            TokenResponseFields::default()
                .access_token("token")
                .refresh_token("refresh"),
        );
    let from_dashboard = oauth.server.issue_refresh_token("alice").unwrap();
    seen.secrets.push(from_dashboard.clone());
    let cache = cache(source.clone());
    cache.set_refresh_token(from_dashboard.clone());
    seen.token(&cache.token().await.unwrap());
    seen.error(
        &source
            .fetch(Some(&holding(&from_dashboard)))
            .await
            .unwrap_err(),
    );
    seen.error(&cache.refresh().await.unwrap_err());
    seen.debug(&cache);
}
