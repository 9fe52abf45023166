// Input: `GET /.well-known/oauth-protected-resource`, and the scope a Tasks API route needs.
// Output: the server's RFC 9728 protected resource metadata, and which scopes a token's
// `scope` claim holds.

use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

use super::dpop;
use super::state::Shared;

/// Where the metadata is (RFC 9728 §3.1, for the resource at the server's base URL).
pub(crate) const RESOURCE_METADATA_PATH: &str = "/.well-known/oauth-protected-resource";

/// Reading the caller's tasks (`GET /tasks`).
pub(crate) const TASKS_READ: &str = "tasks:read";
/// Changing the caller's tasks (create, complete, delete).
pub(crate) const TASKS_WRITE: &str = "tasks:write";
/// The scope of older clients: both of the above.
pub(crate) const TASKS_ALL: &str = "tasks";

/// The scopes the resource knows, in its metadata.
const SCOPES_SUPPORTED: [&str; 3] = [TASKS_READ, TASKS_WRITE, TASKS_ALL];

/// `GET /.well-known/oauth-protected-resource`.
pub(crate) async fn metadata(State(state): State<Shared>) -> Json<Value> {
    let mut metadata = json!({
        "resource": state.base_url,
        "authorization_servers": [state.issuer],
        "scopes_supported": SCOPES_SUPPORTED,
        "bearer_methods_supported": ["header"],
        "resource_name": "Tasks API",
    });
    if state.dpop.supported() {
        metadata["dpop_signing_alg_values_supported"] = json!(dpop::ALGORITHMS);
    }
    Json(metadata)
}

/// Whether a token whose `scope` claim is `granted` may use a route that needs `needed`. A
/// token issued without a scope (the JSON login, an OAuth login that asked for none) holds
/// every scope, so clients that never ask for one keep working.
pub(crate) fn holds(granted: Option<&str>, needed: &str) -> bool {
    let Some(granted) = granted else {
        return true;
    };
    granted.split(' ').any(|item| {
        item == needed || (item == TASKS_ALL && (needed == TASKS_READ || needed == TASKS_WRITE))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_holds_its_scopes_the_umbrella_scope_or_everything_without_a_claim() {
        assert!(holds(None, TASKS_WRITE));
        assert!(holds(Some("tasks:read tasks:write"), TASKS_WRITE));
        assert!(holds(Some(TASKS_ALL), TASKS_READ));
        assert!(!holds(Some(TASKS_READ), TASKS_WRITE));
        assert!(!holds(Some("tasks:readx"), TASKS_READ));
        assert!(!holds(Some(""), TASKS_READ));
    }
}
