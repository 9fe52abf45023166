// Input: a source type with an `http: Http` field (and, for the OAuth2 grants, `scope` and
// `params` fields).
// Output: the builder methods and form fields the sources share, written once.

/// `timeout` and `http_client` for a source with an `http: Http` field.
macro_rules! http_methods {
    ($source:ty) => {
        impl $source {
            /// How long one request may take, from connecting to the last byte of the answer.
            /// Default 30 s; past it, the fetch fails with
            /// [`AuthErrorKind::Timeout`](crate::AuthErrorKind::Timeout). The cache's
            /// [`refresh_timeout`](crate::TokenCacheBuilder::refresh_timeout) bounds the
            /// fetch as well.
            #[must_use]
            pub fn timeout(mut self, timeout: std::time::Duration) -> Self {
                self.http.timeout = timeout;
                self
            }

            /// Sends requests with this client (proxies, TLS roots, connection pool shared
            /// with the API client). The default client follows no redirects, so that the
            /// request's secrets never go to another URL; consider doing the same.
            #[must_use]
            pub fn http_client(mut self, client: reqwest::Client) -> Self {
                self.http.client = client;
                self
            }
        }
    };
}

/// `dpop` for a source with an `http: Http` field whose requests go to a token endpoint, or
/// for a builder of such sources (`$doc` says which).
macro_rules! dpop_method {
    ($source:ty, $doc:literal) => {
        impl $source {
            #[doc = $doc]
            ///
            /// A server that binds tokens then issues tokens bound to `key`, which the
            /// generated clients, the middleware and the tower layer send with a fresh proof
            /// each; a server that answers `Bearer` gets bearer tokens used as before. See
            /// [`dpop`](crate::dpop).
            #[cfg(feature = "dpop")]
            #[cfg_attr(docsrs, doc(cfg(feature = "dpop")))]
            #[must_use]
            pub fn dpop(mut self, key: crate::dpop::DpopKey) -> Self {
                self.http.dpop = Some(key);
                self
            }
        }
    };
    ($source:ty) => {
        dpop_method!(
            $source,
            "Proves possession of `key` on every token request (DPoP, RFC 9449)."
        );
    };
}

/// `scopes`, `resource` and `param` for an OAuth2 form grant with `endpoint`, `client`, `scope`,
/// `params`, `fields` and `http` fields, and the `form` its requests go through.
macro_rules! grant_methods {
    ($source:ty) => {
        impl $source {
            fn form(&self) -> super::form_grant::FormGrant<'_> {
                super::form_grant::FormGrant {
                    endpoint: &self.endpoint,
                    client: &self.client,
                    scope: self.scope.as_deref(),
                    params: &self.params,
                    fields: &self.fields,
                    http: &self.http,
                }
            }

            /// Asks for these scopes (sent space-separated as `scope`). By default no `scope`
            /// is sent and the server grants its default (or, on a refresh, keeps the
            /// original scope).
            #[must_use]
            pub fn scopes<S: Into<String>>(mut self, scopes: impl IntoIterator<Item = S>) -> Self {
                let scopes: Vec<String> = scopes.into_iter().map(Into::into).collect();
                self.scope = Some(scopes.join(" "));
                self
            }

            /// Asks for tokens for the protected resource `resource` (RFC 8707): sent as
            /// `resource` on every request (authorization, token, each refresh), and
            /// [`Token::resource`](crate::Token::resource) of the tokens says it. It must
            /// be an absolute URI without a fragment (the resource's canonical URI, such
            /// as an MCP server's URL), or the first fetch fails saying so, sending
            /// nothing. Setting it again replaces it.
            #[must_use]
            pub fn resource(mut self, resource: impl Into<String>) -> Self {
                super::resource_indicator::set(&mut self.params, resource.into());
                self
            }

            /// Adds a form parameter to every request (for example `audience`). Its value
            /// is not treated as a secret. A `resource` parameter is checked as
            /// [`resource`](Self::resource) checks it.
            #[must_use]
            pub fn param(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
                self.params.push((name.into(), value.into()));
                self
            }
        }
    };
}

/// The refresh request's options and the answers' field names, for a token API source with
/// `refresh: RefreshRequest` and `fields: TokenResponseFields` fields.
macro_rules! refresh_methods {
    ($source:ty) => {
        impl $source {
            /// Where the refresh request carries the refresh token: a body field (default
            /// `refresh_token`), `Authorization: Bearer`, a header or a cookie of the API's
            /// own. See [`RefreshTokenIn`](crate::oauth::RefreshTokenIn).
            #[must_use]
            pub fn refresh_token_in(mut self, place: crate::oauth::RefreshTokenIn) -> Self {
                self.refresh.token_in = place;
                self
            }

            /// The name of the body field that carries the refresh token (`refresh`,
            /// `refreshToken`...): short for
            /// [`refresh_token_in`](Self::refresh_token_in)`(RefreshTokenIn::Field(name))`.
            /// Default `refresh_token`.
            #[must_use]
            pub fn refresh_token_field(self, name: impl Into<String>) -> Self {
                self.refresh_token_in(crate::oauth::RefreshTokenIn::Field(name.into()))
            }

            /// How the refresh request's body is sent. Default
            /// [`BodyFormat::Json`](crate::oauth::BodyFormat::Json).
            #[must_use]
            pub fn refresh_format(mut self, format: crate::oauth::BodyFormat) -> Self {
                self.refresh.format = format;
                self
            }

            /// Adds a field to the refresh request's body. Its value is not treated as a
            /// secret.
            #[must_use]
            pub fn refresh_param(
                mut self,
                name: impl Into<String>,
                value: impl Into<String>,
            ) -> Self {
                self.refresh.extra.plain(name.into(), value.into());
                self
            }

            /// Adds a secret field to the refresh request's body, cut out of every error.
            #[must_use]
            pub fn refresh_secret_param(
                mut self,
                name: impl Into<String>,
                value: impl Into<crate::ClientSecret>,
            ) -> Self {
                self.refresh.extra.secret(name.into(), value.into());
                self
            }

            /// The names of the answers' fields. Default: the RFC 6749 names
            /// (`access_token`, `refresh_token`, `expires_in`, `token_type`, `scope`). A name
            /// that starts with `/` is a JSON Pointer into nested objects.
            #[must_use]
            pub fn response_fields(mut self, fields: crate::oauth::TokenResponseFields) -> Self {
                self.fields = fields;
                self
            }
        }
    };
}

pub(in crate::oauth) use {dpop_method, grant_methods, http_methods, refresh_methods};

/// `scopes` as the value of `scope`: space-separated, `None` for no scope.
pub(super) fn scope_of(scopes: &[String]) -> Option<String> {
    (!scopes.is_empty()).then(|| scopes.join(" "))
}

/// The form fields a grant adds after its own: `scope`, if any, then the extra parameters.
pub(super) fn extra_fields<'a>(
    scope: Option<&'a str>,
    params: &'a [(String, String)],
) -> impl Iterator<Item = (&'a str, &'a str)> {
    scope.map(|scope| ("scope", scope)).into_iter().chain(
        params
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_str())),
    )
}
