// Input: a method's return type, as written, and its fixed headers.
// Output: the `Accept` its requests send, decided here once so that a call does no work for
// it: `application/json` for what is decoded as JSON, nothing of the client's own for text,
// bytes, streams and `()` (reqwest's `*/*` then goes), and nothing over the method's own
// `#[header("accept", ...)]`.

use proc_macro2::TokenStream;
use quote::quote;
use syn::Type;

/// The spec's `accept` value for a method returning `Result<ty, _>`.
pub(crate) fn accept(ty: &Type, headers: &[(String, String)]) -> TokenStream {
    let own = headers.iter().any(|(name, _)| name == "accept");
    match media(ty) {
        Some(media) if !own => quote!(::core::option::Option::Some(#media)),
        _ => quote!(::core::option::Option::None),
    }
}

/// What the decoder the return type picks reads, by the same reading of the type as
/// `render::decoder`.
// A `String` asks for nothing in particular: it takes any text, and a server that negotiates
// would answer `text/plain` with another representation than the one its users see with
// curl or a browser.
fn media(ty: &Type) -> Option<&'static str> {
    const JSON: &str = "application/json";
    match ty {
        Type::Tuple(tuple) if tuple.elems.is_empty() => None,
        Type::Paren(inner) => media(&inner.elem),
        Type::Path(type_path) if type_path.qself.is_none() => {
            let Some(last) = type_path.path.segments.last() else {
                return Some(JSON);
            };
            match last.ident.to_string().as_str() {
                "String" | "Bytes" | "ByteStream" => None,
                "Answer" => match &last.arguments {
                    syn::PathArguments::AngleBracketed(args) => match args.args.first() {
                        Some(syn::GenericArgument::Type(inner)) => media(inner),
                        _ => Some(JSON),
                    },
                    _ => Some(JSON),
                },
                _ => Some(JSON),
            }
        }
        _ => Some(JSON),
    }
}

#[cfg(test)]
mod tests {
    use super::media;

    fn of(ty: &str) -> Option<&'static str> {
        media(&syn::parse_str(ty).expect("a type"))
    }

    #[test]
    fn json_types_ask_for_json_and_the_others_for_nothing() {
        for json in [
            "Task",
            "Vec<Task>",
            "Json<String>",
            "Answer<Task>",
            "(Task)",
        ] {
            assert_eq!(of(json), Some("application/json"), "{json}");
        }
        for other in [
            "()",
            "String",
            "Bytes",
            "ByteStream",
            "Answer<String>",
            "Answer<()>",
        ] {
            assert_eq!(of(other), None, "{other}");
        }
    }
}
