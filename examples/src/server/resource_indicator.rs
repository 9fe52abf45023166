// Input: the `resource` parameter (RFC 8707) of an authorization, token or device
// authorization request, and the resource of the grant a token request redeems.
// Output: the resource checked (an absolute URI without a fragment) or `invalid_target`, the
// resource a token is for, and a record of what each request carried, for tests.

use std::sync::{Mutex, PoisonError};

use reqwest::Url;

use super::form::Form;
use super::oauth_errors::{OAuthError, OAuthErrorCode};

/// What one request to `/oauth/authorize`, `/oauth/device_authorization` or `/oauth/token`
/// carried as its resource indicator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceRequest {
    /// `authorize`, `device_authorization`, or the `grant_type` of a token request.
    pub request: String,
    /// Its `resource`, if it sent one.
    pub resource: Option<String>,
}

/// The requests received so far, in order.
#[derive(Debug, Default)]
pub(crate) struct ResourceRequests(Mutex<Vec<ResourceRequest>>);

impl ResourceRequests {
    pub(crate) fn record(&self, request: &str, resource: Option<&str>) {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(ResourceRequest {
                request: request.to_owned(),
                resource: resource.map(str::to_owned),
            });
    }

    pub(crate) fn snapshot(&self) -> Vec<ResourceRequest> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

/// The request's `resource`, if it is an absolute URI without a fragment (RFC 8707 §2);
/// `invalid_target` otherwise.
pub(crate) fn checked_resource(form: &Form) -> Result<Option<&str>, OAuthError> {
    let Some(resource) = form.get("resource") else {
        return Ok(None);
    };
    match Url::parse(resource) {
        Ok(url) if url.fragment().is_none() => Ok(Some(resource)),
        _ => Err(invalid_target(
            "resource must be an absolute URI without a fragment",
        )),
    }
}

/// The resource a token is for: the one asked for, which must be the grant's when the grant
/// has one (a refresh or a code cannot switch resources), else the grant's.
pub(crate) fn granted_resource(
    granted: Option<&str>,
    asked: Option<&str>,
) -> Result<Option<String>, OAuthError> {
    match (granted, asked) {
        (Some(granted), Some(asked)) if granted != asked => Err(invalid_target(
            "resource differs from the resource of the grant",
        )),
        _ => Ok(asked.or(granted).map(str::to_owned)),
    }
}

fn invalid_target(description: &'static str) -> OAuthError {
    OAuthError::new(OAuthErrorCode::InvalidTarget, description)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(resource: &str) -> Form {
        Form::from_query(Some(&format!("resource={}", resource.replace('#', "%23")))).unwrap()
    }

    #[test]
    fn an_absolute_uri_is_accepted_and_a_relative_one_or_a_fragment_is_an_invalid_target() {
        assert_eq!(
            checked_resource(&form("https://mcp.example/mcp")).unwrap(),
            Some("https://mcp.example/mcp")
        );
        for bad in ["/mcp", "mcp.example", "https://mcp.example/#x"] {
            let error = checked_resource(&form(bad)).unwrap_err();
            assert_eq!(error.code, OAuthErrorCode::InvalidTarget, "{bad}");
        }
    }

    #[test]
    fn a_token_request_keeps_the_grants_resource_and_cannot_switch_it() {
        let granted = Some("https://a.example/");
        assert_eq!(granted_resource(granted, None).unwrap().as_deref(), granted);
        assert_eq!(
            granted_resource(granted, granted).unwrap().as_deref(),
            granted
        );
        assert_eq!(
            granted_resource(None, Some("https://b.example/"))
                .unwrap()
                .as_deref(),
            Some("https://b.example/")
        );
        let error = granted_resource(granted, Some("https://b.example/")).unwrap_err();
        assert_eq!(error.code, OAuthErrorCode::InvalidTarget);
    }
}
