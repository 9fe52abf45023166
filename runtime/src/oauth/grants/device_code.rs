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

use super::builder_methods::{dpop_method, extra_fields, grant_methods, http_methods, scope_of};
use super::resource_indicator::{self, RESOURCE};
use super::screen_text::{http_url, without_controls};
use crate::oauth::endpoint::client_auth::{ClientAuth, ClientFields};
use crate::oauth::endpoint::endpoint_error::EndpointError;
use crate::oauth::endpoint::error_response::ErrorBody;
use crate::oauth::endpoint::exchange::{Answer, Http, post};
use crate::oauth::endpoint::redaction::Redactions;
use crate::oauth::endpoint::request_body::RequestBody;
use crate::oauth::endpoint::response_fields::TokenResponseFields;
use crate::oauth::endpoint::token_request::{
    Rebuild, Rebuilt, post_token_request, read_answer, refusal,
};
use crate::oauth::endpoint::url::Endpoint;
use crate::{AuthError, Token, TokenSource};

/// RFC 8628 section 3.5: the interval when the server names none, and what `slow_down` adds.
/// It is also the shortest kept: a server asking for less (`interval: 0`) would be polled
/// as fast as answers come.
const MIN_INTERVAL: Duration = Duration::from_secs(5);
const SLOW_DOWN: Duration = Duration::from_secs(5);
/// The longest wait between polls: an approved user waits at most this long for the login
/// to finish, whatever the server asks (`slow_down` included).
const MAX_INTERVAL: Duration = Duration::from_secs(5 * 60);
/// The longest a device code is polled for: the lifetime of RFC 8628's example and of
/// Google's codes (GitHub's and Microsoft's last 15 minutes). A user who has not approved in
/// half an hour has walked away, and a longer lifetime only keeps a dead login polling.
const MAX_LIFETIME: Duration = Duration::from_secs(30 * 60);
const DEVICE_CODE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// What to show the user so they approve the login on another device.
///
/// Safe to print to a terminal as it is: control characters (escape sequences, C1 codes)
/// and bidirectional overrides the server sent are taken out of the user code, and the
/// URLs are http(s) URLs with anything unprintable percent-encoded.
#[derive(Debug, Clone)]
pub struct DeviceAuthorization {
    /// The code the user types at [`verification_uri`](Self::verification_uri).
    pub user_code: String,
    /// Where the user goes to approve: an `http` or `https` URL.
    pub verification_uri: String,
    /// The same with the code filled in (for a QR code), if the server gives one as an
    /// `http` or `https` URL.
    pub verification_uri_complete: Option<String>,
    /// How long the code is valid, and the login polls: the server's `expires_in`, at most
    /// 30 minutes.
    pub expires_in: Duration,
}

