// Input: a device authorization endpoint, a token endpoint, and a way to show the user a code.
// Output: the first token of a device without a browser (a TV, an SSH session) by the device
// authorization grant (RFC 8628): a user code shown, the token endpoint polled at the
// server's interval until the user approves; later tokens from the refresh token.

use std::sync::Arc;
use std::time::Duration;

use reqwest::Url;
use serde_json::Value;
use tokio::time::Instant;
use zeroize::Zeroizing;

use super::builder_methods::{extra_fields, grant_methods, http_methods};
use crate::oauth::endpoint::client_auth::ClientAuth;
use crate::oauth::endpoint::endpoint_error::EndpointError;
use crate::oauth::endpoint::error_response::ErrorBody;
use crate::oauth::endpoint::exchange::{Answer, Http, post};
use crate::oauth::endpoint::redaction::Redactions;
use crate::oauth::endpoint::request_body::RequestBody;
use crate::oauth::endpoint::response_fields::TokenResponseFields;
use crate::oauth::endpoint::token_request::{read_answer, refusal};
use crate::oauth::endpoint::url::Endpoint;
use crate::{AuthError, Token, TokenSource};

/// RFC 8628 section 3.5: the interval when the server names none, and what `slow_down` adds.
const DEFAULT_INTERVAL: Duration = Duration::from_secs(5);
const SLOW_DOWN: Duration = Duration::from_secs(5);
const DEVICE_CODE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// What to show the user so they approve the login on another device.
#[derive(Debug, Clone)]
pub struct DeviceAuthorization {
    /// The code the user types at [`verification_uri`](Self::verification_uri).
    pub user_code: String,
    /// Where the user goes to approve.
    pub verification_uri: String,
    /// The same with the code filled in (for a QR code), if the server gives one.
    pub verification_uri_complete: Option<String>,
    /// How long the code is valid.
    pub expires_in: Duration,
}

/// Logs a user in with the device authorization grant (RFC 8628), then renews with the
/// refresh token.
///
/// [`login`](Self::login) asks the device authorization endpoint for a code, hands a
/// [`DeviceAuthorization`] to your callback (print the URL and the user code), and polls
/// the token endpoint at the server's interval: `authorization_pending` keeps polling,
/// `slow_down` adds 5 s to the interval, `access_denied` ends with
/// [`AuthErrorKind::Rejected`](crate::AuthErrorKind::Rejected) and `expired_token` (or the
/// code's lifetime passing) with
/// [`AuthErrorKind::ReauthenticationRequired`](crate::AuthErrorKind::ReauthenticationRequired),
/// each naming its code. Dropping the future cancels the login.
///
/// As a [`TokenSource`], a fetch with a refresh token renews it; one without logs in, which
/// takes as long as the user does, beyond the cache's
/// [`refresh_timeout`](crate::TokenCacheBuilder::refresh_timeout): log in first, as below.
///
/// ```no_run
/// use freshtoken::TokenCache;
/// use freshtoken::oauth::{ClientAuth, DeviceCodeGrant};
///
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// let source = DeviceCodeGrant::new(
///     "https://auth.example.com/oauth/device_authorization".parse()?,
///     "https://auth.example.com/oauth/token".parse()?,
///     ClientAuth::public("tasks-tv"),
///     |login| println!("Go to {} and enter {}", login.verification_uri, login.user_code),
/// );
/// let token = source.login().await?;
/// let cache = TokenCache::builder(source).build();
/// cache.save_token(token).await?;
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct DeviceCodeGrant {
    device: Endpoint,
    endpoint: Endpoint,
    client: ClientAuth,
    scope: Option<String>,
    params: Vec<(String, String)>,
    fields: TokenResponseFields,
    http: Http,
    show: Arc<dyn Fn(&DeviceAuthorization) + Send + Sync>,
}

impl std::fmt::Debug for DeviceCodeGrant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceCodeGrant")
            .field("device", &self.device)
            .field("endpoint", &self.endpoint)
            .field("client", &self.client)
            .finish_non_exhaustive()
    }
}

/// What one poll of the token endpoint said.
enum Poll {
    Token(Token),
    Pending,
    SlowDown,
    Failed(AuthError),
}

