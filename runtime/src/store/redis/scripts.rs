// Input: what a host wants done to the shared token and its lease.
// Output: the Lua scripts that do it atomically on the Redis server, and the fingerprint that
// tells one token from another without putting its secrets in a comparison.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

use crate::Token;

/// Writes the token unless the stored one is neither the one the caller replaces nor the new
/// one itself. `ARGV[1]`: the fingerprint of the token replaced (empty: replace anything);
/// `ARGV[2]`, `ARGV[3]`: the new token's fingerprint and JSON. Returns 1 when written, 0 when
/// another host saved a different token first.
pub(super) const SAVE: &str = r"
local current = redis.call('HGET', KEYS[1], 'fp')
if ARGV[1] ~= '' and current and current ~= ARGV[1] and current ~= ARGV[2] then
  return 0
end
redis.call('HSET', KEYS[1], 'fp', ARGV[2], 'token', ARGV[3])
return 1
";

/// Takes the lease `KEYS[1]` for owner `ARGV[1]` for `ARGV[2]` milliseconds (`SET NX PX`);
/// returns 1 when taken, also when this owner holds it already (a try sent again after its
/// answer was lost), and 0 when another owner holds it.
pub(super) const ACQUIRE: &str = r"
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return 1
end
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return 1
end
return 0
";

/// Extends the lease `KEYS[1]` to `ARGV[2]` milliseconds if `ARGV[1]` still owns it.
pub(super) const RENEW: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
";

/// Deletes the lease `KEYS[1]` if `ARGV[1]` still owns it: a host whose lease expired does
/// not release the lease another host took since.
pub(super) const RELEASE: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
";

/// A digest of the token's secrets (access and refresh token): equal for the same token, and
/// it reveals neither.
pub(super) fn fingerprint(token: &Token) -> String {
    let mut digest = Sha256::new();
    digest.update(b"freshtoken fingerprint 1\0");
    digest.update(token.access_token().expose_secret().as_bytes());
    match token.refresh_token() {
        Some(refresh) => {
            digest.update(b"\0refresh\0");
            digest.update(refresh.expose_secret().as_bytes());
        }
        None => digest.update(b"\0none"),
    }
    URL_SAFE_NO_PAD.encode(digest.finalize())
}

#[cfg(test)]
mod tests {
    use super::fingerprint;
    use crate::Token;

    fn token(access: &str, refresh: Option<&str>) -> Token {
        let builder = Token::builder(access);
        match refresh {
            Some(refresh) => builder.refresh_token(refresh),
            None => builder,
        }
        .build()
        .unwrap()
    }

    #[test]
    fn fingerprints_tell_tokens_apart_and_hide_them() {
        let a = fingerprint(&token("access-1", Some("refresh-1")));
        assert_eq!(a, fingerprint(&token("access-1", Some("refresh-1"))));
        assert_ne!(a, fingerprint(&token("access-1", Some("refresh-2"))));
        assert_ne!(a, fingerprint(&token("access-1", None)));
        assert_ne!(a, fingerprint(&token("access-2", Some("refresh-1"))));
        assert_eq!(a.len(), 43, "SHA-256 in base64");
        assert!(!a.contains("access") && !a.contains("refresh"));
    }
}
