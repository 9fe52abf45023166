// Input: a path template as written: `/tasks/{id}/comments`.
// Output: its literal pieces and `{name}` parameters, or an error at the template that says
// what is wrong with it.

use syn::LitStr;
use syn::ext::IdentExt;
use syn::parse::Parser;

pub(crate) enum Piece {
    Literal(String),
    Param(String),
}

pub(crate) fn parse_template(literal: &LitStr) -> syn::Result<Vec<Piece>> {
    let text = literal.value();
    let error = |why: String| syn::Error::new(literal.span(), why);
    if !text.starts_with('/') {
        return Err(error(format!(
            "the path must start with `/`: write `\"/{text}\"` (it is joined to the base URL's path)"
        )));
    }
    if text.contains(['?', '#']) {
        return Err(error(
            "the path cannot hold a query or fragment: give query values as `#[query]` parameters"
                .to_owned(),
        ));
    }
    let mut pieces = Vec::new();
    let mut rest = text.as_str();
    let mut names: Vec<String> = Vec::new();
    while let Some(open) = rest.find(['{', '}']) {
        if rest[open..].starts_with('}') {
            return Err(error("a `}` with no `{` before it in the path".to_owned()));
        }
        if open > 0 {
            pieces.push(Piece::Literal(rest[..open].to_owned()));
        }
        let Some(close) = rest[open..].find('}') else {
            return Err(error("a `{` with no closing `}` in the path".to_owned()));
        };
        let written = &rest[open + 1..open + close];
        // A keyword names a parameter too: `{type}` is filled by `r#type`.
        let Ok(ident) = syn::Ident::parse_any.parse_str(written) else {
            return Err(error(format!(
                "`{{{written}}}` is not a parameter name: write the name of a method parameter, as in `{{id}}`"
            )));
        };
        let name = &ident.unraw().to_string();
        if names.iter().any(|seen| seen == name) {
            return Err(error(format!(
                "`{{{name}}}` appears twice in the path: use each parameter once"
            )));
        }
        names.push(name.to_owned());
        pieces.push(Piece::Param(name.to_owned()));
        rest = &rest[open + close + 1..];
    }
    if !rest.is_empty() {
        pieces.push(Piece::Literal(rest.to_owned()));
    }
    Ok(pieces)
}
