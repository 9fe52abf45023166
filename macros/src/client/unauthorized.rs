// Input: the value of an `unauthorized = ...` option, on the trait or on an HTTP attribute.
// Output: the statuses (`[401, 422]`, checked) or the function's path, and the `TokenRefused`
// the method's spec holds; or an error at the offending token that says what to write.

use proc_macro2::{Span, TokenStream, TokenTree};
use quote::{quote, quote_spanned};
use syn::parse::ParseStream;
use syn::spanned::Spanned;
use syn::{LitInt, Path, Token};

const FORMS: &str = "write the statuses that mean the token was refused, `unauthorized = [401, 422]`, or a function that decides, `unauthorized = path::to::function` (a `fn(&freshtoken::client::Error) -> bool`)";

/// What an `unauthorized = ...` option says.
pub(crate) enum Unauthorized {
    /// `[401, 422]`.
    Statuses(Vec<u16>),
    /// `path::to::function`.
    Decide(Path),
}

impl Unauthorized {
    /// Parses the value after `unauthorized =`.
    pub(crate) fn parse(input: ParseStream) -> syn::Result<Self> {
        if input.peek(syn::token::Bracket) {
            let content;
            let brackets = syn::bracketed!(content in input);
            return statuses(&content, brackets.span.join()).map(Self::Statuses);
        }
        if input.peek(Token![::]) || input.peek(syn::Ident) {
            return input.parse().map(Self::Decide);
        }
        Err(input.error(format!("expected a list or a function: {FORMS}")))
    }

    /// The `TokenRefused` of a method's spec; a wrong function is reported at its path.
    pub(crate) fn spec_value(rule: Option<&Self>) -> TokenStream {
        let path = quote!(::freshtoken::client::__macro::TokenRefused);
        match rule {
            None => quote!(#path::Status401),
            Some(Self::Statuses(statuses)) => quote!(#path::Statuses(&[#(#statuses),*])),
            Some(Self::Decide(function)) => {
                // The coercion makes a function of another signature a type error at the
                // user's path rather than somewhere in the expansion.
                let span = function.span();
                let decide = quote_spanned! {span=>
                    {
                        let decide: fn(&::freshtoken::client::Error) -> bool = #function;
                        decide
                    }
                };
                quote!(#path::Decide(#decide))
            }
        }
    }
}

/// The statuses inside `[...]`: at least one, each an integer in 400..=599, none twice.
fn statuses(content: ParseStream, brackets: Span) -> syn::Result<Vec<u16>> {
    let mut statuses: Vec<u16> = Vec::new();
    while !content.is_empty() {
        if !content.peek(LitInt) {
            let token: TokenTree = content.parse()?;
            return Err(syn::Error::new(
                token.span(),
                "expected a status code, such as `422`: `unauthorized = [401, 422]`",
            ));
        }
        let literal: LitInt = content.parse()?;
        let status = literal
            .base10_parse::<u16>()
            .ok()
            .filter(|status| (400..=599).contains(status))
            .ok_or_else(|| {
                syn::Error::new(
                    literal.span(),
                    format!(
                        "`{literal}` is not an error status: a refused token is answered with a status from 400 to 599, such as `401` or `422`"
                    ),
                )
            })?;
        if statuses.contains(&status) {
            return Err(syn::Error::new(
                literal.span(),
                format!("`{status}` is already in the list: give each status once"),
            ));
        }
        statuses.push(status);
        if content.is_empty() {
            break;
        }
        content.parse::<Token![,]>()?;
    }
    if statuses.is_empty() {
        return Err(syn::Error::new(
            brackets,
            "the list is empty, so no answer would mean a refused token: name at least one status, such as `unauthorized = [401, 422]`, or leave the option out to keep the default (401)",
        ));
    }
    Ok(statuses)
}
