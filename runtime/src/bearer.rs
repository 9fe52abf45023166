// Input: a reqwest request being built and the token to send with it.
// Output: the same request with `Authorization` set to the token's prebuilt, sensitive header
// value, in one call.

use reqwest::header::{AUTHORIZATION, HeaderMap};

use crate::Token;
use crate::authorization::{Sent, answered, authorize};

/// Sets the bearer header of a request from a [`Token`] in one call.
///
/// Unlike reqwest's `bearer_auth`, it formats nothing and exposes no secret: it sends the
/// `Authorization` value the token built once ([`Token::authorization`], marked sensitive so
/// it stays out of logs and HPACK tables); cloning it copies no bytes. An `Authorization`
/// header already on the request is replaced, not doubled.
///
/// ```
/// use freshtoken::{BearerExt, Token};
///
/// let token = Token::builder("access-token").build()?;
/// let request = reqwest::Client::new()
///     .get("https://tasks.example/tasks")
///     .bearer_token(&token)
///     .build()?;
/// assert_eq!(request.headers()["authorization"], "Bearer access-token");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// This trait is sealed: it is implemented for `reqwest::RequestBuilder` only.
pub trait BearerExt: sealed::Sealed {
    /// Sets `Authorization: Bearer <access token>` (the token's type, if not `Bearer`).
    ///
    /// A DPoP-bound token needs a proof made for the request's method and URL as well: send
    /// it with [`send_with_token`](Self::send_with_token), which works for any token.
    #[doc(alias = "bearer_auth", alias = "bearer_auth_token")]
    #[must_use]
    fn bearer_token(self, token: &Token) -> Self;

    /// Sends the request with `token`: `Authorization` set as
    /// [`bearer_token`](Self::bearer_token) sets it, and for a DPoP-bound token a new proof
    /// for this method and URL; the server's `DPoP-Nonce` in the answer is kept for the next
    /// proof. What `#[refresh_token]` methods use for tokens that may be bound.
    ///
    /// ```no_run
    /// use freshtoken::{BearerExt, Token};
    ///
    /// # async fn demo(http: reqwest::Client, token: &Token) -> Result<(), reqwest::Error> {
    /// let tasks = http
    ///     .get("https://tasks.example/tasks")
    ///     .send_with_token(token)
    ///     .await?
    ///     .error_for_status()?;
    /// # let _ = tasks;
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// reqwest's, as from `send`. A proof that cannot be signed (the operating system gave
    /// no randomness) is left out and logged; the server then refuses the request.
    fn send_with_token(
        self,
        token: &Token,
    ) -> impl Future<Output = Result<reqwest::Response, reqwest::Error>> + Send;
}

impl BearerExt for reqwest::RequestBuilder {
    fn bearer_token(self, token: &Token) -> Self {
        // `headers` replaces the values of the names it is given; `header` would append a
        // second `Authorization`.
        let mut header = HeaderMap::with_capacity(1);
        header.insert(AUTHORIZATION, token.authorization().clone());
        self.headers(header)
    }

    async fn send_with_token(self, token: &Token) -> Result<reqwest::Response, reqwest::Error> {
        let (client, request) = self.build_split();
        let mut request = request?;
        let target = token
            .is_dpop_bound()
            .then(|| (request.method().clone(), request.url().clone()));
        let sent = authorize(token, target, request.headers_mut()).unwrap_or_else(|error| {
            // Only signing a proof can fail: the token goes without one, and the server
            // refuses it.
            request
                .headers_mut()
                .insert(AUTHORIZATION, token.authorization().clone());
            tracing::warn!(target: "freshtoken", %error, "no DPoP proof for the request");
            Sent::default()
        });
        let response = client.execute(request).await?;
        answered(token, &sent, response.status(), response.headers());
        Ok(response)
    }
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for reqwest::RequestBuilder {}
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(access: &str) -> Token {
        Token::builder(access).build().unwrap()
    }

    #[test]
    fn sets_the_tokens_sensitive_authorization_value() {
        let request = reqwest::Client::new()
            .get("http://127.0.0.1:9/tasks")
            .bearer_token(&token("tok-1"))
            .build()
            .unwrap();
        let values: Vec<_> = request.headers().get_all(AUTHORIZATION).iter().collect();
        assert_eq!(values, ["Bearer tok-1"]);
        assert!(values[0].is_sensitive());
    }

    #[test]
    fn replaces_an_earlier_authorization_header() {
        let request = reqwest::Client::new()
            .get("http://127.0.0.1:9/tasks")
            .header(AUTHORIZATION, "Basic old")
            .header("x-other", "kept")
            .bearer_token(&token("tok-1"))
            .bearer_token(&token("tok-2"))
            .build()
            .unwrap();
        let values: Vec<_> = request.headers().get_all(AUTHORIZATION).iter().collect();
        assert_eq!(values, ["Bearer tok-2"]);
        assert_eq!(request.headers()["x-other"], "kept");
    }
}
