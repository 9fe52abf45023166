// Input: what a host wants done to the shared token and its lease.
// Output: the Lua scripts that do it atomically on the Redis server, and the fingerprint that
// tells one token from another without putting its secrets in a comparison.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

use crate::Token;

/// Writes the token `KEYS[1]` unless another one than the token it replaces is stored, or a
/// logout is. `ARGV[1]`: the fingerprint of the token replaced (empty: a login, which replaces
/// anything, a logout included); `ARGV[2]`, `ARGV[3]`: the new token's fingerprint and JSON;
/// `ARGV[4]`: `1` to write only over the token replaced (never where nothing is stored);
/// `ARGV[5]`: the owner of the lease `KEYS[2]` the writer holds (empty: none), released by the
/// same script, since the refresh is over once its token is saved; `ARGV[6]`: the channel
/// told "saved". Returns 1 when written, 2 when written and the lease released, 0 when
/// refused, 3 when refused because of a logout.
///
/// A missing key is not a logout (a Redis that lost its data holds nothing): a renewal may
/// write there. A logout leaves a tombstone (`cleared`) that only a login replaces, so a host
/// stopped mid-refresh cannot log the fleet back in.
pub(super) const SAVE: &str = r"
if ARGV[1] ~= '' then
  local current = redis.call('HGET', KEYS[1], 'fp')
  if current then
    if current ~= ARGV[1] and current ~= ARGV[2] then
      return 0
    end
  elseif redis.call('EXISTS', KEYS[1]) == 1 then
    return 3
  elseif ARGV[4] == '1' then
    return 0
  end
end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'fp', ARGV[2], 'token', ARGV[3])
local written = 1
if ARGV[5] ~= '' and redis.call('GET', KEYS[2]) == ARGV[5] then
  redis.call('DEL', KEYS[2])
  written = 2
end
redis.call('PUBLISH', ARGV[6], 'saved')
return written
";

/// A logout: replaces the token `KEYS[1]` with a tombstone that refuses every save but a login
/// (`SAVE` with no token replaced), and tells the channel `ARGV[1]`.
pub(super) const CLEAR: &str = r"
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'cleared', '1')
redis.call('PUBLISH', ARGV[1], 'cleared')
return 1
";

/// Takes the lease `KEYS[1]` for owner `ARGV[1]` for `ARGV[2]` milliseconds (`SET NX PX`), and
/// reads the token `KEYS[2]` with it, so the holder's next load costs no round trip.
///
/// Returns `{2, 0, token JSON}`, taking no lease, if the stored token's fingerprint is no
/// longer `ARGV[3]` (a host saved a new token while this one waited: adopt it). Else `{1, 0,
/// token JSON or false}` when the lease is taken, also when this owner holds it already (a
/// try sent again after its answer was lost); and when another owner holds it, `{0,
/// milliseconds the lease has left, the stored fingerprint or false}`.
pub(super) const ACQUIRE: &str = r"
local fp = redis.call('HGET', KEYS[2], 'fp')
if ARGV[3] ~= '' and fp and fp ~= ARGV[3] then
  return {2, 0, redis.call('HGET', KEYS[2], 'token')}
end
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) or redis.call('GET', KEYS[1]) == ARGV[1] then
  return {1, 0, redis.call('HGET', KEYS[2], 'token')}
end
return {0, redis.call('PTTL', KEYS[1]), fp}
";

/// Extends the lease `KEYS[1]` to `ARGV[2]` milliseconds if `ARGV[1]` still owns it.
pub(super) const RENEW: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
";

/// Deletes the lease `KEYS[1]` if `ARGV[1]` still owns it (a host whose lease expired does
/// not release the lease another host took since), and tells the channel `ARGV[2]`, so the
/// hosts waiting for it try at once.
pub(super) const RELEASE: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  redis.call('PUBLISH', ARGV[2], 'released')
  return 1
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
