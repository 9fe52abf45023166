// Input: the answer of a registration endpoint (RFC 7591 section 3.2.1), or the same JSON
// kept in a store.
// Output: `RegisteredClient`: the client id, its secrets in types that never print, the
// times it was issued and expires, the registered metadata, and the `ClientAuth` to use.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value};
use zeroize::Zeroizing;

use crate::oauth::ClientAuth;
use crate::{AuthError, ClientSecret};

/// A client the authorization server registered (RFC 7591 section 3.2.1): what
/// [`ClientRegistration::register`](super::ClientRegistration::register) answers and a
/// [`RegistrationStore`](super::RegistrationStore) keeps.
///
/// `Debug` shows the client id and metadata, never the client secret or the registration
/// access token.
///
/// ```
/// use freshtoken::oauth::resource::RegisteredClient;
///
/// let client = RegisteredClient::from_json(br#"{
///     "client_id": "c-42", "client_secret": "s3cr3t", "client_secret_expires_at": 0,
///     "token_endpoint_auth_method": "client_secret_post", "client_name": "Tasks CLI"
/// }"#)?;
/// assert_eq!(client.client_id(), "c-42");
/// assert!(!client.is_expired());
/// assert_eq!(client.metadata()["client_name"], "Tasks CLI");
/// assert!(!format!("{client:?}").contains("s3cr3t"));
/// let auth = client.client_auth()?;
/// assert_eq!(auth.client_id(), "c-42");
/// # Ok::<(), freshtoken::AuthError>(())
/// ```
#[derive(Clone)]
pub struct RegisteredClient {
    client_id: String,
    client_secret: Option<ClientSecret>,
    registration_access_token: Option<ClientSecret>,
    client_id_issued_at: Option<u64>,
    client_secret_expires_at: Option<u64>,
    /// Every member but the secrets, `client_id` included, as the server wrote them.
    metadata: Map<String, Value>,
}

impl RegisteredClient {
    /// Reads a registration answer (or a record a store kept): a JSON object with a
    /// non-empty string `client_id`; `client_secret` and `registration_access_token`, when
    /// present, must be strings, `client_id_issued_at` and `client_secret_expires_at`
    /// numbers of seconds since 1970.
    ///
    /// # Errors
    /// [`AuthErrorKind::Rejected`](crate::AuthErrorKind::Rejected) naming what is missing or
    /// malformed; the message never quotes the JSON.
    pub fn from_json(json: &[u8]) -> Result<Self, AuthError> {
        Self::read(json)
            .map_err(|reason| AuthError::rejected(format!("not a registered client: {reason}")))
    }

