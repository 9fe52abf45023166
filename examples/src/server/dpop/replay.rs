// Input: the `jti` of each accepted DPoP proof, and until when its `iat` could pass.
// Output: whether a `jti` is new (RFC 9449 §11.1): a proof replayed within the `iat` window
// is refused; older ones are forgotten, since the `iat` check refuses them anyway.

use std::collections::HashMap;
use std::time::Duration;

/// The `jti`s of proofs accepted within the `iat` window.
#[derive(Debug, Default)]
pub(crate) struct SeenProofs(HashMap<String, Duration>);

impl SeenProofs {
    /// Whether `jti` was not seen before; remembers it until `until` (the end of its
    /// proof's `iat` window). Forgets the `jti`s whose window ended before `now`.
    pub(crate) fn first_use(&mut self, jti: &str, until: Duration, now: Duration) -> bool {
        self.0.retain(|_, until| now <= *until);
        if self.0.contains_key(jti) {
            return false;
        }
        self.0.insert(jti.to_owned(), until);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_jti_is_refused_until_its_window_ends_then_forgotten() {
        let mut seen = SeenProofs::default();
        let until = Duration::from_secs(160);
        assert!(seen.first_use("a", until, Duration::from_secs(100)));
        assert!(!seen.first_use("a", until, Duration::from_secs(160)));
        assert!(seen.first_use("b", until, Duration::from_secs(160)));
        assert!(seen.first_use("a", until, Duration::from_secs(161)));
    }
}
