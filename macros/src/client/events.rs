// Input: the `T` of a method's `Result<T>`.
// Output: for `Events<D>` (or `Events`), the function that decodes each event's `data`,
// chosen by how `D` is written as the return types' decoders are: `String` as text,
// anything else as JSON; `None` for any other return type.

use proc_macro2::TokenStream;
use quote::quote;
use syn::{GenericArgument, PathArguments, Type};

/// The `data` decoder of an `Events<D>` return type.
pub(crate) fn data_parser(ty: &Type) -> Option<TokenStream> {
    let Type::Path(path) = ty else { return None };
    if path.qself.is_some() {
        return None;
    }
    let last = path.path.segments.last()?;
    if last.ident != "Events" {
        return None;
    }
    let runtime = quote!(::freshtoken::client::__macro);
    let data = match &last.arguments {
        PathArguments::AngleBracketed(args) => args.args.iter().find_map(|arg| match arg {
            GenericArgument::Type(data) => Some(data),
            _ => None,
        }),
        _ => None,
    };
    Some(match data {
        None => quote!(#runtime::event_text),
        Some(Type::Path(data))
            if data.qself.is_none()
                && data
                    .path
                    .segments
                    .last()
                    .is_some_and(|last| last.ident == "String") =>
        {
            quote!(#runtime::event_text)
        }
        Some(data) => quote!(#runtime::event_json::<#data>),
    })
}