/// Logs a user in with the device authorization grant (RFC 8628), then renews with the
/// refresh token.
///
/// [`login`](Self::login) asks the device authorization endpoint for a code, hands a
/// [`DeviceAuthorization`] to your callback (print the URL and the user code), and polls
/// the token endpoint at the server's interval (at least 5 s, RFC 8628's default, and at
/// most 5 minutes): `authorization_pending` keeps polling, `slow_down` adds 5 s to the
/// interval, `access_denied` ends with
/// [`AuthErrorKind::Rejected`](crate::AuthErrorKind::Rejected) and `expired_token` with
/// [`AuthErrorKind::ReauthenticationRequired`](crate::AuthErrorKind::ReauthenticationRequired),
/// each naming its code. Polling goes on until the code's lifetime (at most 30 minutes) has
/// passed, the last poll at or just before its end; then the login ends with
/// [`AuthErrorKind::ReauthenticationRequired`](crate::AuthErrorKind::ReauthenticationRequired)
/// saying that the code expired locally without approval. Dropping the future cancels the
/// login.
///
/// As a [`TokenSource`], a fetch with a refresh token renews it; one without logs in, which
/// takes as long as the user does: a cache over this source lets a fetch run as long as a
/// device code may be polled (at most 30 minutes), beyond its
/// [`refresh_timeout`](crate::TokenCacheBuilder::refresh_timeout). Logging in first, as
/// below, chooses when the code is shown.
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
    on_poll: Option<Arc<dyn Fn(Duration) + Send + Sync>>,
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
            on_poll: None,
        }
    }

    /// Calls `progress` after each poll that finds the login still waiting for the user
    /// (`authorization_pending` or `slow_down`), with the time left before the code expires:
    /// for a countdown or a spinner while [`login`](Self::login) waits. It runs on the task
    /// that polls, so it must return quickly.
    ///
    /// ```
    /// use freshtoken::oauth::{ClientAuth, DeviceCodeGrant};
    ///
    /// let source = DeviceCodeGrant::new(
    ///     "https://auth.example.com/oauth/device_authorization".parse().unwrap(),
    ///     "https://auth.example.com/oauth/token".parse().unwrap(),
    ///     ClientAuth::public("tasks-tv"),
    ///     |login| println!("Go to {} and enter {}", login.verification_uri, login.user_code),
    /// )
    /// .on_poll(|left| eprint!("\rwaiting for approval, {} s left ", left.as_secs()));
    /// # let _ = source;
    /// ```
    #[must_use]
    pub fn on_poll(mut self, progress: impl Fn(Duration) + Send + Sync + 'static) -> Self {
        self.on_poll = Some(Arc::new(progress));
        self
    }

    /// Logs the user in: a code shown, then the token endpoint polled until approval.
    ///
    /// # Errors
    /// `access_denied`, `expired_token` and other refusals as described above; the errors of
    /// a token request when an endpoint cannot be reached or answers garbage.
    pub async fn login(&self) -> Result<Token, AuthError> {
        self.login_with_scope(self.scope.as_deref()).await
    }

    /// [`login`](Self::login), asking for `scope` instead of the source's own.
    async fn login_with_scope(&self, scope: Option<&str>) -> Result<Token, AuthError> {
        let resource = resource_indicator::checked(&self.params)?;
        let (device_code, login, interval) = self.authorize(scope).await?;
        (self.show)(&login);
        let progress = |left| {
            if let Some(on_poll) = &self.on_poll {
                on_poll(left);
            }
        };
        let mut token = poll_until(interval, login.expires_in, progress, || {
            self.poll(&device_code)
        })
        .await?;
        token.set_resource(resource);
        Ok(token)
    }

    /// Asks for a device code: the code (secret), what to show, and the polling interval.
    async fn authorize(
        &self,
        scope: Option<&str>,
    ) -> Result<(Zeroizing<String>, DeviceAuthorization, Duration), AuthError> {
        let client = self.client.fields(&self.device)?;
        let mut form: Vec<(&str, &str)> = client.pairs();
        form.extend(extra_fields(scope, &self.params));
        let answer = post(
            &self.http,
            &self.device,
            RequestBody::form(&form),
            self.client.authorization()?,
            None,
        )
        .await?;
        if !answer.status.is_success() {
            let assertion: Vec<&str> = client.assertion().into_iter().collect();
            return Err(self.failure(&self.device, &answer, &assertion));
        }
        read_device_answer(&self.device, &answer)
    }

    /// One poll of the token endpoint, with the resource indicators the login is for
    /// (RFC 8707 section 2 sends them on the token request too).
    async fn poll(&self, device_code: &str) -> Poll {
        let body_with = |client: &ClientFields<'_>| {
            let mut form = vec![
                ("grant_type", DEVICE_CODE_GRANT),
                ("device_code", device_code),
            ];
            form.extend(client.pairs());
            form.extend(
                self.params
                    .iter()
                    .filter(|(name, _)| name == RESOURCE)
                    .map(|(name, value)| (name.as_str(), value.as_str())),
            );
            RequestBody::form(&form)
        };
        let client = match self.client.fields(&self.endpoint) {
            Ok(client) => client,
            Err(error) => return Poll::Failed(error),
        };
        // A resend signs a new client assertion: the first may have been spent.
        let rebuild = || -> Result<Rebuilt, AuthError> {
            let client = self.client.fields(&self.endpoint)?;
            Ok((body_with(&client), client.into_assertion()))
        };
        let rebuild: Option<&Rebuild<'_>> = client.assertion().map(|_| &rebuild as &Rebuild<'_>);
        let credential = match self.client.authorization() {
            Ok(credential) => credential,
            Err(error) => return Poll::Failed(error),
        };
        let mut secrets = Redactions::new(&[device_code]);
        self.client.add_secrets(&mut secrets);
        if let Some(assertion) = client.assertion() {
            secrets.add(assertion);
        }
        let answer = match post_token_request(
            &self.http,
            &self.endpoint,
            body_with(&client),
            credential,
            &mut secrets,
            rebuild,
        )
        .await
        {
            Ok(answer) => answer,
            Err(error) => return Poll::Failed(error),
        };
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
                "access_denied: the user denied the login on the other device; start a new \
                 login if that was a mistake"
                    .to_owned(),
            ))),
            Some("expired_token") => Poll::Failed(expired(&self.endpoint, answer.status)),
            // `secrets` holds a resend's new client assertion too.
            _ => Poll::Failed(refusal(
                &self.endpoint,
                &answer,
                &secrets,
                self.client.judge(),
            )),
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
dpop_method!(DeviceCodeGrant);

