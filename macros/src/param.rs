// Input: the signature of a function given to `#[refresh_token]`.
// Output: its `#[token]` parameter (name and type), taken out of the signature, or errors that
// point at what is wrong with it.

use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Attribute, FnArg, Ident, Pat, Signature, Token, Type};

use crate::combine;
use crate::item::unmarked::is_token_type;

/// The parameter that receives the access token.
pub(crate) struct TokenParam {
    pub(crate) mutability: Option<Token![mut]>,
    pub(crate) ident: Ident,
    pub(crate) ty: Box<Type>,
}

fn is_token_attr(attr: &Attribute) -> bool {
    attr.path().is_ident("token")
}

/// Whether any parameter is marked `#[token]`.
pub(crate) fn has_token_param(sig: &Signature) -> bool {
    sig.inputs.iter().any(|arg| match arg {
        FnArg::Typed(typed) => typed.attrs.iter().any(is_token_attr),
        FnArg::Receiver(receiver) => receiver.attrs.iter().any(is_token_attr),
    })
}

/// Removes every `#[token]` attribute, so an item emitted beside an error does not add
/// "cannot find attribute `token`" to it.
pub(crate) fn strip_token_attrs(sig: &mut Signature) {
    for arg in &mut sig.inputs {
        match arg {
            FnArg::Typed(typed) => typed.attrs.retain(|attr| !is_token_attr(attr)),
            FnArg::Receiver(receiver) => receiver.attrs.retain(|attr| !is_token_attr(attr)),
        }
    }
}

/// Takes the `#[token]` parameter out of `sig`.
pub(crate) fn take_token_param(sig: &mut Signature) -> syn::Result<TokenParam> {
    let mut found: Option<TokenParam> = None;
    let mut errors: Vec<syn::Error> = Vec::new();
    let mut kept = Punctuated::new();

    for arg in std::mem::take(&mut sig.inputs) {
        let attr = match &arg {
            FnArg::Typed(typed) => typed.attrs.iter().find(|a| is_token_attr(a)),
            FnArg::Receiver(receiver) => receiver.attrs.iter().find(|a| is_token_attr(a)),
        };
        let Some(attr) = attr else {
            kept.push(arg);
            continue;
        };
        if let Err(error) = attr.meta.require_path_only() {
            errors.push(syn::Error::new(
                error.span(),
                "`#[token]` takes no arguments: write `#[token] token: &AccessToken`",
            ));
        }
        if found.is_some() {
            errors.push(syn::Error::new_spanned(
                attr,
                "only one parameter can be marked `#[token]`: remove this one",
            ));
            continue;
        }
        match arg {
            FnArg::Receiver(receiver) => errors.push(syn::Error::new(
                receiver.self_token.span(),
                "`#[token]` marks the parameter that receives the access token, not `self`: add a parameter such as `#[token] token: &AccessToken`",
            )),
            FnArg::Typed(typed) => match *typed.pat {
                Pat::Ident(pat) if pat.by_ref.is_none() && pat.subpat.is_none() => {
                    found = Some(TokenParam {
                        mutability: pat.mutability,
                        ident: pat.ident,
                        ty: typed.ty,
                    });
                }
                other => errors.push(syn::Error::new(
                    other.span(),
                    "`#[token]` needs a plain parameter name, not a pattern: write `#[token] token: &AccessToken`",
                )),
            },
        }
    }
    sig.inputs = kept;

    if let Some(error) = combine(errors) {
        return Err(error);
    }
    found.ok_or_else(|| missing_token_param(sig))
}

/// The error for a fn with no `#[token]` parameter: at the parameter of a token type, if it
/// has one (the marker was forgotten), else at the fn's name.
fn missing_token_param(sig: &Signature) -> syn::Error {
    let unmarked = sig.inputs.iter().find_map(|arg| match arg {
        FnArg::Typed(typed) if is_token_type(&typed.ty) => match &*typed.pat {
            Pat::Ident(pat) => Some((typed, pat.ident.to_string())),
            _ => None,
        },
        _ => None,
    });
    match unmarked {
        Some((typed, name)) => syn::Error::new(
            typed.span(),
            format!(
                "`{}` has no parameter marked `#[token]` to receive the access token: mark `{name}` with `#[token]` (`#[token] {name}: ...`), and `#[refresh_token]` supplies it",
                sig.ident
            ),
        ),
        None => syn::Error::new(
            sig.ident.span(),
            format!(
                "`{}` has no parameter marked `#[token]` to receive the access token: add one, for example `#[token] token: &AccessToken`",
                sig.ident
            ),
        ),
    }
}
