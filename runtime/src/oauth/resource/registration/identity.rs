// Input: the ways a program can name itself to an authorization server (a pre-registered
// client, a client ID metadata document URL, dynamic registration), and what the server
// supports.
// Output: the `ClientAuth` to log in with, or an error naming what to configure.

use reqwest::Url;

use super::{ClientRegistration, RegistrationStore};
use crate::AuthError;
use crate::oauth::{ClientAuth, ServerMetadata};

/// How this program tells an authorization server who it is, chosen per server by
/// [`client_auth`](Self::client_auth) in the order the MCP authorization specification
/// gives:
///
/// 1. a [`preregistered`](Self::preregistered) client, when one is configured: it was made
///    for this server by hand;
/// 2. a [client ID metadata document](Self::metadata_document): the document's `https` URL
///    is the client id, when the server's metadata says
///    `client_id_metadata_document_supported`;
/// 3. [dynamic registration](Self::registration) (RFC 7591), when the server lists a
///    `registration_endpoint`: registered once per server and kept in a
///    [`RegistrationStore`].
///
/// ```no_run
/// use freshtoken::MemoryStore;
/// use freshtoken::oauth::Issuer;
/// use freshtoken::oauth::resource::{ClientIdentity, ClientRegistration};
///
/// # async fn run() -> Result<(), freshtoken::AuthError> {
/// let identity = ClientIdentity::new()
///     .metadata_document("https://cli.example/client.json".parse().unwrap())
///     .registration(ClientRegistration::loopback("Tasks CLI"));
/// let issuer = Issuer::new("https://auth.example".parse().unwrap());
/// let client = identity
///     .client_auth(&MemoryStore::default(), issuer.metadata().await?)
///     .await?;
/// # let _ = client;
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, Default)]
pub struct ClientIdentity {
    preregistered: Option<ClientAuth>,
    metadata_document: Option<Url>,
    registration: Option<ClientRegistration>,
}

impl ClientIdentity {
    /// No way configured yet: [`client_auth`](Self::client_auth) would refuse.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// A client registered with the server beforehand.
    #[must_use]
    pub fn preregistered(mut self, client: ClientAuth) -> Self {
        self.preregistered = Some(client);
        self
    }

    /// The URL of this program's client ID metadata document: a JSON document served at
    /// that URL whose `client_id` is the URL itself, with its `client_name` and
    /// `redirect_uris`. The client is public ([`ClientAuth::public`] with the URL).
    #[must_use]
    pub fn metadata_document(mut self, url: Url) -> Self {
        self.metadata_document = Some(url);
        self
    }

    /// The client to register with servers that offer dynamic registration.
    #[must_use]
    pub fn registration(mut self, registration: ClientRegistration) -> Self {
        self.registration = Some(registration);
        self
    }

    /// The client to log in to `server` with, registering (once, kept in `store`) if that
    /// is the way chosen.
    ///
    /// # Errors
    /// [`AuthErrorKind::Rejected`](crate::AuthErrorKind::Rejected) when no configured way
    /// fits this server (the message says what the server supports and what to configure);
    /// otherwise those of [`ClientRegistration::register_once`].
    pub async fn client_auth(
        &self,
        store: &impl RegistrationStore,
        server: &ServerMetadata,
    ) -> Result<ClientAuth, AuthError> {
        if let Some(client) = &self.preregistered {
            return Ok(client.clone());
        }
        if let Some(url) = &self.metadata_document
            && server.client_id_metadata_document_supported()
        {
            return Ok(ClientAuth::public(url.as_str()));
        }
        if let Some(registration) = &self.registration
            && server.registration_endpoint().is_some()
        {
            return registration
                .register_once(store, server)
                .await?
                .client_auth();
        }
        Err(AuthError::rejected(self.nothing_fits(server)))
    }

    fn nothing_fits(&self, server: &ServerMetadata) -> String {
        let mut supports = Vec::new();
        if server.client_id_metadata_document_supported() {
            supports.push("client ID metadata documents (configure `metadata_document`)");
        }
        if server.registration_endpoint().is_some() {
            supports.push("dynamic registration (configure `registration`)");
        }
        let supports = if supports.is_empty() {
            "neither client ID metadata documents nor dynamic registration".to_owned()
        } else {
            supports.join(" and ")
        };
        let mut configured = Vec::new();
        if self.metadata_document.is_some() {
            configured.push("a client ID metadata document");
        }
        if self.registration.is_some() {
            configured.push("dynamic registration");
        }
        let configured = if configured.is_empty() {
            "nothing".to_owned()
        } else {
            configured.join(" and ")
        };
        format!(
            "no way to name this client to the authorization server {}: it supports \
             {supports}, and this program configured {configured}; register a client with \
             the server's operator and give it with `ClientIdentity::preregistered`",
            server.issuer()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MemoryStore;

    fn server(extra: &str) -> ServerMetadata {
        let issuer: Url = "https://auth.example".parse().unwrap();
        let json = format!(
            r#"{{"issuer": "https://auth.example", "token_endpoint": "https://auth.example/token"{extra}}}"#
        );
        ServerMetadata::from_json(json.as_bytes(), &issuer).unwrap()
    }

    const DOCUMENT: &str = "https://cli.example/client.json";

    #[tokio::test]
    async fn a_preregistered_client_comes_first_then_a_supported_metadata_document() {
        let store = MemoryStore::default();
        let cimd = server(r#", "client_id_metadata_document_supported": true"#);
        let both = ClientIdentity::new()
            .metadata_document(DOCUMENT.parse().unwrap())
            .preregistered(ClientAuth::public("by-hand"));
        assert_eq!(
            both.client_auth(&store, &cimd).await.unwrap().client_id(),
            "by-hand"
        );
        let document = ClientIdentity::new().metadata_document(DOCUMENT.parse().unwrap());
        assert_eq!(
            document
                .client_auth(&store, &cimd)
                .await
                .unwrap()
                .client_id(),
            DOCUMENT
        );
    }

    #[tokio::test]
    async fn nothing_that_fits_the_server_is_a_clear_error() {
        let store = MemoryStore::default();
        let plain = server("");
        let document = ClientIdentity::new()
            .metadata_document(DOCUMENT.parse().unwrap())
            .registration(ClientRegistration::loopback("cli"));
        let message = document
            .client_auth(&store, &plain)
            .await
            .unwrap_err()
            .to_string();
        assert!(
            message
                .contains("supports neither client ID metadata documents nor dynamic registration"),
            "{message}"
        );
        assert!(
            message.contains("configured a client ID metadata document and dynamic registration"),
            "{message}"
        );
        assert!(
            message.contains("ClientIdentity::preregistered"),
            "{message}"
        );
        let nothing = ClientIdentity::new()
            .client_auth(
                &store,
                &server(r#", "registration_endpoint": "https://auth.example/register""#),
            )
            .await
            .unwrap_err()
            .to_string();
        assert!(nothing.contains("configured nothing"), "{nothing}");
        assert!(nothing.contains("configure `registration`"), "{nothing}");
    }
}
