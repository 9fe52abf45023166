// Input: the scope a resource's 401 or 403 challenge asks for, the scopes its metadata and the
// authorization server's metadata list, and the scopes a token already holds.
// Output: the scopes to ask the authorization server for (MCP authorization's scope
// selection), and for a step-up, whether asking again can help at all.

/// The scopes to ask for after a resource's challenge, in order:
///
/// 1. the challenge's `scope` (space-separated, as in `WWW-Authenticate: Bearer scope="..."`),
///    when it names any;
/// 2. else every scope of the resource metadata's `scopes_supported`;
/// 3. else none: the `scope` parameter is then left out and the server grants its default.
///
/// `offline_access` (a refresh token) is added only when the authorization server lists it in
/// its own `scopes_supported` (`server_scopes_supported`), and only to a non-empty selection:
/// asking for `offline_access` alone would narrow the server's default to it. Duplicates are
/// dropped; the order is kept.
///
/// ```
/// use freshtoken::oauth::resource::select_scopes;
///
/// let server = ["files:read".to_owned(), "offline_access".to_owned()];
/// let scopes = select_scopes(Some("files:read files:write"), None, Some(&server));
/// assert_eq!(scopes, ["files:read", "files:write", "offline_access"]);
/// ```
#[must_use]
pub fn select_scopes(
    challenge_scope: Option<&str>,
    resource_scopes_supported: Option<&[String]>,
    server_scopes_supported: Option<&[String]>,
) -> Vec<String> {
    let mut scopes = Vec::new();
    if let Some(challenge_scope) = challenge_scope {
        add_all(&mut scopes, challenge_scope.split_whitespace());
    }
    if scopes.is_empty()
        && let Some(supported) = resource_scopes_supported
    {
        add_all(&mut scopes, supported);
    }
    let server_offers_refresh = server_scopes_supported
        .is_some_and(|supported| supported.iter().any(|scope| scope == OFFLINE_ACCESS));
    if !scopes.is_empty() && server_offers_refresh {
        add_all(&mut scopes, [OFFLINE_ACCESS]);
    }
    scopes
}

/// The scope that asks for a refresh token (`OpenID` Connect Core section 11).
const OFFLINE_ACCESS: &str = "offline_access";

/// The scopes to ask for when a resource challenges a token for more (`insufficient_scope`):
/// those `held` and those `challenged`, or `None` when `held` already includes every challenged
/// scope. Asking again for what the token has would get the same refusal, so `None` is where
/// a step-up loop stops.
///
/// ```
/// use freshtoken::oauth::resource::step_up_scopes;
///
/// let more = step_up_scopes(&["files:read"], &["files:write"]);
/// assert_eq!(more.unwrap(), ["files:read", "files:write"]);
/// assert_eq!(step_up_scopes(&["files:read", "files:write"], &["files:write"]), None);
/// ```
#[must_use]
pub fn step_up_scopes(
    held: &[impl AsRef<str>],
    challenged: &[impl AsRef<str>],
) -> Option<Vec<String>> {
    let missing = challenged
        .iter()
        .any(|scope| !held.iter().any(|have| have.as_ref() == scope.as_ref()));
    if !missing {
        return None;
    }
    let mut scopes = Vec::new();
    add_all(&mut scopes, held);
    add_all(&mut scopes, challenged);
    Some(scopes)
}

/// Appends each scope not already in `scopes`, skipping empty ones.
fn add_all(scopes: &mut Vec<String>, more: impl IntoIterator<Item = impl AsRef<str>>) {
    for scope in more {
        let scope = scope.as_ref();
        if !scope.is_empty() && !scopes.iter().any(|have| have == scope) {
            scopes.push(scope.to_owned());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn owned(scopes: &[&str]) -> Vec<String> {
        scopes.iter().map(|&scope| scope.to_owned()).collect()
    }

    #[test]
    fn the_challenge_scope_is_asked_for_before_the_resources_scopes_supported() {
        let resource = owned(&["a", "b", "c"]);
        assert_eq!(
            select_scopes(Some(" read  write read "), Some(&resource), None),
            ["read", "write"]
        );
    }

    #[test]
    fn without_a_challenge_scope_every_scope_the_resource_supports_is_asked_for() {
        let resource = owned(&["a", "b"]);
        assert_eq!(select_scopes(None, Some(&resource), None), ["a", "b"]);
        assert_eq!(select_scopes(Some("  "), Some(&resource), None), ["a", "b"]);
    }

    #[test]
    fn without_any_scope_listed_none_is_asked_for() {
        let server = owned(&["offline_access"]);
        assert!(select_scopes(None, None, Some(&server)).is_empty());
        assert!(select_scopes(Some(""), Some(&[]), Some(&server)).is_empty());
    }

    #[test]
    fn offline_access_is_added_only_when_the_authorization_server_lists_it() {
        let resource = owned(&["a"]);
        let with = owned(&["a", "offline_access"]);
        let without = owned(&["a", "b"]);
        assert_eq!(
            select_scopes(None, Some(&resource), Some(&with)),
            ["a", "offline_access"]
        );
        assert_eq!(select_scopes(None, Some(&resource), Some(&without)), ["a"]);
        assert_eq!(select_scopes(None, Some(&resource), None), ["a"]);
        assert_eq!(
            select_scopes(Some("offline_access a"), None, Some(&with)),
            ["offline_access", "a"],
            "offline_access asked for twice"
        );
    }

    #[test]
    fn a_step_up_asks_for_the_held_and_the_challenged_scopes() {
        assert_eq!(
            step_up_scopes(&["a", "b"], &["b", "c", "c"]).unwrap(),
            ["a", "b", "c"]
        );
        assert_eq!(step_up_scopes(&[] as &[&str], &["c"]).unwrap(), ["c"]);
    }

    #[test]
    fn a_step_up_for_scopes_already_held_is_none_so_the_loop_stops() {
        assert_eq!(step_up_scopes(&["a", "b"], &["b", "a"]), None);
        assert_eq!(step_up_scopes(&["a"], &[] as &[&str]), None);
    }
}