impl TokenSource for DeviceCodeGrant {
    fn grant_type(&self) -> &'static str {
        "device_code"
    }

    /// The longest a device code may be polled, and the request that starts it: a cache
    /// lets a login run that long.
    fn fetch_timeout(&self) -> Option<Duration> {
        Some(MAX_LIFETIME.saturating_add(self.http.timeout))
    }

    async fn fetch(&self, previous: Option<&Token>) -> Result<Token, AuthError> {
        if let Some(refresh_token) = super::form_grant::refreshable(previous) {
            return self.form().refresh(refresh_token).await;
        }
        super::interactive_login_starts("DeviceCodeGrant");
        self.login().await
    }

    /// Without `previous` (a step-up), a login asking for exactly `scopes`; with a refresh
    /// token, a refresh sending the same `scopes`, so the widened grant is kept.
    async fn fetch_with_scopes(
        &self,
        previous: Option<&Token>,
        scopes: &[String],
    ) -> Result<Token, AuthError> {
        let scope = scope_of(scopes);
        if let Some(refresh_token) = super::form_grant::refreshable(previous) {
            return self
                .form()
                .with_scope(scope.as_deref())
                .refresh(refresh_token)
                .await;
        }
        super::interactive_login_starts("DeviceCodeGrant");
        self.login_with_scope(scope.as_deref()).await
    }
}

/// Polls with `ask` every `interval` (plus 5 s after each `slow_down`, within 5 s and 5
/// minutes) until a token, an error, or the end of the code's `lifetime` (at most 30
/// minutes): a poll is made whenever it falls at or before that end. After each poll that
/// finds the login pending, `progress` gets the time left.
async fn poll_until<P, F, Fut>(
    interval: Duration,
    lifetime: Duration,
    mut progress: P,
    mut ask: F,
) -> Result<Token, AuthError>
where
    P: FnMut(Duration),
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Poll>,
{
    let mut interval = interval.clamp(MIN_INTERVAL, MAX_INTERVAL);
    let lifetime = lifetime.min(MAX_LIFETIME);
    let start = Instant::now();
    let deadline = start.checked_add(lifetime);
    loop {
        let next = Instant::now().checked_add(interval);
        match (next, deadline) {
            (Some(next), Some(deadline)) if next <= deadline => {
                tokio::time::sleep_until(next).await;
            }
            _ => return Err(expired_locally(lifetime)),
        }
        match ask().await {
            Poll::Token(token) => return Ok(token),
            Poll::Pending => {}
            Poll::SlowDown => interval = (interval + SLOW_DOWN).min(MAX_INTERVAL),
            Poll::Failed(error) => return Err(error),
        }
        if let Some(deadline) = deadline {
            progress(deadline.saturating_duration_since(Instant::now()));
        }
    }
}

