// Input: the tokens after `retry` in `#[freshtoken::client(...)]` or in an HTTP attribute:
// `= transient`, `= none`, or `(attempts = 4, backoff = "200ms", max_delay = "5s", idempotent)`.
// Output: the option, checked (at least two attempts, sane pauses, a POST or PATCH only when
// marked `idempotent`), and the `Spec` field it becomes.

use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::parse::ParseStream;
use syn::{Ident, LitInt, LitStr, Token};

use super::options::parse_duration;

/// The most attempts a call may make: more turns an outage into a flood.
const MAX_ATTEMPTS: u32 = 10;

/// `retry = ...` or `retry(...)`.
#[derive(Clone)]
pub(crate) enum Retry {
    /// `retry = none`: no retries, over the trait's option.
    Off,
    /// `retry = transient` or `retry(...)`.
    On(Settings),
}

/// What `retry(...)` says; the runtime's defaults for what it leaves out.
#[derive(Clone, Default)]
pub(crate) struct Settings {
    attempts: Option<u32>,
    backoff_ms: Option<u64>,
    max_delay_ms: Option<u64>,
    /// `idempotent`: the method is safe to send twice, although it is a POST or a PATCH.
    pub(crate) idempotent: bool,
}

impl Retry {
    /// Parses what follows the `retry` key.
    pub(crate) fn parse(key: &Ident, input: ParseStream) -> syn::Result<Self> {
        if input.peek(Token![=]) {
            input.parse::<Token![=]>()?;
            let value: Ident = input.parse().map_err(|error| {
                syn::Error::new(error.span(), format!("`{key}` takes `transient`, `none` or a list: `retry = transient` or `retry(attempts = 3, max_delay = \"10s\")`"))
            })?;
            return match value.to_string().as_str() {
                "transient" => Ok(Self::On(Settings::default())),
                "none" => Ok(Self::Off),
                _ => Err(syn::Error::new(
                    value.span(),
                    format!(
                        "unknown retry `{value}`: write `retry = transient` to retry 429, 502, 503, 504 and failed connections, or `retry = none` for no retries"
                    ),
                )),
            };
        }
        if !input.peek(syn::token::Paren) {
            return Err(syn::Error::new(
                key.span(),
                "`retry` needs a value: write `retry = transient`, or `retry(attempts = 3, max_delay = \"10s\")`",
            ));
        }
        let content;
        syn::parenthesized!(content in input);
        let mut settings = Settings::default();
        let mut seen: Vec<String> = Vec::new();
        while !content.is_empty() {
            let name: Ident = content.parse().map_err(|error| {
                syn::Error::new(
                    error.span(),
                    format!("expected a retry setting: {SETTINGS}"),
                )
            })?;
            let text = name.to_string();
            if seen.contains(&text) {
                return Err(syn::Error::new(
                    name.span(),
                    format!("duplicate retry setting `{text}`: give it once"),
                ));
            }
            seen.push(text.clone());
            match text.as_str() {
                "transient" => {}
                "idempotent" => settings.idempotent = true,
                "attempts" => settings.attempts = Some(parse_attempts(&name, &content)?),
                "backoff" => {
                    settings.backoff_ms = Some(parse_pause(&name, &content)?);
                }
                "max_delay" => {
                    settings.max_delay_ms = Some(parse_pause(&name, &content)?);
                }
                _ => {
                    return Err(syn::Error::new(
                        name.span(),
                        format!("unknown retry setting `{text}`: {SETTINGS}"),
                    ));
                }
            }
            if content.is_empty() {
                break;
            }
            content.parse::<Token![,]>()?;
        }
        if let (Some(backoff), Some(max_delay)) = (settings.backoff_ms, settings.max_delay_ms)
            && backoff > max_delay
        {
            return Err(syn::Error::new(
                key.span(),
                "`backoff` is longer than `max_delay`, which caps every pause: make `max_delay` at least `backoff`",
            ));
        }
        Ok(Self::On(settings))
    }

    /// The `Spec::retry` value.
    pub(crate) fn spec_value(retry: Option<&Self>) -> TokenStream {
        let Some(Self::On(settings)) = retry else {
            return quote!(::core::option::Option::None);
        };
        let default = quote!(::freshtoken::client::__macro::Transient::DEFAULT);
        let attempts = settings
            .attempts
            .map_or_else(|| quote!(#default.attempts), |n| quote!(#n));
        let pause = |ms: Option<u64>, field: TokenStream| {
            ms.map_or_else(
                || quote!(#default.#field),
                |ms| quote!(::core::time::Duration::from_millis(#ms)),
            )
        };
        let backoff = pause(settings.backoff_ms, quote!(backoff));
        let max_delay = pause(settings.max_delay_ms, quote!(max_delay));
        quote! {
            ::core::option::Option::Some(::freshtoken::client::__macro::Transient {
                attempts: #attempts,
                backoff: #backoff,
                max_delay: #max_delay,
            })
        }
    }
}

const SETTINGS: &str = "`retry(...)` accepts `attempts = 3`, `backoff = \"100ms\"`, `max_delay = \"10s\"` and `idempotent`";

fn parse_attempts(name: &Ident, input: ParseStream) -> syn::Result<u32> {
    input.parse::<Token![=]>().map_err(|error| {
        syn::Error::new(
            error.span(),
            format!("`{name}` needs a value: write `{name} = 3`"),
        )
    })?;
    let value: LitInt = input.parse().map_err(|error| {
        syn::Error::new(
            error.span(),
            "`attempts` takes a whole number: the attempts in all, the first included, such as `attempts = 3`",
        )
    })?;
    match value.base10_parse::<u32>() {
        Ok(n) if (2..=MAX_ATTEMPTS).contains(&n) => Ok(n),
        _ => Err(syn::Error::new(
            value.span(),
            format!(
                "`attempts` counts the first attempt too, so it is from 2 (one retry) to {MAX_ATTEMPTS}; for no retries, write `retry = none` or leave `retry` out"
            ),
        )),
    }
}

fn parse_pause(name: &Ident, input: ParseStream) -> syn::Result<u64> {
    input.parse::<Token![=]>().map_err(|error| {
        syn::Error::new(
            error.span(),
            format!("`{name}` needs a value: write `{name} = \"100ms\"`"),
        )
    })?;
    let value: LitStr = input.parse().map_err(|error| {
        syn::Error::new(
            error.span(),
            format!("`{name}` takes a string such as `{name} = \"100ms\"` or `\"2s\"`"),
        )
    })?;
    match parse_duration(&value, &name.to_string())? {
        0 => Err(syn::Error::new(
            value.span(),
            format!(
                "`{name}` of zero would retry at once, into the same overload: give at least `\"1ms\"`"
            ),
        )),
        ms => Ok(ms),
    }
}

/// The error for `retry` on a method that may not be safe to send twice.
pub(crate) fn not_idempotent(method: &str, key: Span) -> syn::Error {
    syn::Error::new(
        key,
        format!(
            "a {method} may not be safe to send twice (when an answer is lost, a retry could apply it twice), so it is not retried by default: if the server makes it idempotent (an idempotency key, a PUT-like upsert), write `retry(idempotent)`, else remove `retry`"
        ),
    )
}
