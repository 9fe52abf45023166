// Input: the scopes a caller needs, in any order, maybe repeated.
// Output: a set that compares as a set, and tells whether a token's scopes cover it.

use std::fmt;
use std::sync::Arc;

use crate::Token;

/// The OAuth2 scopes a partition's token is asked for: a set (order and repeats do not
/// matter), part of the partition's identity beside its key.
///
/// A token for a set serves a request for any subset of it:
/// [`TokenCaches::cache_for`](super::TokenCaches::cache_for) with `["read"]` is served by a
/// partition that holds a token for `["read", "write"]`, with no second login.
///
/// ```
/// use freshtoken::partition::ScopeSet;
///
/// let wide = ScopeSet::new(["write", "read"]);
/// assert!(wide.contains_all(&ScopeSet::new(["read"])));
/// assert_eq!(wide, ScopeSet::new(["read", "write", "read"]));
/// assert_eq!(wide.to_string(), "read write");
/// ```
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct ScopeSet(Arc<[String]>);

impl ScopeSet {
    /// The set of `scopes`; empty strings are left out.
    pub fn new<I>(scopes: I) -> Self
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        let mut scopes: Vec<String> = scopes
            .into_iter()
            .map(Into::into)
            .filter(|scope| !scope.is_empty())
            .collect();
        scopes.sort_unstable();
        scopes.dedup();
        Self(scopes.into())
    }

    /// The set a space-separated `scope` parameter names (RFC 6749, section 3.3).
    #[must_use]
    pub fn parse(scope: &str) -> Self {
        Self::new(scope.split(' '))
    }

    /// Whether the set is empty: any token serves it.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The scopes, sorted.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(String::as_str)
    }

    /// Whether every scope of `other` is in this set.
    #[must_use]
    pub fn contains_all(&self, other: &ScopeSet) -> bool {
        // Both sorted: one pass.
        let mut mine = self.0.iter();
        other
            .0
            .iter()
            .all(|wanted| mine.by_ref().any(|held| held == wanted))
    }

    pub(crate) fn as_slice(&self) -> &[String] {
        &self.0
    }

    /// Whether `token`, obtained for this set, serves a request for `wanted`: by the scopes
    /// the server said it granted (an answer's `scope`, which may be narrower or wider than
    /// the request), else by the scopes asked for.
    pub(crate) fn token_covers(&self, token: &Token, wanted: &ScopeSet) -> bool {
        match token.scope() {
            Some(granted) => ScopeSet::parse(granted).contains_all(wanted),
            None => self.contains_all(wanted),
        }
    }
}

impl fmt::Display for ScopeSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.join(" "))
    }
}

impl fmt::Debug for ScopeSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

impl<S: Into<String>> FromIterator<S> for ScopeSet {
    fn from_iter<I: IntoIterator<Item = S>>(scopes: I) -> Self {
        Self::new(scopes)
    }
}

#[cfg(test)]
mod tests {
    use super::ScopeSet;
    use crate::Token;

    #[test]
    fn a_set_contains_its_subsets_only() {
        let set = ScopeSet::new(["a", "c", "e"]);
        assert!(set.contains_all(&ScopeSet::default()));
        assert!(set.contains_all(&ScopeSet::new(["e", "a"])));
        assert!(set.contains_all(&set));
        assert!(!set.contains_all(&ScopeSet::new(["a", "b"])));
        assert!(!set.contains_all(&ScopeSet::new(["f"])));
        assert!(!ScopeSet::default().contains_all(&ScopeSet::new(["a"])));
        assert_eq!(ScopeSet::parse(" a  b a"), ScopeSet::new(["b", "a"]));
    }

    #[test]
    fn a_granted_scope_decides_over_the_one_asked_for() {
        let asked = ScopeSet::new(["read", "write"]);
        let narrowed = Token::builder("t").scope("read").build().unwrap();
        assert!(asked.token_covers(&narrowed, &ScopeSet::new(["read"])));
        assert!(!asked.token_covers(&narrowed, &ScopeSet::new(["write"])));
        let silent = Token::builder("t").build().unwrap();
        assert!(asked.token_covers(&silent, &ScopeSet::new(["write"])));
    }
}
