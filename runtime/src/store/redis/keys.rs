// Input: the key prefix a user chose for one shared token.
// Output: the names of the Redis keys that hold it (and of its pub/sub channel), or why the prefix cannot be used.
//
// The prefix goes inside braces, a Redis Cluster hash tag, so the token and its lease are on
// one slot and one script can touch both; the key names never hold token bytes.

/// The longest prefix accepted: keys stay short, and a prefix this long is a mistake (a token
/// pasted in place of a name, say).
const MAX_PREFIX_LEN: usize = 128;

use crate::partition::PartitionId;

/// The keys of one shared token.
#[derive(Debug, Clone)]
pub(super) struct Keys {
    /// A hash: the saved token (`token`) and the fingerprint of its secrets (`fp`); or, after
    /// a logout, only the marker `cleared`, which refuses every save but a login.
    pub(super) token: String,
    /// The lease a host holds while it refreshes: a random owner id, with an expiry.
    pub(super) lease: String,
    /// The pub/sub channel told when a token is saved or cleared, or a lease released, so
    /// the hosts waiting for the lease need not poll. Its messages hold no token bytes.
    pub(super) events: String,
    /// A hash: the clients registered per authorization server (`RegistrationStore`, which
    /// needs the `reqwest` feature).
    #[cfg_attr(not(feature = "reqwest"), allow(dead_code))]
    pub(super) registrations: String,
}

impl Keys {
    /// The keys for `prefix`, or what is wrong with it.
    pub(super) fn new(prefix: &str) -> Result<Self, String> {
        if prefix.is_empty() {
            return Err("the key prefix is empty; name the token, e.g. \"billing-api\"".into());
        }
        if prefix.len() > MAX_PREFIX_LEN {
            return Err(format!(
                "the key prefix is {} bytes long, over the limit of {MAX_PREFIX_LEN}; use a short name",
                prefix.len()
            ));
        }
        if let Some(bad) = prefix
            .chars()
            .find(|c| matches!(c, '{' | '}') || c.is_whitespace() || c.is_control())
        {
            return Err(format!(
                "the key prefix holds {bad:?}, which a key name cannot (braces would break the \
                 Redis Cluster hash tag); use letters, digits, `-`, `_`, `:` or `.`"
            ));
        }
        Ok(Self {
            token: format!("freshtoken:{{{prefix}}}:token"),
            lease: format!("freshtoken:{{{prefix}}}:lease"),
            events: format!("freshtoken:{{{prefix}}}:events"),
            registrations: format!("freshtoken:{{{prefix}}}:registrations"),
        })
    }

    /// The keys of the partition `partition` of the token `prefix` (a prefix `Keys::new`
    /// accepted): `freshtoken:{<prefix>:<partition>}:…`, one hash tag per partition.
    pub(super) fn partition(prefix: &str, partition: &PartitionId) -> Self {
        let tag = format!("{prefix}:{partition}");
        Self {
            token: format!("freshtoken:{{{tag}}}:token"),
            lease: format!("freshtoken:{{{tag}}}:lease"),
            events: format!("freshtoken:{{{tag}}}:events"),
            registrations: format!("freshtoken:{{{tag}}}:registrations"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Keys;

    #[test]
    fn keys_share_one_hash_tag() {
        let keys = Keys::new("billing:eu").unwrap();
        assert_eq!(keys.token, "freshtoken:{billing:eu}:token");
        assert_eq!(keys.lease, "freshtoken:{billing:eu}:lease");
        assert_eq!(keys.events, "freshtoken:{billing:eu}:events");
        assert_eq!(keys.registrations, "freshtoken:{billing:eu}:registrations");
    }

    #[test]
    fn bad_prefixes_are_refused_with_the_reason() {
        for (prefix, expected) in [
            ("", "empty"),
            ("a{b", "'{'"),
            ("a}b", "'}'"),
            ("a b", "' '"),
            ("a\nb", "'\\n'"),
            (&"x".repeat(129), "over the limit"),
        ] {
            let reason = Keys::new(prefix).unwrap_err();
            assert!(reason.contains(expected), "{prefix:?}: {reason}");
        }
    }
}
