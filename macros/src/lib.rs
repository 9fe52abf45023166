//! The `#[refresh_token]` attribute of [`freshtoken`](https://docs.rs/freshtoken).
//!
//! Do not depend on this crate directly: depend on `freshtoken`, which re-exports the
//! attribute under the same version and documents it with examples. The attribute expands into
//! calls into `freshtoken::__private`, where the retry and token logic lives.

mod args;
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

/// All errors as one, or `None` when there are none.
pub(crate) fn combine(errors: impl IntoIterator<Item = syn::Error>) -> Option<syn::Error> {
    errors.into_iter().reduce(|mut all, error| {
        all.combine(error);
        all
    })
}