impl DeviceCodeGrant {
    /// A source that asks `device_authorization_url` for codes and `token_url` for tokens, as
    /// `client` (usually [`ClientAuth::public`]), handing what the user must see to `show`.
    ///
    /// # Panics
    /// Like `reqwest::Client::new`, if the HTTP client cannot be initialized; pass your own
    /// with [`http_client`](Self::http_client) to choose.
    #[must_use]
    pub fn new(
        device_authorization_url: Url,
        token_url: Url,
        client: ClientAuth,
        show: impl Fn(&DeviceAuthorization) + Send + Sync + 'static,
    ) -> Self {
        Self {
            device: Endpoint::new(device_authorization_url),
            endpoint: Endpoint::new(token_url),
            client,
            scope: None,
            params: Vec::new(),
            fields: TokenResponseFields::default(),
            http: Http::new(),
            show: Arc::new(show),
        }
    }

    /// Logs the user in: a code shown, then the token endpoint polled until approval.
    ///
    /// # Errors
    /// `access_denied`, `expired_token` and other refusals as described above; the errors of
    /// a token request when an endpoint cannot be reached or answers garbage.
    pub async fn login(&self) -> Result<Token, AuthError> {
        let (device_code, login, interval) = self.authorize().await?;
        (self.show)(&login);
        let deadline = Instant::now() + login.expires_in;
        poll_until(interval, deadline, &self.device, || self.poll(&device_code)).await
    }

    /// Asks for a device code: the code (secret), what to show, and the polling interval.
    async fn authorize(
        &self,
    ) -> Result<(Zeroizing<String>, DeviceAuthorization, Duration), AuthError> {
        let client = self.client.fields(&self.device)?;
        let mut form: Vec<(&str, &str)> = client.pairs();
        form.extend(extra_fields(self.scope.as_deref(), &self.params));
        let answer = post(
            &self.http,
            &self.device,
            RequestBody::form(&form),
            self.client.authorization()?,
        )
        .await?;
        if !answer.status.is_success() {
            let assertion: Vec<&str> = client.assertion().into_iter().collect();
            return Err(self.failure(&self.device, &answer, &assertion));
        }
        read_device_answer(&self.device, &answer)
    }

    async fn poll(&self, device_code: &str) -> Poll {
        let client = match self.client.fields(&self.endpoint) {
            Ok(client) => client,
            Err(error) => return Poll::Failed(error),
        };
        let mut form = vec![
            ("grant_type", DEVICE_CODE_GRANT),
            ("device_code", device_code),
        ];
        form.extend(client.pairs());
        let authorization = match self.client.authorization() {
            Ok(authorization) => authorization,
            Err(error) => return Poll::Failed(error),
        };
        let answer = match post(
            &self.http,
            &self.endpoint,
            RequestBody::form(&form),
            authorization,
        )
        .await
        {
            Ok(answer) => answer,
            Err(error) => return Poll::Failed(error),
        };
        let mut secrets = Redactions::new(&[device_code]);
        if let Some(assertion) = client.assertion() {
            secrets.add(assertion);
        }
        if answer.status.is_success() {
            return match read_answer(
                &self.endpoint,
                &answer,
                &self.fields,
                &secrets,
                self.client.judge(),
            ) {
                Ok(token) => Poll::Token(token),
                Err(error) => Poll::Failed(error),
            };
        }
        let code = ErrorBody::read(&answer.body, &secrets).code;
        match code.as_deref() {
            Some("authorization_pending") => Poll::Pending,
            Some("slow_down") => Poll::SlowDown,
            Some("access_denied") => Poll::Failed(AuthError::rejected(EndpointError::answered(
                &self.endpoint,
                answer.status,
                code.clone(),
                "access_denied: the user denied the login on the other device".to_owned(),
            ))),
            Some("expired_token") => Poll::Failed(expired(&self.endpoint, Some(answer.status))),
            _ => {
                let mut sent = vec![device_code];
                sent.extend(client.assertion());
                Poll::Failed(self.failure(&self.endpoint, &answer, &sent))
            }
        }
    }

    fn failure(&self, endpoint: &Endpoint, answer: &Answer, secrets: &[&str]) -> AuthError {
        let mut redactions = Redactions::new(secrets);
        self.client.add_secrets(&mut redactions);
        refusal(endpoint, answer, &redactions, self.client.judge())
    }
}

grant_methods!(DeviceCodeGrant);
http_methods!(DeviceCodeGrant);

impl TokenSource for DeviceCodeGrant {
    async fn fetch(&self, previous: Option<&Token>) -> Result<Token, AuthError> {
        match previous.and_then(Token::refresh_token) {
            Some(refresh_token) => self.form().refresh(refresh_token).await,
            None => self.login().await,
        }
    }
}

