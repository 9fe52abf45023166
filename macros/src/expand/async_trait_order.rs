// Input: the signature of a fn that is not `async`.
// Output: whether `#[async_trait]` made it from an `async fn` (it ran before
// `#[refresh_token]`), and the error that says to swap the two.
//
// `#[freshtoken::client]` uses the same check on a trait `#[async_trait]` rewrote first.
//
// `#[async_trait]` on an `impl` block rewrites every `async fn` in it into
// `fn f<'async_trait>(..) -> Pin<Box<dyn Future<Output = ..> + Send + 'async_trait>>` before any
// attribute inside the block, or below it, expands. Without this check the user is told to write
// the `async` they did write.

use syn::{GenericArgument, PathArguments, ReturnType, Signature, Type, TypeParamBound};

/// Whether `sig` has the shape `#[async_trait]` gives an `async fn`: its `'async_trait`
/// lifetime, or a `Pin<Box<dyn Future>>` return type.
pub(crate) fn rewritten_by_async_trait(sig: &Signature) -> bool {
    let has_async_trait_lifetime = sig
        .generics
        .lifetimes()
        .any(|param| param.lifetime.ident == "async_trait");
    has_async_trait_lifetime
        || matches!(&sig.output, ReturnType::Type(_, ty) if is_pinned_boxed_future(ty))
}

/// The error for a fn that `#[async_trait]` rewrote first.
pub(super) fn run_before_async_trait(sig: &Signature) -> syn::Error {
    syn::Error::new(
        sig.fn_token.span,
        format!(
            "`{name}` is no longer an `async fn`: `#[async_trait]` (or your code) made it return `Pin<Box<dyn Future>>`, and `#[refresh_token]` cannot wrap a fn that returns a future. With `#[async_trait]`, put `#[refresh_token(...)]` on the `impl` block above `#[async_trait]`, so that it runs first (a method in the block may keep its own `#[refresh_token(...)]`); otherwise write `async fn {name}`",
            name = sig.ident
        ),
    )
}

/// `Pin<Box<dyn Future ..>>` under any path (`::core::pin::Pin`, `std::pin::Pin`, ...).
fn is_pinned_boxed_future(ty: &Type) -> bool {
    single_type_argument(ty, "Pin")
        .and_then(|boxed| single_type_argument(boxed, "Box"))
        .is_some_and(is_dyn_future)
}

/// `T` in `Name<T>`, when `ty` is a path ending in `Name`.
fn single_type_argument<'t>(ty: &'t Type, name: &str) -> Option<&'t Type> {
    let Type::Path(path) = ty else {
        return None;
    };
    let last = path.path.segments.last()?;
    if last.ident != name {
        return None;
    }
    let PathArguments::AngleBracketed(arguments) = &last.arguments else {
        return None;
    };
    arguments.args.iter().find_map(|argument| match argument {
        GenericArgument::Type(ty) => Some(ty),
        _ => None,
    })
}

fn is_dyn_future(ty: &Type) -> bool {
    let Type::TraitObject(object) = ty else {
        return false;
    };
    object.bounds.iter().any(|bound| {
        matches!(bound, TypeParamBound::Trait(bound)
            if bound.path.segments.last().is_some_and(|segment| segment.ident == "Future"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sig(tokens: &str) -> Signature {
        syn::parse_str(tokens).unwrap()
    }

    #[test]
    fn async_trait_output_is_recognised() {
        for rewritten in [
            "fn list<'life0, 'async_trait>(&'life0 self) -> ::core::pin::Pin<Box<dyn ::core::future::Future<Output = Result<(), E>> + ::core::marker::Send + 'async_trait>>",
            "fn list(&self) -> Pin<Box<dyn Future<Output = ()> + Send>>",
            "fn list<'async_trait>(&self) -> BoxFuture<'async_trait, ()>",
        ] {
            assert!(rewritten_by_async_trait(&sig(rewritten)), "{rewritten}");
        }
    }

    #[test]
    fn other_plain_fns_are_not() {
        for plain in [
            "fn list(&self) -> Result<(), E>",
            "fn list(&self) -> Pin<Box<u32>>",
            "fn list(&self) -> Box<dyn Future<Output = ()>>",
            "fn list(&self) -> impl Future<Output = ()>",
            "fn list(&self)",
        ] {
            assert!(!rewritten_by_async_trait(&sig(plain)), "{plain}");
        }
    }
}
