// Input: a header name or value as written in an attribute.
// Output: the name in the lowercase form the runtime's `HeaderName::from_static` needs, or
// an error at the literal that says what is wrong, so no bad header reaches run time.

use syn::LitStr;

/// The name, lowercased, after checking it is an RFC 9110 token.
pub(crate) fn header_name(literal: &LitStr) -> syn::Result<String> {
    let name = literal.value();
    let is_tchar = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c);
    if name.is_empty() || !name.chars().all(is_tchar) {
        return Err(syn::Error::new(
            literal.span(),
            format!(
                "`{name}` is not a header name: use letters, digits and `-`, as in `\"x-request-id\"`"
            ),
        ));
    }
    Ok(name.to_ascii_lowercase())
}

/// The value, after checking a header can carry it.
pub(crate) fn header_value(literal: &LitStr) -> syn::Result<String> {
    let value = literal.value();
    if value.contains(['\r', '\n']) {
        return Err(syn::Error::new(
            literal.span(),
            "a header value is one line: remove the line break (`\\r` or `\\n`)",
        ));
    }
    if let Some(c) = value
        .chars()
        .find(|&c| c != '\t' && !(' '..='~').contains(&c))
    {
        return Err(syn::Error::new(
            literal.span(),
            format!(
                "a header value is visible ASCII, spaces or tabs, and `{}` is none of them: remove it, or percent-encode the value",
                c.escape_default()
            ),
        ));
    }
    Ok(value)
}