/// Polls with `ask` every `interval` (plus 5 s after each `slow_down`) until a token, an
/// error, or `deadline`.
async fn poll_until<F, Fut>(
    mut interval: Duration,
    deadline: Instant,
    device: &Endpoint,
    mut ask: F,
) -> Result<Token, AuthError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Poll>,
{
    loop {
        if Instant::now() + interval >= deadline {
            return Err(expired(device, None));
        }
        tokio::time::sleep(interval).await;
        match ask().await {
            Poll::Token(token) => return Ok(token),
            Poll::Pending => {}
            Poll::SlowDown => interval += SLOW_DOWN,
            Poll::Failed(error) => return Err(error),
        }
    }
}

fn expired(endpoint: &Endpoint, status: Option<http::StatusCode>) -> AuthError {
    let detail = "expired_token: the device code expired before the user approved the login; \
                  start a new login"
        .to_owned();
    AuthError::reauthenticate(match status {
        Some(status) => {
            EndpointError::answered(endpoint, status, Some("expired_token".to_owned()), detail)
        }
        None => EndpointError::unanswered(endpoint, detail),
    })
}

/// The device authorization answer (RFC 8628 section 3.2).
fn read_device_answer(
    endpoint: &Endpoint,
    answer: &Answer,
) -> Result<(Zeroizing<String>, DeviceAuthorization, Duration), AuthError> {
    let invalid = |what: &str| {
        AuthError::invalid_token(format!(
            "POST {} answered {}: {what}; expected a device authorization response",
            endpoint.name(),
            answer.status
        ))
    };
    let Ok(Value::Object(fields)) = serde_json::from_slice::<Value>(&answer.body) else {
        return Err(invalid(&format!(
            "not a JSON object ({})",
            answer.describe_body()
        )));
    };
    let text = |name: &str| fields.get(name).and_then(Value::as_str);
    let seconds = |name: &str| {
        fields
            .get(name)
            .and_then(Value::as_u64)
            .map(Duration::from_secs)
    };
    let device_code = text("device_code")
        .filter(|code| !code.is_empty())
        .ok_or_else(|| invalid("no `device_code`"))?;
    let login = DeviceAuthorization {
        user_code: text("user_code")
            .ok_or_else(|| invalid("no `user_code`"))?
            .to_owned(),
        // Some servers (Google's) say `verification_url`.
        verification_uri: text("verification_uri")
            .or_else(|| text("verification_url"))
            .ok_or_else(|| invalid("no `verification_uri`"))?
            .to_owned(),
        verification_uri_complete: text("verification_uri_complete").map(str::to_owned),
        expires_in: seconds("expires_in").ok_or_else(|| invalid("no `expires_in`"))?,
    };
    let interval = seconds("interval").unwrap_or(DEFAULT_INTERVAL);
    Ok((Zeroizing::new(device_code.to_owned()), login, interval))
}

#[cfg(test)]
mod tests {
    use std::collections::VecDeque;
    use std::sync::Mutex;

    use super::*;
    use crate::AuthErrorKind;

    fn device() -> Endpoint {
        Endpoint::new("https://auth.example/device".parse().unwrap())
    }

    /// Polls answered from `script`, recording when each came, on the paused clock.
    async fn run(script: Vec<Poll>, deadline: Duration) -> (Result<Token, AuthError>, Vec<u64>) {
        let start = Instant::now();
        let script = Mutex::new(VecDeque::from(script));
        let times = Mutex::new(Vec::new());
        let result = poll_until(Duration::from_secs(5), start + deadline, &device(), || {
            times
                .lock()
                .unwrap()
                .push((Instant::now() - start).as_secs());
            let next = script.lock().unwrap().pop_front().unwrap_or(Poll::Pending);
            async move { next }
        })
        .await;
        (result, times.into_inner().unwrap())
    }

    fn token() -> Token {
        Token::builder("at").build().unwrap()
    }

    #[tokio::test(start_paused = true)]
    async fn pending_keeps_polling_and_slow_down_adds_five_seconds() {
        let script = vec![
            Poll::Pending,
            Poll::SlowDown,
            Poll::Pending,
            Poll::Token(token()),
        ];
        let (result, times) = run(script, Duration::from_secs(600)).await;
        result.unwrap();
        assert_eq!(times, [5, 10, 20, 30]);
    }

    #[tokio::test(start_paused = true)]
    async fn the_code_lifetime_ends_the_polling_with_expired_token() {
        let (result, times) = run(Vec::new(), Duration::from_secs(22)).await;
        let error = result.unwrap_err();
        assert!(matches!(
            error.kind(),
            AuthErrorKind::ReauthenticationRequired { .. }
        ));
        assert!(error.to_string().contains("expired_token"), "{error}");
        assert_eq!(
            times,
            [5, 10, 15, 20],
            "no poll after the code expires at 22 s"
        );
    }
}
