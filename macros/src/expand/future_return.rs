// Input: the signature of a fn that is not `async`.
// Output: whether it returns a future it builds by hand (`-> impl Future<..>`), and the error
// that says to write `async fn`.
//
// A non-async fn is wrapped as blocking code, whose body must give the `Result` itself; a fn
// that returns `impl Future` is async code written by hand, and the blocking expansion would
// only fail on its return type with a message about `impl Trait` in a `let`.

use syn::{ReturnType, Signature, Type, TypeParamBound};

/// Whether `sig` returns `impl Future<..>` (under any path).
pub(super) fn returns_impl_future(sig: &Signature) -> bool {
    let ReturnType::Type(_, ty) = &sig.output else {
        return false;
    };
    let Type::ImplTrait(returned) = &**ty else {
        return false;
    };
    returned.bounds.iter().any(|bound| {
        matches!(bound, TypeParamBound::Trait(bound)
            if bound.path.segments.last().is_some_and(|segment| segment.ident == "Future"))
    })
}

/// The error for a fn that returns a future by hand.
pub(super) fn write_async_fn(sig: &Signature) -> syn::Error {
    syn::Error::new(
        sig.fn_token.span,
        format!(
            "`{name}` returns a future it builds itself, which `#[refresh_token]` cannot wrap: write `async fn {name}` returning the `Result` (a non-async fn is wrapped as blocking code, and must return the `Result` itself)",
            name = sig.ident
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sig(tokens: &str) -> Signature {
        syn::parse_str(tokens).unwrap()
    }

    #[test]
    fn impl_future_returns_are_recognised() {
        for hand_written in [
            "fn list(&self) -> impl Future<Output = Result<(), E>>",
            "fn list(&self) -> impl std::future::Future<Output = Result<(), E>> + Send + '_",
        ] {
            assert!(returns_impl_future(&sig(hand_written)), "{hand_written}");
        }
    }

    #[test]
    fn results_and_other_impl_traits_are_not() {
        for blocking in [
            "fn list(&self) -> Result<(), E>",
            "fn list(&self) -> Result<impl Iterator<Item = u8>, E>",
            "fn list(&self) -> impl Iterator<Item = u8>",
            "fn list(&self)",
        ] {
            assert!(!returns_impl_future(&sig(blocking)), "{blocking}");
        }
    }
}
