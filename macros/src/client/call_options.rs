// Input: the trait's methods and the generated client's visibility.
// Output: the client's `with(options)`, which gives a clone that applies
// `freshtoken::client::CallOptions` to its calls, and an error at a trait method named
// `with`, which it would hide.

use proc_macro2::TokenStream;
use quote::quote;

use super::method::Method;

/// The inherent `with` of the generated client.
pub(crate) fn with_fn(vis: &syn::Visibility) -> TokenStream {
    quote! {
        /// A clone of this client (one `Arc`) whose calls apply `options`: a timeout,
        /// headers and a request id. The client itself is unchanged:
        /// `client.with(options).method(..)` applies them to that call only.
        #[must_use]
        #vis fn with(&self, options: ::freshtoken::client::CallOptions) -> Self {
            Self {
                core: ::freshtoken::client::__macro::ClientCore::with_options(&self.core, options),
            }
        }
    }
}

/// An error at each trait method named `with`: the client's inherent `with` would win over
/// it in `client.with(..)`.
pub(crate) fn name_clashes(methods: &[Method]) -> impl Iterator<Item = syn::Error> + '_ {
    methods.iter().filter(|method| method.ident == "with").map(|method| {
        syn::Error::new(
            method.ident.span(),
            "a generated client has `with(CallOptions)`, which gives a clone with per-call options, and it would hide this method: rename it (its path stays in the HTTP attribute)",
        )
    })
}
