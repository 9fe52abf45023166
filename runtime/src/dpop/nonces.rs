// Input: the `DPoP-Nonce` header of any answer, with the server (authorization or resource)
// and origin it came from.
// Output: the nonce the next proof for that server carries. One nonce per server and origin,
// not per URL: fifty paths of one API cost one nonce round trip, not fifty.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use http::HeaderValue;

/// The header servers send their nonce in (RFC 9449 section 8).
pub(crate) const DPOP_NONCE: &str = "dpop-nonce";

/// More origins than a client talks to: past it, the table starts over rather than grow
/// without bound with origins a hostile server names.
const MAX_ORIGINS: usize = 256;

/// Which side of OAuth gave the nonce. An authorization server and a resource server on one
/// origin keep separate nonces (RFC 9449 sections 8 and 9).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Server {
    Authorization,
    Resource,
}

/// The latest nonce of each server, shared by every token of one key.
#[derive(Debug, Default)]
pub(crate) struct Nonces {
    latest: Mutex<HashMap<(Server, String), Arc<str>>>,
}

impl Nonces {
    /// The nonce to put in the next proof for `server` at `origin`, if it gave one.
    pub(crate) fn get(&self, server: Server, origin: &str) -> Option<Arc<str>> {
        let latest = self.latest.lock().unwrap_or_else(PoisonError::into_inner);
        latest.get(&(server, origin.to_owned())).cloned()
    }

    /// Keeps the nonce in `headers`, if any (and printable); returns it.
    pub(crate) fn remember(
        &self,
        server: Server,
        origin: &str,
        value: Option<&HeaderValue>,
    ) -> Option<Arc<str>> {
        let nonce: Arc<str> = value?.to_str().ok().filter(|nonce| is_nonce(nonce))?.into();
        let mut latest = self.latest.lock().unwrap_or_else(PoisonError::into_inner);
        let key = (server, origin.to_owned());
        if latest.len() >= MAX_ORIGINS && !latest.contains_key(&key) {
            latest.clear();
        }
        latest.insert(key, Arc::clone(&nonce));
        Some(nonce)
    }
}

/// RFC 9449 section 8.1: `nonce = 1*NQCHAR`, the printable ASCII but `"` and `\`.
fn is_nonce(value: &str) -> bool {
    !value.is_empty()
        && value
            .bytes()
            .all(|b| (0x20..=0x7e).contains(&b) && b != b'"' && b != b'\\')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nonce(value: &str) -> HeaderValue {
        HeaderValue::from_str(value).unwrap()
    }

    #[test]
    fn nonces_are_kept_per_server_and_origin() {
        let nonces = Nonces::default();
        let origin = "http://127.0.0.1:8080";
        nonces.remember(Server::Authorization, origin, Some(&nonce("as-1")));
        nonces.remember(Server::Resource, origin, Some(&nonce("rs-1")));
        nonces.remember(
            Server::Resource,
            "http://127.0.0.1:9090",
            Some(&nonce("other")),
        );
        assert_eq!(
            nonces.get(Server::Authorization, origin).as_deref(),
            Some("as-1")
        );
        assert_eq!(
            nonces.get(Server::Resource, origin).as_deref(),
            Some("rs-1")
        );
        nonces.remember(Server::Resource, origin, Some(&nonce("rs-2")));
        assert_eq!(
            nonces.get(Server::Resource, origin).as_deref(),
            Some("rs-2")
        );
        assert_eq!(
            nonces.get(Server::Authorization, origin).as_deref(),
            Some("as-1")
        );
    }

    #[test]
    fn an_answer_without_a_usable_nonce_keeps_the_last_one() {
        let nonces = Nonces::default();
        let origin = "http://127.0.0.1:8080";
        nonces.remember(Server::Resource, origin, Some(&nonce("n-1")));
        assert!(nonces.remember(Server::Resource, origin, None).is_none());
        assert!(
            nonces
                .remember(Server::Resource, origin, Some(&nonce("a\"b")))
                .is_none()
        );
        assert_eq!(nonces.get(Server::Resource, origin).as_deref(), Some("n-1"));
    }

    #[test]
    fn the_table_stays_bounded() {
        let nonces = Nonces::default();
        for port in 0..(MAX_ORIGINS + 10) {
            let origin = format!("http://127.0.0.1:{port}");
            nonces.remember(Server::Resource, &origin, Some(&nonce("n")));
        }
        assert!(nonces.latest.lock().unwrap().len() <= MAX_ORIGINS);
    }
}
