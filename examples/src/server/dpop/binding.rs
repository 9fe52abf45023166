// Input: the key thumbprint of an accepted token request's proof.
// Output: the `cnf` claim of a bound access token (RFC 9449 §6), and which refresh families
// of public clients are bound to which key (§5).

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// The `cnf` claim of a DPoP-bound access token.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Confirmation {
    /// The RFC 7638 SHA-256 thumbprint of the key the token is bound to.
    pub(crate) jkt: String,
}

/// The `cnf` claim for `jkt`, as JSON.
pub(crate) fn cnf_claim(jkt: &str) -> Value {
    json!({ "jkt": jkt })
}

/// Refresh families (the login every rotated refresh token descends from) bound to a key,
/// for as long as the server runs. No `Debug`: a thumbprint identifies a client's key.
#[derive(Default)]
pub(crate) struct RefreshBindings(HashMap<String, String>);

impl RefreshBindings {
    /// Binds every refresh token of `family` to the key `jkt`.
    pub(crate) fn bind(&mut self, family: String, jkt: String) {
        self.0.insert(family, jkt);
    }

    /// The thumbprint the refresh tokens of `family` are bound to, if any.
    pub(crate) fn key_of(&self, family: &str) -> Option<&str> {
        self.0.get(family).map(String::as_str)
    }
}
