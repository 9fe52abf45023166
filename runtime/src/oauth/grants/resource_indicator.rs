// Input: the extra form parameters of a grant source, `resource` (RFC 8707) among them.
// Output: those resource indicators checked (an absolute URI without a fragment, section 2),
// and the one a token is marked with.

use reqwest::Url;

use crate::AuthError;

/// The name of the parameter (RFC 8707 section 2).
pub(super) const RESOURCE: &str = "resource";

/// `params` with `resource` as the only resource indicator.
pub(super) fn set(params: &mut Vec<(String, String)>, resource: String) {
    params.retain(|(name, _)| name != RESOURCE);
    params.push((RESOURCE.to_owned(), resource));
}

/// The resource indicator a token from these `params` is for: the one `resource` parameter,
/// or `None` when there is none (or several, which no single resource names). Every
/// `resource` is checked first: one that is not an absolute URI, or has a fragment, is
/// refused before anything is sent.
pub(super) fn checked(params: &[(String, String)]) -> Result<Option<&str>, AuthError> {
    let mut resources = params
        .iter()
        .filter(|(name, _)| name == RESOURCE)
        .map(|(_, value)| value.as_str());
    let first = resources.next();
    let mut several = false;
    for resource in first.into_iter().chain(resources) {
        check(resource)?;
        several |= Some(resource) != first;
    }
    Ok(if several { None } else { first })
}

fn check(resource: &str) -> Result<(), AuthError> {
    let problem = match Url::parse(resource) {
        Err(error) => format!("is not an absolute URI ({error})"),
        Ok(url) if url.fragment().is_some() => "has a fragment (`#...`)".to_owned(),
        Ok(_) => return Ok(()),
    };
    Err(AuthError::rejected(format!(
        "not sent: the resource indicator {resource:?} (set with `resource`) {problem}; \
         RFC 8707 wants the absolute URI of the protected resource without a fragment, such \
         as `https://mcp.example.com/mcp`"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(values: &[&str]) -> Vec<(String, String)> {
        values
            .iter()
            .map(|value| (RESOURCE.to_owned(), (*value).to_owned()))
            .collect()
    }

    #[test]
    fn an_absolute_uri_is_the_tokens_resource() {
        let one = params(&["https://mcp.example/mcp"]);
        assert_eq!(checked(&one).unwrap(), Some("https://mcp.example/mcp"));
        assert_eq!(
            checked(&params(&["urn:example:api"])).unwrap(),
            Some("urn:example:api")
        );
        assert_eq!(checked(&[]).unwrap(), None);
        let two = params(&["https://a.example/", "https://b.example/"]);
        assert_eq!(checked(&two).unwrap(), None);
    }

    #[test]
    fn a_relative_resource_or_one_with_a_fragment_is_refused_naming_it_and_the_rule() {
        for (resource, problem) in [
            ("/mcp", "not an absolute URI"),
            ("mcp.example", "not an absolute URI"),
            ("https://mcp.example/#part", "has a fragment"),
        ] {
            let error = checked(&params(&["https://ok.example/", resource])).unwrap_err();
            let message = error.to_string();
            assert!(
                message.contains(&format!("{resource:?}"))
                    && message.contains(problem)
                    && message.contains("RFC 8707"),
                "{message}"
            );
        }
    }

    #[test]
    fn set_replaces_the_resource_and_keeps_other_parameters() {
        let mut params = vec![
            ("audience".to_owned(), "x".to_owned()),
            (RESOURCE.to_owned(), "https://old.example/".to_owned()),
        ];
        set(&mut params, "https://new.example/".to_owned());
        assert_eq!(
            params,
            [
                ("audience".to_owned(), "x".to_owned()),
                (RESOURCE.to_owned(), "https://new.example/".to_owned())
            ]
        );
    }
}
