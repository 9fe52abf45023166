//! The `#[refresh_token]` and `#[client]` attributes of [`freshtoken`](https://docs.rs/freshtoken).
//!
//! Do not depend on this crate directly: depend on `freshtoken`, which re-exports the
//! attributes under the same version and documents them with examples. They expand into
//! calls into `freshtoken::__private` and `freshtoken::client`, where the retry, token and
//! request logic lives.

mod args;
mod client;
mod expand;
mod item;
mod param;

use proc_macro::TokenStream;

/// (Defined in the `freshtoken-macros` crate; `freshtoken` re-exports it with the
/// documentation above.)
#[proc_macro_attribute]
pub fn refresh_token(args: TokenStream, item: TokenStream) -> TokenStream {
    item::expand(args.into(), item.into()).into()
}

/// (Defined in the `freshtoken-macros` crate; `freshtoken` re-exports it with the
/// documentation above.)
#[proc_macro_attribute]
pub fn client(args: TokenStream, item: TokenStream) -> TokenStream {
    client::expand(args.into(), item.into()).into()
}

/// All errors as one, or `None` when there are none.
pub(crate) fn combine(errors: impl IntoIterator<Item = syn::Error>) -> Option<syn::Error> {
    errors.into_iter().reduce(|mut all, error| {
        all.combine(error);
        all
    })
}
