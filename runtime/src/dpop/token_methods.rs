// Input: a token, maybe bound to a DPoP key.
// Output: what user code needs to send a bound token itself: its key, a proof for one
// request, and a place to keep the nonce the resource server answered with.

use http::{HeaderMap, HeaderValue, Method};
use url::Url;

use super::Binding;
use super::key::DpopKey;
use crate::{AuthError, Token, TokenBuilder};

impl Token {
    /// The key this token is bound to (the server answered `token_type: DPoP` to a request
    /// with a proof by it), or `None` for a bearer token.
    #[cfg_attr(docsrs, doc(cfg(feature = "dpop")))]
    #[must_use]
    pub fn dpop_key(&self) -> Option<&DpopKey> {
        self.dpop_binding().map(|binding| &binding.key)
    }

    /// The `DPoP` header for one request with this token: a new proof (RFC 9449 section 4)
    /// for `method` and `url` (its query and fragment left out), with the token's hash
    /// (`ath`) and the latest nonce of `url`'s server, marked sensitive. `None` for a bearer
    /// token, which needs none.
    ///
    /// Make one per attempt: a server refuses a proof whose `jti` it has seen. Generated
    /// clients, the middleware and the tower layer do this themselves, and
    /// [`BearerExt::send_with_token`](crate::BearerExt::send_with_token) does it for a reqwest
    /// request; after the answer, [`remember_dpop_nonce`](Self::remember_dpop_nonce) keeps the
    /// server's next nonce.
    ///
    /// ```
    /// use freshtoken::Token;
    /// use freshtoken::dpop::DpopKey;
    ///
    /// let key = DpopKey::generate()?;
    /// let token = Token::builder("access").token_type("DPoP").dpop_key(key).build()?;
    /// let url = "https://api.example/tasks?page=2".parse()?;
    /// let proof = token.dpop_proof(&http::Method::GET, &url)?.expect("a bound token");
    /// assert_eq!(token.authorization(), "DPoP access");
    /// assert_eq!(proof.to_str()?.split('.').count(), 3);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// When the proof cannot be signed (the operating system gave no randomness).
    #[cfg_attr(docsrs, doc(cfg(feature = "dpop")))]
    pub fn dpop_proof(&self, method: &Method, url: &Url) -> Result<Option<HeaderValue>, AuthError> {
        let Some(binding) = self.dpop_binding() else {
            return Ok(None);
        };
        Ok(Some(binding.proof(method, url)?.header))
    }

    /// Keeps the `DPoP-Nonce` in the headers of an answer from `url`'s server, for the next
    /// proof to that server (nonces are kept per origin). Does nothing for a bearer token or
    /// an answer without one.
    #[cfg_attr(docsrs, doc(cfg(feature = "dpop")))]
    pub fn remember_dpop_nonce(&self, url: &Url, headers: &HeaderMap) {
        if let Some(binding) = self.dpop_binding() {
            binding.remember_nonce(url, headers);
        }
    }

    pub(crate) fn dpop_binding(&self) -> Option<&Binding> {
        self.dpop.as_deref()
    }
}

impl TokenBuilder {
    /// The DPoP key the token was requested with: when the token type is `DPoP`, the token is
    /// bound to it ([`Token::dpop_key`]); a token of another type ignores it. The OAuth
    /// sources set it themselves; a source of your own that sends DPoP proofs sets it.
    #[cfg_attr(docsrs, doc(cfg(feature = "dpop")))]
    pub fn dpop_key(mut self, key: DpopKey) -> Self {
        self.dpop_key = Some(key);
        self
    }
}
