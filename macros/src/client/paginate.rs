// Input: the value of `paginate = ...` in a method's HTTP attribute, and the method's `T` in
// `Result<T>`.
// Output: the style and its options, checked (errors at the user's tokens that say what to
// write), the `static` the runtime reads them from, and the method's body, which hands the
// request its arguments make to `ClientCore::pages`.

use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::parse::ParseStream;
use syn::spanned::Spanned;
use syn::{Ident, LitInt, LitStr, Token, Type};

const STYLES: &str = "`paginate = link`, `paginate = cursor(field = \"/next_cursor\", param = \"cursor\")`, `paginate = page` or `paginate = offset(limit = \"limit\")`";

/// Where the next page is named.
pub(crate) enum Style {
    Link,
    Cursor {
        field: String,
        param: String,
    },
    Page {
        param: String,
        start: u64,
        limit: Option<String>,
    },
    Offset {
        param: String,
        limit: Option<String>,
    },
}

/// `paginate = <style>` or `paginate = <style>(<key> = <value>, ...)`.
pub(crate) struct Paginate {
    pub(crate) style: Style,
    items: Option<String>,
    max_pages: u32,
}

/// The options inside a style's parentheses, each at most once.
#[derive(Default)]
struct Keys {
    field: Option<LitStr>,
    param: Option<LitStr>,
    start: Option<(u64, Span)>,
    limit: Option<LitStr>,
    items: Option<LitStr>,
    max_pages: Option<u32>,
}

impl Paginate {
    /// Parses the value of `paginate = ...` into `slot`, which holds the option if it was
    /// given before.
    pub(crate) fn parse_once(
        slot: &mut Option<Self>,
        key: &Ident,
        input: ParseStream,
    ) -> syn::Result<()> {
        if slot.is_some() {
            return Err(syn::Error::new(
                key.span(),
                "duplicate `paginate` option: give it once",
            ));
        }
        *slot = Some(Self::parse(input)?);
        Ok(())
    }

    pub(crate) fn parse(input: ParseStream) -> syn::Result<Self> {
        let style: Ident = input.parse().map_err(|error| {
            syn::Error::new(error.span(), format!("`paginate` takes a style: {STYLES}"))
        })?;
        let name = style.to_string();
        if !matches!(name.as_str(), "link" | "cursor" | "page" | "offset") {
            return Err(syn::Error::new(
                style.span(),
                format!("unknown pagination style `{name}`: write {STYLES}"),
            ));
        }
        let mut keys = Keys::default();
        if input.peek(syn::token::Paren) {
            let content;
            syn::parenthesized!(content in input);
            while !content.is_empty() {
                keys.parse_one(&name, &content)?;
                if content.is_empty() {
                    break;
                }
                content.parse::<Token![,]>()?;
            }
        }
        let allowed: &[&str] = match name.as_str() {
            "link" => &[],
            "cursor" => &["field", "param"],
            "page" => &["param", "start", "limit"],
            _ => &["param", "limit"],
        };
        for (key, span) in keys.given() {
            if !allowed.contains(&key) && !matches!(key, "items" | "max_pages") {
                return Err(syn::Error::new(
                    span,
                    format!(
                        "`{name}` pagination has no `{key}`: it takes {}",
                        takes(allowed)
                    ),
                ));
            }
        }
        let text = |key: &Option<LitStr>| key.as_ref().map(LitStr::value);
        let style_value = match name.as_str() {
            "link" => Style::Link,
            "cursor" => {
                let missing = |key: &str, example: &str| {
                    syn::Error::new(
                        style.span(),
                        format!(
                            "`cursor` pagination needs `{key}`: write `paginate = cursor(field = \"/next_cursor\", param = \"cursor\")`, {example}"
                        ),
                    )
                };
                Style::Cursor {
                    field: text(&keys.field).ok_or_else(|| {
                        missing(
                            "field",
                            "`field` being the JSON Pointer of the next cursor in the body",
                        )
                    })?,
                    param: text(&keys.param).ok_or_else(|| {
                        missing(
                            "param",
                            "`param` being the query parameter it is sent back as",
                        )
                    })?,
                }
            }
            "page" => Style::Page {
                param: text(&keys.param).unwrap_or_else(|| "page".to_owned()),
                start: keys.start.map_or(1, |(start, _)| start),
                limit: text(&keys.limit),
            },
            _ => Style::Offset {
                param: text(&keys.param).unwrap_or_else(|| "offset".to_owned()),
                limit: text(&keys.limit),
            },
        };
        Ok(Self {
            style: style_value,
            items: text(&keys.items),
            max_pages: keys.max_pages.unwrap_or(1000),
        })
    }

