//! A token endpoint that repeats what it received in its `error_description` (see
//! `freshtoken_tests::echo`): for every source that sends a secret, and every way the server
//! may spell it back (as sent, decoded, encoded again by another hand), no secret may reach
//! the error's `Display` or `Debug`, or any log line captured at TRACE (the cache logs the
//! failure at WARN, reqwest logs through `log`), in any of the spellings it travels in:
//! raw, form-urlencoded (upper or lowercase hex, `+` or `%20`), JSON-escaped (as sent, or
//! ASCII-only with `\uXXXX`), and the Basic credentials in base64 (standard or URL-safe, with
//! or without padding).
//!
//! The secrets differ in every spelling: `/`, `+` and `=` change under form-urlencoding and
//! base64, `"`, `\` and `é` under JSON, the space under both.

use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use freshtoken::oauth::{
    BodyFormat, ClientAuth, ClientCredentials, JsonLogin, JsonRefresh, RefreshTokenGrant,
    RefreshTokenIn,
};
use freshtoken::{AuthError, Token, TokenCache, TokenSource};
use freshtoken_tests::echo::{Echo, EchoServer, Spelling};
use freshtoken_tests::faults::SecretWatch;

const CLIENT_ID: &str = "my app";
const CLIENT_SECRET: &str = "q7/Zx+Lm9w==";
const REFRESH_TOKEN: &str = "1//0gAb+c=";
const USERNAME: &str = "alice@example.com";
const PASSWORD: &str = "pass\"word\\ é 42";
/// A secret field of a login API's own (a one-time code, an API secret).
const OTP: &str = "otp/+SECRET= 7";

const TOKEN_PATH: &str = "/oauth/token";
const LOGIN_PATH: &str = "/auth/login";
const REFRESH_PATH: &str = "/auth/refresh";

const SPELLINGS: [Spelling; 3] = [Spelling::Verbatim, Spelling::Decoded, Spelling::Reencoded];
const CODES: [&str; 2] = ["invalid_request", "invalid_grant"];

/// A token the cache holds, expired, with the refresh token the sources must send.
fn expired() -> Token {
    Token::builder("access-0")
        .expires_in(Duration::ZERO)
        .refresh_token(REFRESH_TOKEN)
        .build()
        .unwrap()
}

/// The error a cache over `source` gets on its first call.
async fn first_error<S: TokenSource>(source: S, token: Option<Token>) -> AuthError {
    let builder = TokenCache::builder(source);
    let cache = match token {
        Some(token) => builder.token(token),
        None => builder,
    }
    .build();
    let result: Result<Arc<Token>, AuthError> = cache.token().await;
    result.expect_err("the echo server refuses every request")
}

// ----- every spelling of the secrets -----

/// The `application/x-www-form-urlencoded` serializer (WHATWG URL standard).
fn form_urlencode(value: &str) -> String {
    let mut out = String::new();
    for byte in value.bytes() {
        match byte {
            b'*' | b'-' | b'.' | b'_' | b'0'..=b'9' | b'A'..=b'Z' | b'a'..=b'z' => {
                out.push(char::from(byte));
            }
            b' ' => out.push('+'),
            _ => {
                let _ = write!(out, "%{byte:02X}");
            }
        }
    }
    out
}