/// The server answered `expired_token`.
fn expired(endpoint: &Endpoint, status: http::StatusCode) -> AuthError {
    AuthError::reauthenticate(EndpointError::answered(
        endpoint,
        status,
        Some("expired_token".to_owned()),
        "expired_token: the device code expired before the user approved the login; start a \
         new login"
            .to_owned(),
    ))
}

/// The code's lifetime ran out here without a token or a refusal from the server.
fn expired_locally(lifetime: Duration) -> AuthError {
    AuthError::reauthenticate(format!(
        "the device code expired locally after {} s without approval (the lifetime the \
         device authorization endpoint gave it, at most 30 minutes); start a new login and \
         approve it on the other device in time",
        lifetime.as_secs()
    ))
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
    let user_code = text("user_code")
        .map(without_controls)
        .filter(|code| !code.is_empty())
        .ok_or_else(|| invalid("no `user_code`"))?;
    // Some servers (Google's) say `verification_url`.
    let verification_uri = text("verification_uri")
        .or_else(|| text("verification_url"))
        .ok_or_else(|| invalid("no `verification_uri`"))?;
    let verification_uri = http_url(verification_uri).map_err(|what| {
        invalid(&format!(
            "`verification_uri` is {what}; the user must be sent to an http(s) page"
        ))
    })?;
    // Only a convenience: without it the user types the code at `verification_uri`.
    let verification_uri_complete =
        text("verification_uri_complete").and_then(|uri| match http_url(uri) {
            Ok(uri) => Some(uri),
            Err(what) => {
                tracing::warn!(
                    target: "freshtoken",
                    endpoint = endpoint.name(),
                    "the device authorization's `verification_uri_complete` is {what}; it is \
                     left out"
                );
                None
            }
        });
    let login = DeviceAuthorization {
        user_code,
        verification_uri,
        verification_uri_complete,
        expires_in: seconds("expires_in")
            .ok_or_else(|| invalid("no `expires_in`"))?
            .min(MAX_LIFETIME),
    };
    let interval = seconds("interval")
        .unwrap_or(MIN_INTERVAL)
        .clamp(MIN_INTERVAL, MAX_INTERVAL);
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
    async fn run(script: Vec<Poll>, lifetime: Duration) -> (Result<Token, AuthError>, Vec<u64>) {
        run_every(Duration::from_secs(5), script, lifetime).await
    }

    /// The same, polling every `interval`.
    async fn run_every(
        interval: Duration,
        script: Vec<Poll>,
        lifetime: Duration,
    ) -> (Result<Token, AuthError>, Vec<u64>) {
        let start = Instant::now();
        let script = Mutex::new(VecDeque::from(script));
        let times = Mutex::new(Vec::new());
        let result = poll_until(
            interval,
            lifetime,
            |_| {},
            || {
                times
                    .lock()
                    .unwrap()
                    .push((Instant::now() - start).as_secs());
                let next = script.lock().unwrap().pop_front().unwrap_or(Poll::Pending);
                async move { next }
            },
        )
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
    async fn each_poll_that_finds_the_login_pending_reports_the_time_left() {
        let left = Mutex::new(Vec::new());
        let mut script = VecDeque::from([Poll::Pending, Poll::SlowDown, Poll::Token(token())]);
        let result = poll_until(
            Duration::from_secs(5),
            Duration::from_secs(600),
            |remaining| left.lock().unwrap().push(remaining.as_secs()),
            || {
                let next = script.pop_front().unwrap_or(Poll::Pending);
                async move { next }
            },
        )
        .await;
        result.unwrap();
        assert_eq!(
            left.into_inner().unwrap(),
            [595, 590],
            "after the pending poll at 5 s and the slow_down at 10 s, not after the token"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn polling_goes_on_until_the_code_expires_with_the_last_poll_at_its_expiry() {
        let (result, times) = run(Vec::new(), Duration::from_secs(20)).await;
        assert!(result.is_err());
        assert_eq!(times, [5, 10, 15, 20], "a poll at 20 s is still in time");
    }

    #[tokio::test(start_paused = true)]
    async fn a_code_that_expires_locally_says_so_and_after_how_long() {
        let (result, _) = run(Vec::new(), Duration::from_secs(22)).await;
        let error = result.unwrap_err();
        assert!(error.needs_reauthentication(), "{error}");
        let message = error.to_string();
        assert!(
            message.contains("expired locally after 22 s without approval"),
            "{message}"
        );
        assert!(
            !message.contains("expired_token"),
            "the server did not answer `expired_token`: {message}"
        );
    }

    fn device_answer(fields: &str) -> Answer {
        let body = format!(
            r#"{{"device_code":"d","user_code":"WDJB-MJHT",
                 "verification_uri":"https://auth.example/device"{fields}}}"#
        );
        Answer::new(
            http::StatusCode::OK,
            &http::HeaderMap::new(),
            Zeroizing::new(body.into_bytes()),
            false,
        )
    }

    fn interval_and_lifetime(fields: &str) -> (Duration, Duration) {
        let (_, login, interval) = read_device_answer(&device(), &device_answer(fields)).unwrap();
        (interval, login.expires_in)
    }

    #[test]
    fn the_servers_interval_is_kept_between_five_seconds_and_five_minutes() {
        let secs = Duration::from_secs;
        let cases = [
            (r#","expires_in":600"#, secs(5)),
            (r#","expires_in":600,"interval":0"#, secs(5)),
            (r#","expires_in":600,"interval":7"#, secs(7)),
            (
                r#","expires_in":600,"interval":18446744073709551615"#,
                secs(300),
            ),
        ];
        for (fields, expected) in cases {
            assert_eq!(interval_and_lifetime(fields).0, expected, "{fields}");
        }
    }

    #[test]
    fn a_codes_lifetime_is_capped_at_thirty_minutes() {
        let secs = Duration::from_secs;
        let cases = [
            (r#","expires_in":900"#, secs(900)),
            (r#","expires_in":18446744073709551615"#, secs(1800)),
        ];
        for (fields, expected) in cases {
            assert_eq!(interval_and_lifetime(fields).1, expected, "{fields}");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn the_code_lifetime_ends_the_polling() {
        let (result, times) = run(Vec::new(), Duration::from_secs(22)).await;
        let error = result.unwrap_err();
        assert!(matches!(
            error.kind(),
            AuthErrorKind::ReauthenticationRequired { .. }
        ));
        assert_eq!(
            times,
            [5, 10, 15, 20],
            "no poll after the code expires at 22 s"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn absurd_intervals_and_lifetimes_are_polled_within_bounds_without_overflow() {
        let forever = Duration::from_secs(u64::MAX);
        let (result, times) = run_every(forever, Vec::new(), forever).await;
        let error = result.unwrap_err();
        assert!(error.to_string().contains("after 1800 s"), "{error}");
        assert_eq!(times, [300, 600, 900, 1200, 1500, 1800]);

        let (_, times) = run_every(Duration::ZERO, Vec::new(), Duration::from_secs(12)).await;
        assert_eq!(times, [5, 10], "an interval of 0 polls every 5 s");

        let slow_downs = (0..70).map(|_| Poll::SlowDown).collect();
        let (_, times) = run_every(Duration::from_secs(290), slow_downs, forever).await;
        assert_eq!(
            times,
            [290, 585, 885, 1185, 1485, 1785],
            "at most 300 s apart"
        );
    }
}