    pub(crate) fn read(json: &[u8]) -> Result<Self, String> {
        let Ok(Value::Object(mut metadata)) = serde_json::from_slice::<Value>(json) else {
            return Err("it is not a JSON object".to_owned());
        };
        let client_id = match metadata.get("client_id") {
            Some(Value::String(id)) if !id.is_empty() => id.clone(),
            _ => return Err("it has no `client_id` string".to_owned()),
        };
        let mut secret = |name: &str| match metadata.remove(name) {
            None | Some(Value::Null) => Ok(None),
            // Moved, not copied, into the type that zeroes it.
            Some(Value::String(secret)) => Ok(Some(ClientSecret::new(secret))),
            Some(_) => Err(format!("its `{name}` is not a string")),
        };
        let client_secret = secret("client_secret")?;
        let registration_access_token = secret("registration_access_token")?;
        let seconds = |name: &str| match metadata.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(value) => value
                .as_u64()
                .map(Some)
                .ok_or_else(|| format!("its `{name}` is not a number of seconds since 1970")),
        };
        let client_id_issued_at = seconds("client_id_issued_at")?;
        let client_secret_expires_at = seconds("client_secret_expires_at")?;
        Ok(Self {
            client_id,
            client_secret,
            registration_access_token,
            client_id_issued_at,
            client_secret_expires_at,
            metadata,
        })
    }

    /// The record as a store keeps it: the registration answer, secrets included. The
    /// buffer is zeroed when dropped.
    pub(crate) fn to_json(&self) -> Zeroizing<Vec<u8>> {
        let mut record = self.metadata.clone();
        let secrets = [
            ("client_secret", &self.client_secret),
            ("registration_access_token", &self.registration_access_token),
        ];
        for (name, secret) in secrets {
            if let Some(secret) = secret {
                record.insert(name.to_owned(), secret.expose_secret().into());
            }
        }
        // Sized up front so the buffer never grows: a grown buffer would leave an unzeroed
        // copy of the secrets behind. JSON escaping takes at most six bytes per byte.
        let room = serde_json::to_vec(&self.metadata).map_or(0, |json| json.len())
            + secrets
                .iter()
                .filter_map(|(_, secret)| secret.as_ref())
                .map(|secret| 6 * secret.expose_secret().len() + 64)
                .sum::<usize>()
            + 64;
        let mut json = Zeroizing::new(Vec::with_capacity(room));
        // A map of `Value`s always serializes.
        let _ = serde_json::to_writer(&mut *json, &Value::Object(record));
        json
    }

    /// The client id, to send as `client_id`.
    #[must_use]
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// The client secret, for a confidential client.
    #[must_use]
    pub fn client_secret(&self) -> Option<&ClientSecret> {
        self.client_secret.as_ref()
    }

    /// The registration access token (RFC 7592), if the server gave one: it reads, updates
    /// or deletes this registration at [`registration_client_uri`](Self::registration_client_uri).
    #[must_use]
    pub fn registration_access_token(&self) -> Option<&ClientSecret> {
        self.registration_access_token.as_ref()
    }

    /// Where the registration can be read, updated or deleted (RFC 7592), if the server
    /// said.
    #[must_use]
    pub fn registration_client_uri(&self) -> Option<&str> {
        self.metadata
            .get("registration_client_uri")
            .and_then(Value::as_str)
    }

    /// When the client id was issued, if the server said.
    #[must_use]
    pub fn client_id_issued_at(&self) -> Option<SystemTime> {
        self.client_id_issued_at
            .map(|secs| UNIX_EPOCH + Duration::from_secs(secs))
    }

    /// When the client secret expires; `None` when it never does (the server answered 0,
    /// or has no secret to expire).
    #[must_use]
    pub fn client_secret_expires_at(&self) -> Option<SystemTime> {
        self.client_secret_expires_at
            .filter(|secs| *secs > 0)
            .map(|secs| UNIX_EPOCH + Duration::from_secs(secs))
    }

    /// Whether the client secret has expired by `now`: the registration must then be done
    /// again.
    #[must_use]
    pub fn expired_at(&self, now: SystemTime) -> bool {
        self.client_secret_expires_at()
            .is_some_and(|expires_at| expires_at <= now)
    }

    /// Whether the client secret has expired: the registration must then be done again.
    #[must_use]
    pub fn is_expired(&self) -> bool {
        self.expired_at(SystemTime::now())
    }

    /// How the client authenticates at the token endpoint, as registered; RFC 7591's
    /// default, `client_secret_basic`, when the answer does not say and has a secret,
    /// `none` when it has none.
    #[must_use]
    pub fn token_endpoint_auth_method(&self) -> &str {
        match self.metadata.get("token_endpoint_auth_method") {
            Some(Value::String(method)) => method,
            _ if self.client_secret.is_some() => "client_secret_basic",
            _ => "none",
        }
    }

    /// Every member of the registration answer but the secrets: the registered metadata
    /// (`redirect_uris`, `grant_types`, `client_name`...) and the server's own members.
    #[must_use]
    pub fn metadata(&self) -> &Map<String, Value> {
        &self.metadata
    }

    /// The [`ClientAuth`] for this client, from its
    /// [`token_endpoint_auth_method`](Self::token_endpoint_auth_method): `none` is
    /// [`ClientAuth::public`], `client_secret_basic` [`ClientAuth::basic`] and
    /// `client_secret_post` [`ClientAuth::body`].
    ///
    /// # Errors
    /// [`AuthErrorKind::Rejected`](crate::AuthErrorKind::Rejected) for another method (such
    /// as `private_key_jwt`: build that `ClientAuth` with your key), or a secret-based
    /// method without a `client_secret` in the answer.
    pub fn client_auth(&self) -> Result<ClientAuth, AuthError> {
        let method = self.token_endpoint_auth_method();
        let secret = || {
            self.client_secret.clone().ok_or_else(|| {
                AuthError::rejected(format!(
                    "the server registered client `{}` with token_endpoint_auth_method \
                     `{method}` but answered no client_secret; register again, or ask the \
                     server's operator",
                    self.client_id
                ))
            })
        };
        match method {
            "none" => Ok(ClientAuth::public(self.client_id.clone())),
            "client_secret_basic" => Ok(ClientAuth::basic(self.client_id.clone(), secret()?)),
            "client_secret_post" => Ok(ClientAuth::body(self.client_id.clone(), secret()?)),
            other => Err(AuthError::rejected(format!(
                "the server registered client `{}` with token_endpoint_auth_method `{other}`, \
                 which RegisteredClient::client_auth does not build (it builds none, \
                 client_secret_basic and client_secret_post); build the ClientAuth yourself \
                 (ClientAuth::private_key_jwt with your key), or register with another method",
                self.client_id
            ))),
        }
    }
}