/// Lowercases the hex digits of every `%XX`.
fn lowercase_hex(encoded: &str) -> String {
    let mut out = String::new();
    let mut after_percent = 0;
    for c in encoded.chars() {
        if c == '%' {
            after_percent = 2;
            out.push(c);
        } else if after_percent > 0 {
            after_percent -= 1;
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// A JSON string's content: `"` and `\` escaped; ASCII-only with `\uXXXX` if `ascii`.
fn json_escape(value: &str, ascii: bool, upper: bool) -> String {
    let mut out = String::new();
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if ascii && !c.is_ascii() => {
                let mut units = [0; 2];
                for unit in c.encode_utf16(&mut units) {
                    if upper {
                        let _ = write!(out, "\\u{unit:04X}");
                    } else {
                        let _ = write!(out, "\\u{unit:04x}");
                    }
                }
            }
            c => out.push(c),
        }
    }
    out
}

/// Every spelling of `secret` that a request or an echo of it may carry.
fn spellings(secret: &str) -> Vec<String> {
    let form = form_urlencode(secret);
    let mut forms = vec![
        secret.to_owned(),
        form.clone(),
        form.replace('+', "%20"),
        lowercase_hex(&form),
        lowercase_hex(&form.replace('+', "%20")),
        json_escape(secret, false, false),
        json_escape(secret, true, false),
        json_escape(secret, true, true),
        json_escape(secret, true, false).replace('/', "\\/"),
    ];
    forms.sort();
    forms.dedup();
    forms
}

/// The Basic credentials in base64, as sent (each half form-urlencoded) and raw.
fn basic_spellings() -> Vec<String> {
    let sent = format!(
        "{}:{}",
        form_urlencode(CLIENT_ID),
        form_urlencode(CLIENT_SECRET)
    );
    let raw = format!("{CLIENT_ID}:{CLIENT_SECRET}");
    let mut forms = Vec::new();
    for pair in [sent, raw] {
        for engine in [STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD] {
            forms.push(engine.encode(&pair));
        }
    }
    forms
}

/// Every spelling of every secret of this file.
fn every_spelling() -> Vec<String> {
    let mut forms = basic_spellings();
    for secret in [CLIENT_SECRET, REFRESH_TOKEN, PASSWORD, OTP] {
        forms.extend(spellings(secret));
    }
    forms
}

/// Runs `fail` against an echo server for each spelling and error code, and asserts that the
/// server did echo a secret and that nothing shown or logged holds one.
async fn assert_no_echoed_secret<F, Fut>(path: &str, fail: F)
where
    F: Fn(reqwest::Url) -> Fut,
    Fut: Future<Output = AuthError>,
{
    let forms = every_spelling();
    let mut watch = SecretWatch::start();
    for spelling in SPELLINGS {
        for code in CODES {
            let server = EchoServer::start(Echo {
                status: 400,
                code,
                spelling,
            })
            .await;
            let error = fail(server.url(path)).await;
            watch.show_error(&error);

            let echoed = server.echoed().concat();
            assert!(
                forms.iter().any(|form| echoed.contains(form.as_str())),
                "{spelling:?}: the server echoed no secret, so this proves nothing: {echoed}"
            );
            let message = error.to_string();
            assert!(message.contains(code), "{spelling:?}: {message}");
            assert!(message.contains("[redacted]"), "{spelling:?}: {message}");
        }
    }
    let logs = watch.logs();
    assert!(logs.contains("token refresh failed"), "{logs}");
    watch.assert_none_of(&forms);
}

#[tokio::test]
async fn refresh_grant_with_basic_auth_shows_no_echoed_secret() {
    assert_no_echoed_secret(TOKEN_PATH, |url| {
        let source = RefreshTokenGrant::new(url, ClientAuth::basic(CLIENT_ID, CLIENT_SECRET));
        first_error(source, Some(expired()))
    })
    .await;
}

#[tokio::test]
async fn refresh_grant_with_body_auth_shows_no_echoed_secret() {
    assert_no_echoed_secret(TOKEN_PATH, |url| {
        let source = RefreshTokenGrant::new(url, ClientAuth::body(CLIENT_ID, CLIENT_SECRET));
        first_error(source, Some(expired()))
    })
    .await;
}

#[tokio::test]
async fn client_credentials_with_basic_auth_shows_no_echoed_secret() {
    assert_no_echoed_secret(TOKEN_PATH, |url| {
        let source = ClientCredentials::new(url, ClientAuth::basic(CLIENT_ID, CLIENT_SECRET));
        first_error(source, None)
    })
    .await;
}

#[tokio::test]
async fn client_credentials_with_body_auth_shows_no_echoed_secret() {
    assert_no_echoed_secret(TOKEN_PATH, |url| {
        let source = ClientCredentials::new(url, ClientAuth::body(CLIENT_ID, CLIENT_SECRET));
        first_error(source, None)
    })
    .await;
}

#[tokio::test]
async fn password_login_shows_no_echoed_password() {
    assert_no_echoed_secret(LOGIN_PATH, |url| {
        let refresh = url.join(REFRESH_PATH).unwrap();
        first_error(JsonLogin::new(url, refresh, USERNAME, PASSWORD), None)
    })
    .await;
}

#[tokio::test]
async fn password_login_refresh_shows_no_echoed_refresh_token() {
    assert_no_echoed_secret(REFRESH_PATH, |url| {
        let login = url.join(LOGIN_PATH).unwrap();
        let source = JsonLogin::new(login, url, USERNAME, PASSWORD);
        first_error(source, Some(expired()))
    })
    .await;
}

#[tokio::test]
async fn a_form_login_with_a_secret_field_shows_neither_echoed() {
    assert_no_echoed_secret(LOGIN_PATH, |url| {
        let refresh = url.join(REFRESH_PATH).unwrap();
        let source = JsonLogin::new(url, refresh, USERNAME, PASSWORD)
            .login_format(BodyFormat::Form)
            .login_secret_param("otp", OTP);
        first_error(source, None)
    })
    .await;
}

#[tokio::test]
async fn a_refresh_token_sent_as_bearer_is_not_shown_when_echoed() {
    assert_no_echoed_secret(REFRESH_PATH, |url| {
        let login = url.join(LOGIN_PATH).unwrap();
        let source = JsonLogin::new(login, url, USERNAME, PASSWORD)
            .refresh_token_in(RefreshTokenIn::BearerHeader);
        first_error(source, Some(expired()))
    })
    .await;
}

#[tokio::test]
async fn a_refresh_only_api_shows_no_echoed_refresh_token_or_secret_field() {
    assert_no_echoed_secret(REFRESH_PATH, |url| {
        let source = JsonRefresh::new(url)
            .refresh_token_field("refresh")
            .refresh_format(BodyFormat::Form)
            .refresh_secret_param("otp", OTP);
        first_error(source, Some(expired()))
    })
    .await;
}
