// Input: an `async fn` in an `impl` block under `#[refresh_token]` that the block leaves
// unwrapped (no `#[token]` parameter, no attribute of its own).
// Output: an error at each parameter whose type is one a `#[token]` parameter takes: the
// marker is most likely missing, and without it callers silently have to pass the token.

use syn::spanned::Spanned;
use syn::{FnArg, GenericArgument, Pat, PathArguments, Signature, Type};

/// An error per parameter of `sig` that looks like a forgotten `#[token]`.
pub(super) fn unmarked_token_params(sig: &Signature) -> Vec<syn::Error> {
    // Non-async fns are left out: one with a token parameter is most often a helper that
    // formats or checks a token its caller passes (`fn header(&self, token: &Token)`), and
    // nothing in the signature tells it from a blocking method whose marker was forgotten.
    if sig.asyncness.is_none() {
        return Vec::new();
    }
    sig.inputs
        .iter()
        .filter_map(|arg| match arg {
            FnArg::Typed(typed) if is_token_type(&typed.ty) => Some(typed),
            _ => None,
        })
        .map(|typed| {
            let name = match &*typed.pat {
                Pat::Ident(pat) => format!("parameter `{}`", pat.ident),
                _ => "this parameter".to_owned(),
            };
            syn::Error::new(
                typed.span(),
                format!(
                    "{name} has a token type but no `#[token]` marker, so `#[refresh_token]` leaves `{method}` unwrapped and its callers would pass the token: mark the parameter `#[token]` so that `#[refresh_token]` supplies it; if callers are meant to pass the token, move `{method}` to an `impl` block without `#[refresh_token]`",
                    method = sig.ident
                ),
            )
        })
        .collect()
}

/// Whether `ty` is, by name, one of the types a `#[token]` parameter may have: `&AccessToken`,
/// `AccessToken`, `&Token`, `Token`, `Arc<Token>`.
pub(crate) fn is_token_type(ty: &Type) -> bool {
    match ty {
        Type::Reference(reference) => is_named_token(&reference.elem),
        Type::Paren(paren) => is_token_type(&paren.elem),
        Type::Group(group) => is_token_type(&group.elem),
        Type::Path(path) => {
            let Some(last) = path.path.segments.last() else {
                return false;
            };
            match &last.arguments {
                PathArguments::None => last.ident == "Token" || last.ident == "AccessToken",
                PathArguments::AngleBracketed(arguments) if last.ident == "Arc" => {
                    arguments.args.iter().any(|argument| {
                        matches!(argument, GenericArgument::Type(inner) if is_named(inner, "Token"))
                    })
                }
                _ => false,
            }
        }
        _ => false,
    }
}

fn is_named_token(ty: &Type) -> bool {
    is_named(ty, "Token") || is_named(ty, "AccessToken")
}

/// Whether `ty` is a path ending in `name`, without generic arguments.
fn is_named(ty: &Type, name: &str) -> bool {
    match ty {
        Type::Paren(paren) => is_named(&paren.elem, name),
        Type::Group(group) => is_named(&group.elem, name),
        Type::Path(path) => path
            .path
            .segments
            .last()
            .is_some_and(|last| last.ident == name && last.arguments.is_none()),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors(sig: &str) -> usize {
        unmarked_token_params(&syn::parse_str(sig).unwrap()).len()
    }

    #[test]
    fn every_token_parameter_type_is_reported() {
        for ty in [
            "&AccessToken",
            "AccessToken",
            "&Token",
            "&'a freshtoken::Token",
            "Token",
            "Arc<Token>",
            "std::sync::Arc<freshtoken::Token>",
        ] {
            assert_eq!(
                errors(&format!("async fn f(&self, t: {ty}, page: u32)")),
                1,
                "{ty}"
            );
        }
        assert_eq!(
            errors("async fn f(t: &Token, (a, b): (Token, Token), u: Token)"),
            2
        );
    }

    #[test]
    fn other_parameters_and_plain_fns_are_not() {
        for ty in [
            "&str",
            "Arc<Self>",
            "Vec<Token>",
            "Option<&Token>",
            "TokenKind",
            "&mut Arc<str>",
        ] {
            assert_eq!(errors(&format!("async fn f(&self, t: {ty})")), 0, "{ty}");
        }
        assert_eq!(errors("fn header(&self, token: &Token) -> String"), 0);
    }
}
