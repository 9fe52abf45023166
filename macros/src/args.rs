// Input: the tokens inside `#[refresh_token(...)]`.
// Output: `Args`, each key at most once, or errors that point at the offending key or value.

use syn::meta::ParseNestedMeta;
use syn::{Expr, Lit, LitBool};

/// The arguments of one `#[refresh_token(...)]`.
#[derive(Default, Clone)]
pub(crate) struct Args {
    /// `cache = EXPR`: where the `TokenCache` is.
    pub(crate) cache: Option<Expr>,
    /// `retry = BOOL`: whether a 401 is retried once (default `true`).
    pub(crate) retry: Option<LitBool>,
}

impl Args {
    /// Parses one `key = value` of the attribute.
    pub(crate) fn parse(&mut self, meta: &ParseNestedMeta) -> syn::Result<()> {
        if meta.path.is_ident("cache") {
            if self.cache.is_some() {
                return Err(meta.error("duplicate `cache` argument: give the cache once"));
            }
            let value = meta.value().map_err(|_| {
                meta.error("`cache` needs a value: write `cache = self.auth` (any expression that gives the `TokenCache`)")
            })?;
            let expr = value.parse::<Expr>().map_err(|error| {
                syn::Error::new(
                    error.span(),
                    "expected an expression that gives the `TokenCache` after `cache =`, for example `cache = self.auth`",
                )
            })?;
            self.cache = Some(expr);
        } else if meta.path.is_ident("retry") {
            if self.retry.is_some() {
                return Err(meta.error("duplicate `retry` argument: give it once"));
            }
            let value = meta.value().map_err(|_| {
                meta.error("`retry` needs a value: write `retry = false` or `retry = true`")
            })?;
            match value.parse::<Lit>() {
                Ok(Lit::Bool(retry)) => self.retry = Some(retry),
                Ok(other) => return Err(retry_must_be_bool(other.span())),
                Err(error) => return Err(retry_must_be_bool(error.span())),
            }
        } else {
            let key = meta
                .path
                .get_ident()
                .map_or_else(|| "this path".to_owned(), |ident| format!("`{ident}`"));
            return Err(meta.error(format!(
                "unknown argument {key}: `#[refresh_token]` accepts `cache = <expression>` and `retry = <bool>`"
            )));
        }
        Ok(())
    }

    /// These arguments, with any given in `more` taking their place (a method's own attribute
    /// inside an `impl` block that has one too).
    pub(crate) fn overridden_by(&self, more: Args) -> Args {
        Args {
            cache: more.cache.or_else(|| self.cache.clone()),
            retry: more.retry.or_else(|| self.retry.clone()),
        }
    }

    /// Whether a 401 is retried.
    pub(crate) fn retry(&self) -> bool {
        self.retry.as_ref().is_none_or(LitBool::value)
    }
}

fn retry_must_be_bool(span: proc_macro2::Span) -> syn::Error {
    syn::Error::new(
        span,
        "`retry` takes `true` or `false`, for example `retry = false`",
    )
}
