// Input: the attribute's arguments and the item it is on, as tokens.
// Output: the item with its wrapped functions rewritten; on error, the item as written (minus
// `#[token]` markers) plus the errors, so the rest of the crate still type-checks and
// rust-analyzer keeps working.

use proc_macro2::TokenStream;
use quote::ToTokens;
use syn::parse::Parser;
use syn::spanned::Spanned;
use syn::{Attribute, ImplItem, ImplItemFn, Item, ItemFn, ItemImpl, Meta, TraitItem};

use crate::args::Args;
use crate::combine;
use crate::expand::wrap_fn;
use crate::param::{has_token_param, strip_token_attrs};

pub(crate) mod unmarked;

pub(crate) fn expand(args: TokenStream, item: TokenStream) -> TokenStream {
    let mut parsed = Args::default();
    let args_result = syn::meta::parser(|meta| parsed.parse(&meta)).parse2(args);
    // Not an item we can read: leave it to the compiler to report, unchanged.
    let Ok(item) = syn::parse2::<Item>(item.clone()) else {
        return with_errors(item, args_result.err());
    };
    if let Err(error) = args_result {
        return with_errors(strip_item(item), Some(error));
    }
    match item {
        Item::Fn(item) => expand_fn(&parsed, item),
        Item::Impl(item) => expand_impl(&parsed, item),
        Item::Trait(item) => with_errors(
            strip_item(Item::Trait(item.clone())),
            Some(syn::Error::new(
                item.trait_token.span,
                "`#[refresh_token]` cannot go on a trait definition: put it on the `impl` of the trait for your client, or on the fns in that `impl`",
            )),
        ),
        other => {
            let span = other.span();
            with_errors(
                other.to_token_stream(),
                Some(syn::Error::new(
                    span,
                    "`#[refresh_token]` goes on a fn (async or blocking) or on an `impl` block of such methods",
                )),
            )
        }
    }
}

fn expand_fn(args: &Args, mut item: ItemFn) -> TokenStream {
    let original = item.clone();
    match wrap_fn(args, &mut item.sig, &mut item.block) {
        Ok(()) => item.into_token_stream(),
        Err(error) => with_errors(strip_item(Item::Fn(original)), Some(error)),
    }
}

/// Wraps each method, async or blocking, that has a `#[token]` parameter or its own
/// `#[refresh_token]`, and reports the `async fn`s left alone that take a token type without
/// `#[token]`.
fn expand_impl(args: &Args, mut item: ItemImpl) -> TokenStream {
    let mut errors = Vec::new();
    for impl_item in &mut item.items {
        let ImplItem::Fn(method) = impl_item else {
            continue;
        };
        let own = match take_own_args(method) {
            Ok(own) => own,
            Err(error) => {
                errors.push(error);
                strip_token_attrs(&mut method.sig);
                continue;
            }
        };
        if own.is_none() && !has_token_param(&method.sig) {
            errors.extend(unmarked::unmarked_token_params(&method.sig));
            continue;
        }
        let args = own.map_or_else(|| args.clone(), |own| args.overridden_by(own));
        let original = method.clone();
        if let Err(error) = wrap_fn(&args, &mut method.sig, &mut method.block) {
            errors.push(error);
            *method = original;
            strip_token_attrs(&mut method.sig);
        }
    }
    with_errors(item.into_token_stream(), combine(errors))
}

/// Removes a method's own `#[refresh_token(...)]` and returns its arguments.
fn take_own_args(method: &mut ImplItemFn) -> syn::Result<Option<Args>> {
    let is_ours = |attr: &Attribute| {
        attr.path()
            .segments
            .last()
            .is_some_and(|segment| segment.ident == "refresh_token")
    };
    let mut own: Option<Args> = None;
    let mut errors = Vec::new();
    for attr in method.attrs.iter().filter(|attr| is_ours(attr)) {
        if own.is_some() {
            errors.push(syn::Error::new_spanned(
                attr,
                "duplicate `#[refresh_token]` on this method: keep one",
            ));
            continue;
        }
        let mut args = Args::default();
        if let Meta::List(_) = &attr.meta
            && let Err(error) = attr.parse_nested_meta(|meta| args.parse(&meta))
        {
            errors.push(error);
        }
        own = Some(args);
    }
    method.attrs.retain(|attr| !is_ours(attr));
    match combine(errors) {
        Some(error) => Err(error),
        None => Ok(own),
    }
}

/// The item with every `#[token]` marker removed.
fn strip_item(mut item: Item) -> TokenStream {
    match &mut item {
        Item::Fn(item) => strip_token_attrs(&mut item.sig),
        Item::Impl(item) => {
            for impl_item in &mut item.items {
                if let ImplItem::Fn(method) = impl_item {
                    strip_token_attrs(&mut method.sig);
                }
            }
        }
        Item::Trait(item) => {
            for trait_item in &mut item.items {
                if let TraitItem::Fn(method) = trait_item {
                    strip_token_attrs(&mut method.sig);
                }
            }
        }
        _ => {}
    }
    item.into_token_stream()
}

fn with_errors(mut item: TokenStream, error: Option<syn::Error>) -> TokenStream {
    if let Some(error) = error {
        item.extend(error.to_compile_error());
    }
    item
}
