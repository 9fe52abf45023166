// Input: the fields of one OAuth2 grant (`grant_type` and its own) and the secrets among them.
// Output: the token request every form grant sends: those fields, then the client's own
// fields, the scope and the extra parameters, authenticated as the client says.

use crate::oauth::endpoint::client_auth::ClientAuth;
use crate::oauth::endpoint::exchange::Http;
use crate::oauth::endpoint::redaction::Redactions;
use crate::oauth::endpoint::request_body::RequestBody;
use crate::oauth::endpoint::response_fields::TokenResponseFields;
use crate::oauth::endpoint::token_request::TokenRequest;
use crate::oauth::endpoint::url::Endpoint;
use crate::{AuthError, RefreshToken, Token};

use super::builder_methods::extra_fields;

/// What a form grant's requests share, borrowed from its source.
pub(super) struct FormGrant<'a> {
    pub(super) endpoint: &'a Endpoint,
    pub(super) client: &'a ClientAuth,
    pub(super) scope: Option<&'a str>,
    pub(super) params: &'a [(String, String)],
    pub(super) fields: &'a TokenResponseFields,
    pub(super) http: &'a Http,
}

impl FormGrant<'_> {
    /// POSTs `grant` (its `grant_type` first) with the client's fields, the scope and the
    /// parameters; `secrets` are cut out of whatever the server says back.
    pub(super) async fn send(
        &self,
        grant: &[(&str, &str)],
        secrets: &[&str],
    ) -> Result<Token, AuthError> {
        let client = self.client.fields(self.endpoint)?;
        let mut form = grant.to_vec();
        form.extend(client.pairs());
        form.extend(extra_fields(self.scope, self.params));

        let mut redactions = Redactions::new(secrets);
        self.client.add_secrets(&mut redactions);
        if let Some(assertion) = client.assertion() {
            redactions.add(assertion);
        }
        TokenRequest {
            endpoint: self.endpoint,
            body: RequestBody::form(&form),
            authorization: self.client.authorization()?,
            fields: self.fields,
            secrets: redactions,
            judge: self.client.judge(),
        }
        .send(self.http)
        .await
    }

    /// Renews with the refresh token grant (RFC 6749 section 6).
    pub(super) async fn refresh(&self, refresh_token: &RefreshToken) -> Result<Token, AuthError> {
        let refresh_token = refresh_token.expose_secret();
        self.send(
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh_token),
            ],
            &[refresh_token],
        )
        .await
    }
}
