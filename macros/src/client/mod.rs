// Input: `#[freshtoken::client(...)]` and the trait it is on, as tokens.
// Output: the trait (its `async fn`s declared `Send`), the generated client and its impl of
// the trait; on errors, the trait with the macro's attributes removed plus the errors, so
// the rest of the crate still type-checks around it.

mod accept;
mod call_options;
mod error_body;
mod events;
mod header;
mod method;
mod options;
mod paginate;
mod path;
mod render;
mod retry;
mod unauthorized;

use proc_macro2::TokenStream;
use quote::{ToTokens, format_ident};
use syn::parse::Parser;
use syn::spanned::Spanned;
use syn::{Item, TraitItem, Type};

use crate::combine;
use method::{ASYNC_TRAIT_FIX, parse_method};
use options::ClientOptions;

pub(crate) fn expand(args: TokenStream, item: TokenStream) -> TokenStream {
    let mut options = ClientOptions::default();
    let options_result = syn::meta::parser(|meta| options.parse(&meta)).parse2(args);
    let item = match syn::parse2::<Item>(item.clone()) {
        Ok(Item::Trait(item)) => item,
        Ok(other) => {
            let error = syn::Error::new(
                other.span(),
                "`#[freshtoken::client]` goes on a trait whose `async fn`s describe the API, for example `#[get(\"/tasks\")] async fn list(&self) -> Result<Vec<Task>>;`",
            );
            return with_errors(other.into_token_stream(), error);
        }
        Err(_) => return item,
    };
    let error: Type = options
        .error
        .clone()
        .unwrap_or_else(|| syn::parse_quote!(::freshtoken::client::Error));
    let mut item = item;
    let mut errors: Vec<syn::Error> = options_result.err().into_iter().collect();
    errors.extend(take_async_trait(&mut item.attrs));
    let mut methods = Vec::new();
    for trait_item in &mut item.items {
        match trait_item {
            TraitItem::Fn(method) => match parse_method(method, &error) {
                Ok(method) => methods.push(method),
                Err(error) => errors.push(error),
            },
            other => errors.push(syn::Error::new(
                other.span(),
                "a `#[freshtoken::client]` trait holds only `async fn` methods: move this item out of the trait",
            )),
        }
    }
    if methods.iter().any(|method| method.http.auth) {
        // The client's `cache()` would shadow it: inherent methods win over the trait's.
        errors.extend(methods.iter().filter(|method| method.ident == "cache").map(|method| {
            syn::Error::new(
                method.ident.span(),
                "a generated client has `cache()`, which gives back its token cache, and it would hide this method: rename it (its path stays in the HTTP attribute)",
            )
        }));
    }
    errors.extend(call_options::name_clashes(&methods));
    if let Some(error) = combine(errors) {
        return with_errors(item.into_token_stream(), error);
    }
    let client = options
        .name
        .unwrap_or_else(|| format_ident!("{}Client", item.ident));
    render::render(
        item,
        &methods,
        &client,
        options.unauthorized.as_ref(),
        options.error_body.as_ref(),
        options.retry.as_ref(),
    )
}

/// An error at each `#[async_trait]` on the trait (it expands after this attribute), which is
/// removed so that the trait emitted beside the error keeps its native `async fn`s.
fn take_async_trait(attrs: &mut Vec<syn::Attribute>) -> Vec<syn::Error> {
    let mut errors = Vec::new();
    attrs.retain(|attr| {
        let path = attr.path();
        let is_async_trait = path
            .segments
            .last()
            .is_some_and(|last| last.ident == "async_trait")
            && (path.segments.len() == 1
                || (path.segments.len() == 2 && path.segments[0].ident == "async_trait"));
        if is_async_trait {
            errors.push(syn::Error::new_spanned(
                attr,
                format!("`#[async_trait]` is not needed here: {ASYNC_TRAIT_FIX}"),
            ));
        }
        !is_async_trait
    });
    errors
}

fn with_errors(item: TokenStream, error: syn::Error) -> TokenStream {
    let mut tokens = item;
    tokens.extend(error.into_compile_error());
    tokens
}