impl fmt::Debug for RegisteredClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RegisteredClient")
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret)
            .field("registration_access_token", &self.registration_access_token)
            .field("client_id_issued_at", &self.client_id_issued_at)
            .field("client_secret_expires_at", &self.client_secret_expires_at)
            .field("metadata", &self.metadata)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The members that hold secrets: kept out of [`RegisteredClient::metadata`].
    const SECRET_MEMBERS: [&str; 2] = ["client_secret", "registration_access_token"];

    const ANSWER: &[u8] = br#"{
        "client_id": "c-1", "client_secret": "top-secret-1",
        "registration_access_token": "rat-secret-2",
        "registration_client_uri": "https://auth.example/register/c-1",
        "client_id_issued_at": 1700000000, "client_secret_expires_at": 1700003600,
        "token_endpoint_auth_method": "client_secret_basic", "redirect_uris": ["http://127.0.0.1/callback"]
    }"#;

    #[test]
    fn secrets_are_kept_apart_and_never_printed() {
        let client = RegisteredClient::from_json(ANSWER).unwrap();
        assert_eq!(
            client.client_secret().unwrap().expose_secret(),
            "top-secret-1"
        );
        assert_eq!(
            client.registration_access_token().unwrap().expose_secret(),
            "rat-secret-2"
        );
        for member in SECRET_MEMBERS {
            assert!(!client.metadata().contains_key(member));
        }
        let debug = format!("{client:?}");
        assert!(
            !debug.contains("top-secret-1") && !debug.contains("rat-secret-2"),
            "{debug}"
        );
        assert!(debug.contains("c-1"), "{debug}");
        assert_eq!(
            client.registration_client_uri(),
            Some("https://auth.example/register/c-1")
        );
    }

    #[test]
    fn the_stored_form_reads_back_the_same_client() {
        let client = RegisteredClient::from_json(ANSWER).unwrap();
        let again = RegisteredClient::from_json(&client.to_json()).unwrap();
        assert_eq!(format!("{client:?}"), format!("{again:?}"));
        assert_eq!(
            again.client_secret().unwrap().expose_secret(),
            "top-secret-1"
        );
        assert_eq!(
            again.registration_access_token().unwrap().expose_secret(),
            "rat-secret-2"
        );
    }

    #[test]
    fn a_secret_expires_at_its_time_and_zero_means_never() {
        let client = RegisteredClient::from_json(ANSWER).unwrap();
        let expiry = UNIX_EPOCH + Duration::from_secs(1_700_003_600);
        assert!(!client.expired_at(expiry - Duration::from_secs(1)));
        assert!(client.expired_at(expiry));
        let never = RegisteredClient::from_json(
            br#"{"client_id": "c", "client_secret": "s", "client_secret_expires_at": 0}"#,
        )
        .unwrap();
        assert_eq!(never.client_secret_expires_at(), None);
        assert!(!never.is_expired());
    }

    #[test]
    fn client_auth_follows_the_registered_method() {
        let with = |method: &str| {
            RegisteredClient::from_json(
                format!(
                    r#"{{"client_id": "c", "client_secret": "s3", "token_endpoint_auth_method": "{method}"}}"#
                )
                .as_bytes(),
            )
            .unwrap()
            .client_auth()
        };
        assert!(format!("{:?}", with("client_secret_basic").unwrap()).contains("Basic"));
        assert!(format!("{:?}", with("client_secret_post").unwrap()).contains("Body"));
        assert!(format!("{:?}", with("none").unwrap()).contains("Public"));
        let refused = with("private_key_jwt").unwrap_err().to_string();
        assert!(refused.contains("private_key_jwt"), "{refused}");
        assert!(!refused.contains("s3\""), "{refused}");
        let public = RegisteredClient::from_json(br#"{"client_id": "p"}"#).unwrap();
        assert_eq!(public.token_endpoint_auth_method(), "none");
        let secretless = RegisteredClient::from_json(
            br#"{"client_id": "p", "token_endpoint_auth_method": "client_secret_post"}"#,
        )
        .unwrap();
        assert!(
            secretless
                .client_auth()
                .unwrap_err()
                .to_string()
                .contains("no client_secret")
        );
    }

    #[test]
    fn malformed_answers_say_what_is_wrong_without_quoting() {
        for (json, expected) in [
            (&br"[1]"[..], "not a JSON object"),
            (br#"{"client_id": ""}"#, "no `client_id`"),
            (
                br#"{"client_id": "c", "client_secret": 7}"#,
                "`client_secret` is not a string",
            ),
            (
                br#"{"client_id": "c", "client_secret_expires_at": "soon"}"#,
                "`client_secret_expires_at`",
            ),
        ] {
            let error = RegisteredClient::from_json(json).unwrap_err().to_string();
            assert!(error.contains(expected), "{error}");
        }
    }
}
