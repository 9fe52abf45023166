// Input: the fields of one OAuth2 grant (`grant_type` and its own) and the secrets among them.
// Output: the token request every form grant sends: those fields, then the client's own
// fields, the scope and the extra parameters (a resource indicator checked), authenticated as
// the client says; the token marked with its resource.

use crate::oauth::endpoint::client_auth::ClientAuth;
use crate::oauth::endpoint::client_auth::ClientFields;
use crate::oauth::endpoint::exchange::Http;
use crate::oauth::endpoint::redaction::Redactions;
use crate::oauth::endpoint::request_body::RequestBody;
use crate::oauth::endpoint::response_fields::TokenResponseFields;
use crate::oauth::endpoint::token_request::{Rebuild, Rebuilt, TokenRequest};
use crate::oauth::endpoint::url::Endpoint;
use crate::{AuthError, RefreshToken, Token};

use super::builder_methods::extra_fields;
use super::resource_indicator;

/// What a form grant's requests share, borrowed from its source.
pub(super) struct FormGrant<'a> {
    pub(super) endpoint: &'a Endpoint,
    pub(super) client: &'a ClientAuth,
    pub(super) scope: Option<&'a str>,
    pub(super) params: &'a [(String, String)],
    pub(super) fields: &'a TokenResponseFields,
    pub(super) http: &'a Http,
}

impl<'a> FormGrant<'a> {
    /// The same requests with `scope` instead of the source's own (a step-up's scopes).
    pub(super) fn with_scope(self, scope: Option<&'a str>) -> Self {
        Self { scope, ..self }
    }

    /// POSTs `grant` (its `grant_type` first) with the client's fields, the scope and the
    /// parameters; `secrets` are cut out of whatever the server says back.
    pub(super) async fn send(
        &self,
        grant: &[(&str, &str)],
        secrets: &[&str],
    ) -> Result<Token, AuthError> {
        self.send_with(self.http, grant, secrets).await
    }

    async fn send_with(
        &self,
        http: &Http,
        grant: &[(&str, &str)],
        secrets: &[&str],
    ) -> Result<Token, AuthError> {
        let resource = resource_indicator::checked(self.params)?;
        let body_with = |client: &ClientFields<'_>| {
            let mut form = grant.to_vec();
            form.extend(client.pairs());
            form.extend(extra_fields(self.scope, self.params));
            RequestBody::form(&form)
        };
        let client = self.client.fields(self.endpoint)?;
        // A resend signs a new client assertion: the first may have been spent.
        let rebuild = || -> Result<Rebuilt, AuthError> {
            let client = self.client.fields(self.endpoint)?;
            Ok((body_with(&client), client.into_assertion()))
        };
        let rebuild: Option<&Rebuild<'_>> = client.assertion().map(|_| &rebuild as &Rebuild<'_>);

        let mut redactions = Redactions::new(secrets);
        self.client.add_secrets(&mut redactions);
        if let Some(assertion) = client.assertion() {
            redactions.add(assertion);
        }
        let mut token = TokenRequest {
            endpoint: self.endpoint,
            body: body_with(&client),
            credential: self.client.authorization()?,
            fields: self.fields,
            secrets: redactions,
            judge: self.client.judge(),
        }
        .send_rebuilding(http, rebuild)
        .await?;
        token.set_resource(resource);
        Ok(token)
    }

    /// Renews `previous` with its refresh token (RFC 6749 section 6); a refresh token bound
    /// to a DPoP key with that key.
    pub(super) async fn refresh(&self, previous: Refreshable<'_>) -> Result<Token, AuthError> {
        let refresh_token = previous.refresh_token.expose_secret();
        self.send_with(
            &self.http.for_refresh_of(previous.token),
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh_token),
            ],
            &[refresh_token],
        )
        .await
    }
}

/// A previous token that has a refresh token.
#[derive(Clone, Copy)]
pub(super) struct Refreshable<'a> {
    token: &'a Token,
    refresh_token: &'a RefreshToken,
}

/// `previous`, if it can be refreshed.
pub(super) fn refreshable(previous: Option<&Token>) -> Option<Refreshable<'_>> {
    let token = previous?;
    Some(Refreshable {
        token,
        refresh_token: token.refresh_token()?,
    })
}
