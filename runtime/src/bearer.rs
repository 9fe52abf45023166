// Input: a reqwest request being built and the token to send with it.
// Output: the same request with `Authorization` set to the token's prebuilt, sensitive header
// value, in one call.

use reqwest::header::{AUTHORIZATION, HeaderMap};

use crate::Token;

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
    #[doc(alias = "bearer_auth", alias = "bearer_auth_token")]
    #[must_use]
    fn bearer_token(self, token: &Token) -> Self;
}

impl BearerExt for reqwest::RequestBuilder {
    fn bearer_token(self, token: &Token) -> Self {
        // `headers` replaces the values of the names it is given; `header` would append a
        // second `Authorization`.
        let mut header = HeaderMap::with_capacity(1);
        header.insert(AUTHORIZATION, token.authorization().clone());
        self.headers(header)
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
