// Input: `WWW-Authenticate` values in each form servers send, real-world ones, broken ones,
// and arbitrary bytes.
// Output: tests that each is read into the challenges it holds, that a broken challenge is
// skipped without losing its neighbours, and that nothing panics.

use http::header::WWW_AUTHENTICATE;
use http::{HeaderMap, HeaderValue};
use proptest::prelude::*;

use super::{Challenge, ChallengeError};

fn one(value: &str) -> Challenge {
    let mut challenges = Challenge::parse(value);
    assert_eq!(challenges.len(), 1, "{value:?} gave {challenges:?}");
    challenges.remove(0)
}

fn headers(values: &[&str]) -> HeaderMap {
    let mut headers = HeaderMap::new();
    for value in values {
        headers.append(WWW_AUTHENTICATE, HeaderValue::from_str(value).unwrap());
    }
    headers
}

#[test]
fn a_bare_scheme_is_a_challenge_without_parameters() {
    let challenge = one("Bearer");
    assert!(challenge.is_scheme("bearer"));
    assert_eq!(challenge.scheme(), "Bearer");
    assert_eq!(challenge.params().count(), 0);
    assert_eq!(challenge.error(), None);
    assert_eq!(challenge.scopes().count(), 0);
}

#[test]
fn several_challenges_in_one_header_are_told_apart() {
    let challenges =
        Challenge::parse(r#"Bearer realm="a", error="invalid_token", DPoP algs="ES256 PS256""#);
    assert_eq!(challenges.len(), 2, "{challenges:?}");
    assert!(challenges[0].is_scheme("Bearer"));
    assert_eq!(challenges[0].realm(), Some("a"));
    assert_eq!(challenges[0].error(), Some(ChallengeError::InvalidToken));
    assert_eq!(challenges[0].param("algs"), None);
    assert!(challenges[1].is_scheme("dpop"));
    assert_eq!(challenges[1].param("algs"), Some("ES256 PS256"));
    assert_eq!(challenges[1].realm(), None);
}

#[test]
fn bare_schemes_in_a_list_are_each_a_challenge() {
    let challenges = Challenge::parse("Negotiate, NTLM, Basic realm=x");
    let schemes: Vec<_> = challenges.iter().map(Challenge::scheme).collect();
    assert_eq!(schemes, ["Negotiate", "NTLM", "Basic"]);
    assert_eq!(challenges[2].realm(), Some("x"));
}

#[test]
fn several_headers_are_all_read_in_order() {
    let headers = headers(&[r#"Basic realm="api""#, r#"Bearer error="invalid_token""#]);
    let challenges = Challenge::parse_all(&headers);
    let schemes: Vec<_> = challenges.iter().map(Challenge::scheme).collect();
    assert_eq!(schemes, ["Basic", "Bearer"]);
    let bearer = Challenge::bearer(&headers).expect("the Bearer challenge");
    assert_eq!(bearer.error(), Some(ChallengeError::InvalidToken));
}

#[test]
fn the_bearer_challenge_is_found_in_any_case_and_dpop_by_name() {
    let headers = headers(&[r#"DPoP algs="ES256", BEARER realm="r""#]);
    assert_eq!(Challenge::bearer(&headers).unwrap().realm(), Some("r"));
    let dpop = Challenge::with_scheme(&headers, "dpop").unwrap();
    assert_eq!(dpop.param("ALGS"), Some("ES256"));
    assert!(Challenge::bearer(&self::headers(&["Basic realm=x"])).is_none());
    assert!(Challenge::bearer(&HeaderMap::new()).is_none());
}

#[test]
fn a_quoted_scope_with_escapes_is_unquoted_and_split() {
    let challenge = one(r#"Bearer scope="read \"quoted\"  write\\all", realm="say \"hi\"""#);
    assert_eq!(
        challenge.scopes().collect::<Vec<_>>(),
        ["read", r#""quoted""#, r"write\all"]
    );
    assert_eq!(challenge.realm(), Some(r#"say "hi""#));
}

#[test]
fn a_comma_inside_quotes_does_not_split_the_challenge() {
    let challenge = one(r#"Bearer error_description="expired, log in again", error=invalid_token"#);
    assert_eq!(challenge.error_description(), Some("expired, log in again"));
    assert_eq!(challenge.error(), Some(ChallengeError::InvalidToken));
}

#[test]
fn unquoted_values_and_any_order_are_read() {
    let challenge = one("Bearer error=insufficient_scope, scope=admin, realm=example");
    assert_eq!(challenge.realm(), Some("example"));
    assert_eq!(challenge.error(), Some(ChallengeError::InsufficientScope));
    assert_eq!(challenge.scopes().collect::<Vec<_>>(), ["admin"]);
}

#[test]
fn an_unquoted_url_is_read_whole() {
    let challenge = one(
        "Bearer resource_metadata=https://api.example.com/.well-known/oauth-protected-resource?x=1",
    );
    let url = challenge.resource_metadata().unwrap().unwrap();
    assert_eq!(
        url.as_str(),
        "https://api.example.com/.well-known/oauth-protected-resource?x=1"
    );
}

#[test]
fn extra_spaces_and_empty_list_elements_are_passed_over() {
    let challenges = Challenge::parse(
        " ,, Bearer   realm = \"a\" ,  , error\t=\t\"invalid_token\" ,,, Basic realm=b , ",
    );
    assert_eq!(challenges.len(), 2, "{challenges:?}");
    assert_eq!(challenges[0].realm(), Some("a"));
    assert_eq!(challenges[0].error(), Some(ChallengeError::InvalidToken));
    assert_eq!(challenges[1].realm(), Some("b"));
}

#[test]
fn a_missing_comma_between_parameters_is_tolerated() {
    let challenges = Challenge::parse(r#"Bearer realm="a" error="invalid_token" scope=x, Basic"#);
    assert_eq!(challenges.len(), 2, "{challenges:?}");
    assert_eq!(challenges[0].realm(), Some("a"));
    assert_eq!(challenges[0].error(), Some(ChallengeError::InvalidToken));
    assert_eq!(challenges[0].scopes().collect::<Vec<_>>(), ["x"]);
    assert!(challenges[1].is_scheme("Basic"));
}

#[test]
fn parameter_names_compare_case_insensitively() {
    let challenge = one(r#"Bearer Realm="a", ERROR="invalid_request", Scope="x y""#);
    assert_eq!(challenge.realm(), Some("a"));
    assert_eq!(challenge.error(), Some(ChallengeError::InvalidRequest));
    assert_eq!(challenge.scopes().count(), 2);
    assert_eq!(challenge.params().next(), Some(("Realm", "a")));
}

#[test]
fn a_repeated_parameter_keeps_its_first_value() {
    let challenge = one(r#"Bearer realm="first", realm="second""#);
    assert_eq!(challenge.realm(), Some("first"));
    assert_eq!(challenge.params().count(), 1);
}

#[test]
fn a_token68_is_kept_apart_from_parameters() {
    let challenges = Challenge::parse("Newauth abc/DEF+12==, Bearer realm=x");
    assert_eq!(challenges.len(), 2, "{challenges:?}");
    assert_eq!(challenges[0].token68(), Some("abc/DEF+12=="));
    assert_eq!(challenges[0].params().count(), 0);
    assert_eq!(challenges[1].token68(), None);
    assert_eq!(challenges[1].realm(), Some("x"));
}

#[test]
fn each_error_code_is_its_own_case() {
    let cases = [
        ("invalid_request", ChallengeError::InvalidRequest),
        ("invalid_token", ChallengeError::InvalidToken),
        ("Insufficient_Scope", ChallengeError::InsufficientScope),
        ("use_dpop_nonce", ChallengeError::UseDpopNonce),
        ("invalid_dpop_proof", ChallengeError::InvalidDpopProof),
        (
            "temporarily_unavailable",
            ChallengeError::Other("temporarily_unavailable".into()),
        ),
    ];
    for (code, expected) in cases {
        let challenge = one(&format!("DPoP error=\"{code}\""));
        assert_eq!(challenge.error(), Some(expected.clone()), "{code}");
        assert_eq!(expected.to_string(), code.to_ascii_lowercase());
    }
}

#[test]
fn resource_metadata_that_is_not_an_absolute_https_url_is_refused() {
    for value in [
        "/.well-known/oauth-protected-resource",
        "ftp://example.com/metadata",
        "javascript:alert(1)",
        "mailto:admin@example.com",
        "file:///etc/passwd",
        "https://",
        "not a url at all",
    ] {
        let escaped = value.replace('"', "\\\"");
        let challenge = one(&format!("Bearer resource_metadata=\"{escaped}\""));
        let error = challenge.resource_metadata().expect_err(value);
        let message = error.to_string();
        assert!(message.contains("resource_metadata"), "{message}");
        assert!(!message.contains(value), "the value is repeated: {message}");
    }
    let http = one(
        r#"Bearer resource_metadata="http://127.0.0.1:8080/.well-known/oauth-protected-resource""#,
    );
    assert_eq!(
        http.resource_metadata().unwrap().unwrap().port(),
        Some(8080)
    );
    assert_eq!(one("Bearer").resource_metadata(), Ok(None));
}

#[test]
fn a_broken_challenge_is_skipped_and_its_neighbours_kept() {
    let challenges = Challenge::parse(
        r#"Bearer realm="a", Broken realm "no equals", stray=1, DPoP algs="ES256", "junk", Basic realm=b"#,
    );
    let schemes: Vec<_> = challenges.iter().map(Challenge::scheme).collect();
    assert_eq!(schemes, ["Bearer", "DPoP", "Basic"], "{challenges:?}");
    assert_eq!(challenges[0].realm(), Some("a"));
    assert_eq!(challenges[0].param("stray"), None);
}

#[test]
fn parameters_without_a_scheme_are_not_a_challenge() {
    assert_eq!(Challenge::parse(r#"realm="a", error="invalid_token""#), []);
    assert_eq!(Challenge::parse(""), []);
    assert_eq!(Challenge::parse(" , ,"), []);
}

#[test]
fn an_unterminated_quote_drops_only_its_challenge() {
    let challenges = Challenge::parse(r#"Basic realm=b, Bearer realm="never ends, error=x"#);
    assert_eq!(challenges.len(), 1, "{challenges:?}");
    assert!(challenges[0].is_scheme("Basic"));
}

#[test]
fn bytes_that_are_not_utf8_do_not_stop_the_parse() {
    let mut headers = HeaderMap::new();
    headers.insert(
        WWW_AUTHENTICATE,
        HeaderValue::from_bytes(b"Bearer realm=\"caf\xe9\", error=invalid_token").unwrap(),
    );
    let bearer = Challenge::bearer(&headers).unwrap();
    assert_eq!(bearer.realm(), Some("caf\u{fffd}"));
    assert_eq!(bearer.error(), Some(ChallengeError::InvalidToken));
}

#[test]
fn an_rfc_9728_insufficient_scope_challenge_is_read_whole() {
    let challenge = one(
        r#"Bearer realm="example", error="insufficient_scope", scope="files:read files:write", resource_metadata="https://api.example.com/.well-known/oauth-protected-resource""#,
    );
    assert_eq!(challenge.realm(), Some("example"));
    assert_eq!(challenge.error(), Some(ChallengeError::InsufficientScope));
    assert_eq!(
        challenge.scopes().collect::<Vec<_>>(),
        ["files:read", "files:write"]
    );
    let url = challenge.resource_metadata().unwrap().unwrap();
    assert_eq!(url.host_str(), Some("api.example.com"));
}

#[test]
fn real_world_headers_are_read() {
    // GitHub's API answers a missing or bad token like this.
    let github = one(r#"Bearer realm="GitHub""#);
    assert_eq!(github.realm(), Some("GitHub"));

    // Google APIs: error and scope, the scope a URL.
    let google = one(
        r#"Bearer realm="https://accounts.google.com/", error="insufficient_scope", scope="https://www.googleapis.com/auth/drive.readonly""#,
    );
    assert_eq!(google.error(), Some(ChallengeError::InsufficientScope));
    assert_eq!(
        google.scopes().collect::<Vec<_>>(),
        ["https://www.googleapis.com/auth/drive.readonly"]
    );

    // Azure AD / Microsoft Graph: several parameters, with an empty realm.
    let azure = one(
        r#"Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000", error="invalid_token", error_description="The access token has expired.""#,
    );
    assert_eq!(azure.realm(), Some(""));
    assert_eq!(
        azure.param("authorization_uri"),
        Some("https://login.microsoftonline.com/common/oauth2/authorize")
    );
    assert_eq!(
        azure.error_description(),
        Some("The access token has expired.")
    );

    // Auth0 style: error_description with a colon and an error_uri.
    let auth0 = one(
        r#"Bearer realm="api", error="invalid_token", error_description="jwt expired: 2024-01-01", error_uri="https://example.auth0.com/docs/errors""#,
    );
    assert_eq!(auth0.error(), Some(ChallengeError::InvalidToken));
    assert_eq!(
        auth0.error_uri(),
        Some("https://example.auth0.com/docs/errors")
    );

    // A DPoP server asking for a nonce, beside a Bearer challenge (RFC 9449).
    let both = Challenge::parse(
        r#"DPoP error="use_dpop_nonce", error_description="Resource server requires nonce in DPoP proof", Bearer"#,
    );
    assert_eq!(both.len(), 2, "{both:?}");
    assert_eq!(both[0].error(), Some(ChallengeError::UseDpopNonce));
    assert!(both[1].is_scheme("Bearer"));
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        let text = String::from_utf8_lossy(&bytes);
        for challenge in Challenge::parse(&text) {
            prop_assert!(!challenge.scheme().is_empty());
            let _ = challenge.resource_metadata();
            let _ = challenge.scopes().count();
        }
        if let Ok(value) = HeaderValue::from_bytes(&bytes) {
            let mut headers = HeaderMap::new();
            headers.insert(WWW_AUTHENTICATE, value);
            let _ = Challenge::parse_all(&headers);
        }
    }

    #[test]
    fn header_like_text_never_panics(
        text in r#"([A-Za-z]{1,6}|[ ,="\\\t]|[a-z]{1,4}=|"[^"]{0,5}"?|\\.|\u{e9}){0,24}"#,
    ) {
        for challenge in Challenge::parse(&text) {
            prop_assert!(challenge.scheme().bytes().all(super::is_token_char));
            prop_assert!(text.len() >= challenge.scheme().len());
        }
    }
}

#[test]
fn a_scope_refusal_is_read_from_a_bearer_or_a_dpop_challenge() {
    let refusal = |value: &str| {
        let mut headers = http::HeaderMap::new();
        headers.insert(http::header::WWW_AUTHENTICATE, value.parse().unwrap());
        Challenge::scope_refusal(&headers)
    };
    let dpop = r#"DPoP error="insufficient_scope", scope="tasks:write", algs="ES256""#;
    assert_eq!(refusal(dpop), Some(vec!["tasks:write".to_owned()]));
    let bearer = r#"Basic realm="x", Bearer error="insufficient_scope", scope="a b""#;
    assert_eq!(refusal(bearer), Some(vec!["a".to_owned(), "b".to_owned()]));
    assert_eq!(refusal(r#"DPoP error="invalid_token""#), None);
    assert_eq!(refusal(r#"Other error="insufficient_scope""#), None);
}