    /// The `Paging` the runtime reads.
    pub(crate) fn spec_value(&self) -> TokenStream {
        let path = quote!(::freshtoken::client::__macro);
        let opt = |value: &Option<String>| {
            value.as_ref().map_or_else(
                || quote!(::core::option::Option::None),
                |value| quote!(::core::option::Option::Some(#value)),
            )
        };
        let style = match &self.style {
            Style::Link => quote!(#path::PageStyle::Link),
            Style::Cursor { field, param } => {
                quote!(#path::PageStyle::Cursor { field: #field, param: #param })
            }
            Style::Page {
                param,
                start,
                limit,
            } => {
                let limit = opt(limit);
                quote!(#path::PageStyle::Page { param: #param, start: #start, limit: #limit })
            }
            Style::Offset { param, limit } => {
                let limit = opt(limit);
                quote!(#path::PageStyle::Offset { param: #param, limit: #limit })
            }
        };
        let items = opt(&self.items);
        let max_pages = self.max_pages;
        quote! {
            #path::Paging { style: #style, items: #items, max_pages: #max_pages }
        }
    }
}

impl Keys {
    fn parse_one(&mut self, style: &str, input: ParseStream) -> syn::Result<()> {
        let key: Ident = input.parse().map_err(|error| {
            syn::Error::new(
                error.span(),
                format!("expected an option of `{style}` pagination, such as `items = \"/data\"`"),
            )
        })?;
        input.parse::<Token![=]>().map_err(|error| {
            syn::Error::new(
                error.span(),
                format!("`{key}` needs a value: write `{key} = ...`"),
            )
        })?;
        let duplicate = || syn::Error::new(key.span(), format!("duplicate `{key}`: give it once"));
        let name = key.to_string();
        match name.as_str() {
            "field" | "items" => {
                let value = string(input, &name, "\"/data\"")?;
                let pointer = value.value();
                if !pointer.starts_with('/') {
                    return Err(syn::Error::new(
                        value.span(),
                        format!(
                            "`{name}` is a JSON Pointer into the body, which starts with `/`: write `\"/{}\"`",
                            pointer.trim_start_matches('/')
                        ),
                    ));
                }
                let slot = if name == "field" {
                    &mut self.field
                } else {
                    &mut self.items
                };
                if slot.replace(value).is_some() {
                    return Err(duplicate());
                }
            }
            "param" | "limit" => {
                let value = string(input, &name, "\"page\"")?;
                if value.value().is_empty() {
                    return Err(syn::Error::new(
                        value.span(),
                        format!("`{name}` names a query parameter, which cannot be empty"),
                    ));
                }
                let slot = if name == "param" {
                    &mut self.param
                } else {
                    &mut self.limit
                };
                if slot.replace(value).is_some() {
                    return Err(duplicate());
                }
            }
            "start" => {
                let span = input.span();
                let value: u64 = number(input, &name)?;
                if self.start.replace((value, span)).is_some() {
                    return Err(duplicate());
                }
            }
            "max_pages" => {
                let value: u32 = number(input, &name)?;
                if value == 0 {
                    return Err(syn::Error::new(
                        key.span(),
                        "`max_pages = 0` would end every listing before its first page: give at least 1",
                    ));
                }
                if self.max_pages.replace(value).is_some() {
                    return Err(duplicate());
                }
            }
            _ => {
                return Err(syn::Error::new(
                    key.span(),
                    format!(
                        "unknown pagination option `{name}`: a style takes some of `field`, `param`, `start`, `limit`, and any takes `items = \"/data\"` and `max_pages = 100`"
                    ),
                ));
            }
        }
        Ok(())
    }

    fn given(&self) -> Vec<(&'static str, Span)> {
        let mut given = Vec::new();
        for (key, span) in [
            ("field", self.field.as_ref().map(LitStr::span)),
            ("param", self.param.as_ref().map(LitStr::span)),
            ("limit", self.limit.as_ref().map(LitStr::span)),
            ("items", self.items.as_ref().map(LitStr::span)),
            ("start", self.start.map(|(_, span)| span)),
        ] {
            if let Some(span) = span {
                given.push((key, span));
            }
        }
        given
    }
}

fn takes(keys: &[&str]) -> String {
    let mut all: Vec<String> = keys.iter().map(|key| format!("`{key}`")).collect();
    all.extend(["`items`".to_owned(), "`max_pages`".to_owned()]);
    all.join(", ")
}

fn string(input: ParseStream, key: &str, example: &str) -> syn::Result<LitStr> {
    input.parse().map_err(|error| {
        syn::Error::new(
            error.span(),
            format!("`{key}` takes a string: `{key} = {example}`"),
        )
    })
}

fn number<N: std::str::FromStr>(input: ParseStream, key: &str) -> syn::Result<N>
where
    N::Err: std::fmt::Display,
{
    let literal: LitInt = input.parse().map_err(|error| {
        syn::Error::new(
            error.span(),
            format!("`{key}` takes a whole number: `{key} = 1`"),
        )
    })?;
    literal.base10_parse()
}

/// Whether `ty` (the `T` of `Result<T>`) is `Pages<Item>`, which a paginated method returns.
pub(crate) fn is_pages(ty: &Type) -> bool {
    matches!(ty, Type::Path(path) if path.qself.is_none() && path.path.segments.last().is_some_and(|last| {
        last.ident == "Pages" && matches!(&last.arguments, syn::PathArguments::AngleBracketed(args) if args.args.len() == 1)
    }))
}

/// Whether `ty` names freshtoken's `Pages<Item>` as it is usually written (`Pages<Item>`,
/// `client::Pages<Item>`, `freshtoken::client::Pages<Item>`), which only a paginated method
/// returns. A type of the user's own named `Pages` is written with another path.
pub(crate) fn names_freshtoken_pages(ty: &Type) -> bool {
    let Type::Path(path) = ty else { return false };
    let names: Vec<String> = path
        .path
        .segments
        .iter()
        .map(|segment| segment.ident.to_string())
        .collect();
    is_pages(ty)
        && matches!(
            names
                .iter()
                .map(String::as_str)
                .collect::<Vec<_>>()
                .as_slice(),
            ["Pages"] | ["client", "Pages"] | ["freshtoken", "client", "Pages"]
        )
}

/// The error for a method that returns `Pages<T>` without `paginate`.
pub(crate) fn not_paginated(ty: &Type) -> syn::Error {
    syn::Error::new(
        ty.span(),
        format!(
            "`Pages<Item>` is the items of every page of a listing: say how its pages follow one another with {STYLES} in the HTTP attribute; a type of your own named `Pages` is written with its path, such as `crate::Pages<T>`"
        ),
    )
}

/// The error for a paginated method that returns something else.
pub(crate) fn not_pages(ty: &Type) -> syn::Error {
    syn::Error::new(
        ty.span(),
        "a paginated method returns the items of every page as a stream: write `Result<Pages<Item>>` with `freshtoken::client::Pages` (`Item` being one item of a page), or remove `paginate`",
    )
}

/// The expression of a paginated method's call: its paging rule in a `static`, and the
/// listing `build` adds the arguments to.
pub(crate) fn call(paginate: &Paginate, build: &TokenStream) -> TokenStream {
    let paging = paginate.spec_value();
    quote! {
        {
            static PAGING: ::freshtoken::client::__macro::Paging = #paging;
            self.core.pages(&SPEC, &PAGING, #build)
        }
    }
}
