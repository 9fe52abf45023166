// Input: the type a method's or the trait's `error_body = T` names.
// Output: the spec's `error_body` value, a decoder of a non-2xx body into `T`, spanned at `T`
// so that a type that cannot be decoded is reported where the user wrote it.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::Type;
use syn::spanned::Spanned;

/// The method's option over the trait's; `None` leaves only `application/problem+json` to
/// be decoded, into `Problem`.
pub(crate) fn spec_value(method: Option<&Type>, trait_: Option<&Type>) -> TokenStream {
    let Some(ty) = method.or(trait_) else {
        return quote!(::core::option::Option::None);
    };
    quote_spanned! {ty.span()=>
        ::core::option::Option::Some(
            ::freshtoken::client::__macro::decode_error_body::<#ty>
                as ::freshtoken::client::__macro::DecodeErrorBody,
        )
    }
}
