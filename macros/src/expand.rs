// Input: a checked fn, async or not (signature and body), and its `Args`.
// Output: the same fn without its `#[token]` parameter, whose body asks the runtime for a
// token, runs the user's body, and lets the runtime decide whether a 401 earns one more run.
// An async fn awaits the token and runs its body in an `async` block per attempt; a
// non-async fn blocks on the token and runs its body in a closure per attempt. Both hand the
// attempt to the same `Call::finish`.
//
// Everything here but the user's own tokens is spanned `mixed_site`, so generated locals
// cannot clash with the user's names and lints treat the scaffolding as macro code. The calls
// whose trait bounds check the user's types are spanned at those types, so a wrong return or
// token type is reported where the user wrote it.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Block, Ident, ReturnType, Signature, Type, parse_quote_spanned};

use crate::args::Args;
use crate::combine;
use crate::param::{TokenParam, take_token_param};

pub(crate) mod async_trait_order;
mod future_return;

/// Checks `sig` and rewrites `sig` and `block` in place.
pub(crate) fn wrap_fn(args: &Args, sig: &mut Signature, block: &mut Block) -> syn::Result<()> {
    let mut errors = Vec::new();
    if sig.asyncness.is_none() && async_trait_order::rewritten_by_async_trait(sig) {
        errors.push(async_trait_order::run_before_async_trait(sig));
    } else if sig.asyncness.is_none() && future_return::returns_impl_future(sig) {
        errors.push(future_return::write_async_fn(sig));
    }
    let flavor = if sig.asyncness.is_some() {
        Flavor::Async
    } else {
        Flavor::Blocking
    };
    if args.cache.is_none() {
        errors.push(syn::Error::new(
            Span::call_site(),
            "`#[refresh_token]` needs to know where the token cache is: write `#[refresh_token(cache = self.auth)]` (any expression that gives the `TokenCache`)",
        ));
    }
    let param = take_token_param(sig)
        .map_err(|error| errors.push(error))
        .ok();
    let (param, cache) = match (param, &args.cache, combine(errors)) {
        (Some(param), Some(cache), None) => (param, cache),
        (.., Some(error)) => return Err(error),
        // Each missing part pushed an error above; this arm only completes the match.
        _ => {
            return Err(syn::Error::new(
                Span::call_site(),
                "invalid `#[refresh_token]`",
            ));
        }
    };

    let output: Type = match &sig.output {
        ReturnType::Type(_, ty) => (**ty).clone(),
        ReturnType::Default => parse_quote_spanned!(sig.ident.span()=> ()),
    };
    let parts = Parts::new(cache, &param, &output, flavor);
    let body = if args.retry() {
        parts.with_retry(block)
    } else {
        parts.without_retry(block)
    };
    *block = syn::parse2(quote_spanned!(block.span()=> { #body }))?;
    Ok(())
}

/// How the wrapped fn waits for its token and runs its body.
#[derive(Clone, Copy)]
enum Flavor {
    /// An `async fn`: awaits the token; each attempt is an `async` block.
    Async,
    /// A non-async fn: blocks on the token; each attempt is a closure.
    Blocking,
}

/// The pieces both expansions share.
struct Parts {
    flavor: Flavor,
    call: Ident,
    token: Ident,
    /// Binds the cache and starts the call.
    prologue: TokenStream,
    /// Binds the user's `#[token]` parameter from `token`.
    bind_param: TokenStream,
    /// `finish` and `fail`, spanned at the return type: the method calls that check the
    /// return type are reported there.
    finish: Ident,
    fail: Ident,
    output: Type,
}

impl Parts {
    fn new(cache_expr: &syn::Expr, param: &TokenParam, output: &Type, flavor: Flavor) -> Self {
        let site = Span::mixed_site();
        let cache = Ident::new("__refresh_token_cache", site);
        let call = Ident::new("__refresh_token_call", site);
        let token = Ident::new("__refresh_token_token", site);

        // Spanned at the expression: a value that is not a `TokenCache` is reported there.
        let borrow_cache = quote_spanned!(cache_expr.span()=> &(#cache_expr));
        // The call records its attempts, and hands out the step-up's token after a 403.
        let prologue = quote_spanned! {site=>
            let #cache: &::freshtoken::TokenCache<_> = #borrow_cache;
            let mut #call = ::freshtoken::__private::Call::new(#cache);
        };
        let TokenParam {
            mutability,
            ident,
            ty,
        } = param;
        let bind_param = quote_spanned! {ty.span()=>
            let #mutability #ident: #ty = ::freshtoken::__private::FromToken::from_token(&#token);
        };
        Self {
            flavor,
            call,
            token,
            prologue,
            bind_param,
            finish: Ident::new("finish", output.span()),
            fail: Ident::new("fail", output.span()),
            output: output.clone(),
        }
    }

    /// The call that gives the token for an attempt: awaited, or blocked on.
    fn get_token(&self) -> TokenStream {
        let call = &self.call;
        match self.flavor {
            Flavor::Async => quote_spanned!(Span::mixed_site()=> #call.token().await),
            Flavor::Blocking => quote_spanned!(Span::mixed_site()=> #call.blocking_token()),
        }
    }

    /// The body as an expression that runs it once with its own scope: `return` and `?` in
    /// the body end the attempt, not the loop around it.
    fn attempt(&self, block: &Block) -> TokenStream {
        let bind_param = &self.bind_param;
        let stmts = &block.stmts;
        match self.flavor {
            Flavor::Async => {
                let future = quote_spanned! {block.span()=>
                    async {
                        #bind_param
                        #(#stmts)*
                    }
                };
                let span = Ident::new("__refresh_token_span", Span::mixed_site());
                quote_spanned!(Span::mixed_site()=> ::freshtoken::__private::Instrument::instrument(#future, #span).await)
            }
            // A closure made and called anew in each attempt, as the async block is awaited
            // anew: a body that moves an argument out is then the same "moved in the previous
            // iteration" error in both.
            Flavor::Blocking => {
                let closure = quote_spanned! {block.span()=>
                    || {
                        #bind_param
                        #(#stmts)*
                    }
                };
                quote_spanned!(Span::mixed_site()=> (#closure)())
            }
        }
    }

    /// The body runs in an `async` block or a closure inside a loop, so it can run twice; the
    /// runtime's `finish` ends the loop after the first attempt unless it was a 401.
    fn with_retry(&self, block: &Block) -> TokenStream {
        let Self {
            call,
            token,
            prologue,
            finish,
            output,
            ..
        } = self;
        let site = Span::mixed_site();
        let outcome = Ident::new("outcome", site);
        let span = Ident::new("__refresh_token_span", site);
        // A resend runs in the call's resend span, its token (the refresh after a 401)
        // included: entered around a blocking attempt, instrumenting an async one's futures.
        let (enter, get_token) = match self.flavor {
            Flavor::Async => (
                quote_spanned!(site=> let #span = #call.span();),
                quote_spanned!(site=> ::freshtoken::__private::Instrument::instrument(#call.token(), ::core::clone::Clone::clone(&#span)).await),
            ),
            Flavor::Blocking => (
                quote_spanned!(site=> let #span = #call.span(); let _entered = #span.enter();),
                self.get_token(),
            ),
        };
        let attempt = self.attempt(block);
        // rustc reports a failed bound of `finish` at its argument, and reports anything
        // spanned `mixed_site` at the attribute; an identity call spanned at the return type
        // moves the report to where the return type is written.
        let finish_call = quote_spanned! {output.span()=>
            #call.#finish(::core::convert::identity(#outcome))
        };
        quote_spanned! {site=>
            #prologue
            loop {
                #enter
                let #outcome = match #get_token {
                    ::core::result::Result::Ok(#token) => {
                        let result: #output = #attempt;
                        ::core::result::Result::Ok((#token, result))
                    }
                    ::core::result::Result::Err(error) => ::core::result::Result::Err(error),
                };
                if let ::core::ops::ControlFlow::Break(result) = #finish_call {
                    return result;
                }
            }
        }
    }

    /// The body runs once, in place, after the token is bound.
    fn without_retry(&self, block: &Block) -> TokenStream {
        let Self {
            call,
            token,
            prologue,
            bind_param,
            fail,
            ..
        } = self;
        let stmts = &block.stmts;
        let site = Span::mixed_site();
        let error = Ident::new("error", site.located_at(fail.span()));
        let get_token = self.get_token();
        let setup = quote_spanned! {site=>
            #prologue
            let #token = match #get_token {
                ::core::result::Result::Ok(token) => token,
                ::core::result::Result::Err(#error) => return #call.#fail(#error),
            };
        };
        quote! {
            #setup
            #bind_param
            #(#stmts)*
        }
    }
}

#[cfg(test)]
mod tests {
    use quote::ToTokens;
    use syn::ItemFn;

    use super::*;

    /// The body of `item` after `wrap_fn`, as text without spaces.
    fn wrapped(args: &str, item: &str) -> String {
        let mut parsed = Args::default();
        syn::parse::Parser::parse_str(syn::meta::parser(|meta| parsed.parse(&meta)), args).unwrap();
        let mut item: ItemFn = syn::parse_str(item).unwrap();
        wrap_fn(&parsed, &mut item.sig, &mut item.block).unwrap();
        item.block.to_token_stream().to_string().replace(' ', "")
    }

    const BLOCKING: &str =
        "fn list(&self, #[token] token: &AccessToken) -> Result<u32, E> { Ok(1) }";

    #[test]
    fn a_blocking_fn_blocks_on_its_token_and_runs_its_body_in_a_closure() {
        let body = wrapped("cache = self.auth", BLOCKING);
        assert!(
            body.contains("__refresh_token_call.blocking_token()"),
            "{body}"
        );
        assert!(body.contains("(||{"), "{body}");
        assert!(body.contains(".finish("), "{body}");
        assert!(!body.contains("await"), "{body}");
    }

    #[test]
    fn each_attempt_runs_in_the_calls_span() {
        let blocking = wrapped("cache = self.auth", BLOCKING);
        assert!(
            blocking.contains("__refresh_token_call.span()"),
            "{blocking}"
        );
        assert!(blocking.contains(".enter()"), "{blocking}");
        let awaited = wrapped("cache = self.auth", &format!("async {BLOCKING}"));
        assert!(awaited.contains("__refresh_token_call.span()"), "{awaited}");
        assert_eq!(
            awaited.matches("Instrument::instrument(").count(),
            2,
            "the token and the body: {awaited}"
        );
    }

    #[test]
    fn a_blocking_fn_without_retry_runs_its_body_in_place() {
        let body = wrapped("cache = self.auth, retry = false", BLOCKING);
        assert!(body.contains("blocking_token()"), "{body}");
        assert!(!body.contains("||") && !body.contains("loop"), "{body}");
    }

    #[test]
    fn an_async_fn_awaits_its_token_and_its_body() {
        let body = wrapped("cache = self.auth", &format!("async {BLOCKING}"));
        assert!(body.contains("__refresh_token_call.token(),"), "{body}");
        assert!(body.contains("async{"), "{body}");
        assert!(body.contains(".await"), "{body}");
        assert!(!body.contains("blocking_token"), "{body}");
    }
}
