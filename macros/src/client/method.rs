// Input: one method of the trait, as the user wrote it.
// Output: what the expansion needs (HTTP method, path, parameters by kind, return types), and
// the method's declaration with the attributes the macro consumed removed; or errors at the
// user's tokens.

use proc_macro2::Span;
use syn::ext::IdentExt;
use syn::spanned::Spanned;
use syn::{
    Attribute, FnArg, GenericArgument, Ident, LitStr, Pat, PathArguments, ReturnType, TraitItemFn,
    Type,
};

use super::header::{header_name, header_value};
use super::options::{HTTP_METHODS, HttpAttr};
use super::path::{Piece, parse_template};
use crate::combine;
use crate::expand::async_trait_order::rewritten_by_async_trait;

/// What to do about `#[async_trait]` on a `#[freshtoken::client]` trait, above or below it.
pub(crate) const ASYNC_TRAIT_FIX: &str = "remove `#[async_trait]` from the trait, and from the `impl`s of its fakes: a `#[freshtoken::client]` trait and its fakes use native `async fn` (the trait's futures are declared `Send`)";

pub(crate) struct Method {
    pub(crate) ident: Ident,
    pub(crate) http: HttpAttr,
    pub(crate) pieces: Vec<Piece>,
    /// `#[header("name", "value")]` on the method.
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) params: Vec<Param>,
    /// `T` in `Result<T, E>`.
    pub(crate) ok: Type,
    /// `E` in `Result<T, E>` (`_` for an alias named by its path, such as `io::Result<T>`).
    pub(crate) err: Type,
}

pub(crate) struct Param {
    pub(crate) ident: Ident,
    pub(crate) ty: Type,
    pub(crate) kind: Kind,
}

pub(crate) enum Kind {
    Path,
    Query(String),
    /// `#[query(flatten)]`, `brackets` for nested values (`created[gte]=1`).
    QueryFlatten {
        brackets: bool,
    },
    Header(String),
    Json,
    /// `#[form]`, `brackets` for nested values (`metadata[key]=v`).
    Form {
        brackets: bool,
    },
    Body,
    Multipart,
}

impl Kind {
    fn is_body(&self) -> bool {
        matches!(
            self,
            Kind::Json | Kind::Form { .. } | Kind::Body | Kind::Multipart
        )
    }
}

/// Reads `item`, removing the attributes the macro consumed and writing out `Result<T>` with
/// `error`, so that `item` becomes the trait's declaration of the method.
pub(crate) fn parse_method(item: &mut TraitItemFn, error_type: &Type) -> syn::Result<Method> {
    let mut errors = Vec::new();
    let sig = &item.sig;
    if rewritten_by_async_trait(sig) {
        // `#[async_trait]` ran first and its `Pin<Box<dyn Future>>` is no `Result`: this one
        // error says it all. The attributes go, so rustc adds no "cannot find attribute".
        let error = syn::Error::new(
            sig.fn_token.span,
            format!(
                "`#[async_trait]` has already turned `async fn {}` into a fn returning `Pin<Box<dyn Future>>`: {ASYNC_TRAIT_FIX}",
                sig.ident
            ),
        );
        let ident = sig.ident.clone();
        let _ = take_method_attrs(&mut item.attrs, &ident);
        for input in &mut item.sig.inputs {
            if let FnArg::Typed(typed) = input {
                let _ = take_kind(&mut typed.attrs);
            }
        }
        // `Output = Result<T>` written out too, for the same reason.
        if let ReturnType::Type(_, ty) = &mut item.sig.output
            && let Some(output) = future_output(ty)
        {
            let mut output =
                ReturnType::Type(<syn::Token![->]>::default(), Box::new(output.clone()));
            if rewrite_return(&mut output, error_type, ident.span()).is_ok()
                && let (ReturnType::Type(_, rewritten), Some(slot)) = (output, future_output(ty))
            {
                *slot = *rewritten;
            }
        }
        return Err(error);
    }
    if sig.asyncness.is_none() {
        errors.push(syn::Error::new(
            sig.fn_token.span,
            format!(
                "a `#[freshtoken::client]` method is `async`: write `async fn {}`",
                sig.ident
            ),
        ));
    }
    check_receiver(item, &mut errors);
    if let Some(param) = sig.generics.type_params().next() {
        errors.push(syn::Error::new(
            param.span(),
            "a `#[freshtoken::client]` method cannot be generic over types: name the parameter's type",
        ));
    }
    if let Some(body) = &item.default {
        errors.push(syn::Error::new(
            body.brace_token.span.join(),
            "remove the body: `#[freshtoken::client]` writes it from the HTTP attribute",
        ));
    }

    let (http, headers) = match take_method_attrs(&mut item.attrs, &sig.ident) {
        Ok(found) => found,
        Err(error) => {
            errors.push(error);
            // The trait is still emitted: without its parameters' attributes and with
            // `Result<T>` written out, rustc adds no errors of its own to this one.
            for input in &mut item.sig.inputs {
                if let FnArg::Typed(typed) = input {
                    errors.extend(take_kind(&mut typed.attrs).err());
                }
            }
            errors.extend(
                rewrite_return(&mut item.sig.output, error_type, item.sig.ident.span()).err(),
            );
            return Err(finish(errors));
        }
    };
    let pieces = parse_template(&http.path)
        .map_err(|error| errors.push(error))
        .unwrap_or_default();
    let params = take_params(item, &http, &pieces, &mut errors);
    let returns = rewrite_return(&mut item.sig.output, error_type, item.sig.ident.span());
    if let Ok((ok, _)) = &returns {
        match &http.paginate {
            Some(_) if !super::paginate::is_pages(ok) => {
                errors.push(super::paginate::not_pages(ok));
            }
            None if super::paginate::names_freshtoken_pages(ok) => {
                errors.push(super::paginate::not_paginated(ok));
            }
            _ => {}
        }
    }
    match (returns, combine(errors)) {
        (Ok((ok, err)), None) => Ok(Method {
            ident: item.sig.ident.clone(),
            http,
            pieces,
            headers,
            params,
            ok,
            err,
        }),
        (Ok(_), Some(errors)) => Err(errors),
        (Err(error), others) => Err(finish(others.into_iter().chain([error]).collect())),
    }
}

fn finish(errors: Vec<syn::Error>) -> syn::Error {
    combine(errors).unwrap_or_else(|| syn::Error::new(Span::call_site(), "invalid method"))
}

fn check_receiver(item: &TraitItemFn, errors: &mut Vec<syn::Error>) {
    let fix = format!("take `&self`: `async fn {}(&self, ...)`", item.sig.ident);
    match item.sig.receiver() {
        Some(receiver) if receiver.reference.is_some() && receiver.mutability.is_none() => {}
        // `new_spanned`: the whole `&mut self`, not its first token.
        Some(receiver) => errors.push(syn::Error::new_spanned(
            receiver,
            format!("a generated client is shared between tasks, so its methods {fix}"),
        )),
        None => errors.push(syn::Error::new(
            item.sig.paren_token.span.join(),
            format!("a `#[freshtoken::client]` method needs a receiver: {fix}"),
        )),
    }
}

/// Takes the HTTP attribute (exactly one) and the `#[header("name", "value")]`s.
fn take_method_attrs(
    attrs: &mut Vec<Attribute>,
    ident: &Ident,
) -> syn::Result<(HttpAttr, Vec<(String, String)>)> {
    let mut http: Option<HttpAttr> = None;
    let mut headers = Vec::new();
    let mut errors = Vec::new();
    attrs.retain(|attr| {
        let method = HTTP_METHODS
            .iter()
            .find(|(name, _)| attr.path().is_ident(name))
            .map(|(_, method)| *method);
        if let Some(method) = method {
            if http.is_some() {
                errors.push(syn::Error::new(
                    attr.path().span(),
                    "a method has one HTTP attribute: remove this one, or make it a second method",
                ));
            } else {
                match HttpAttr::parse(method, attr) {
                    Ok(parsed) => http = Some(parsed),
                    Err(error) => errors.push(error),
                }
            }
            return false;
        }
        if attr.path().is_ident("header") {
            match attr.parse_args_with(|input: syn::parse::ParseStream| {
                let name: LitStr = input.parse()?;
                input.parse::<syn::Token![,]>()?;
                let value: LitStr = input.parse()?;
                Ok((name, value))
            }) {
                Ok((name, value)) => match (header_name(&name), header_value(&value)) {
                    (Ok(name), Ok(value)) => headers.push((name, value)),
                    (Err(error), _) | (_, Err(error)) => errors.push(error),
                },
                Err(_) => errors.push(syn::Error::new(
                    attr.span(),
                    "a method's `#[header]` takes a name and a value: `#[header(\"accept\", \"application/json\")]`",
                )),
            }
            return false;
        }
        true
    });
    if let Some(error) = combine(errors) {
        return Err(error);
    }
    http.map(|http| (http, headers)).ok_or_else(|| {
        syn::Error::new(
            ident.span(),
            format!("`{ident}` has no HTTP attribute: add one, for example `#[get(\"/{ident}\")]` (or `post`, `put`, `patch`, `delete`, `head`)"),
        )
    })
}

/// Reads each parameter's kind from its attribute, and checks the path and body rules.
fn take_params(
    item: &mut TraitItemFn,
    http: &HttpAttr,
    pieces: &[Piece],
    errors: &mut Vec<syn::Error>,
) -> Vec<Param> {
    let mut params = Vec::new();
    let mut body: Option<Ident> = None;
    for input in &mut item.sig.inputs {
        let FnArg::Typed(typed) = input else { continue };
        let kind = match take_kind(&mut typed.attrs) {
            Ok(kind) => kind,
            Err(error) => {
                errors.push(error);
                continue;
            }
        };
        let Pat::Ident(pat) = &*typed.pat else {
            errors.push(syn::Error::new(
                typed.pat.span(),
                "a `#[freshtoken::client]` parameter needs a plain name, such as `id: u64`",
            ));
            continue;
        };
        let ident = pat.ident.clone();
        let name = ident.unraw().to_string();
        let name = name.as_str();
        let kind = kind.unwrap_or(Kind::Path);
        let in_path = pieces
            .iter()
            .any(|piece| matches!(piece, Piece::Param(p) if p == name));
        if matches!(kind, Kind::Path) && !in_path {
            errors.push(syn::Error::new(
                ident.span(),
                format!(
                    "parameter `{name}` is not in the path `{}`: add `{{{name}}}` to the path, or mark it `#[query]`, `#[header(\"...\")]`, `#[json]`, `#[form]`, `#[body]` or `#[multipart]`",
                    http.path.value()
                ),
            ));
        }
        if !matches!(kind, Kind::Path) && in_path {
            errors.push(syn::Error::new(
                ident.span(),
                format!("parameter `{name}` fills `{{{name}}}` in the path: remove its attribute"),
            ));
        }
        if kind.is_body() {
            if http.paginate.is_some() {
                errors.push(syn::Error::new(
                    ident.span(),
                    format!("a paginated method asks for each page again with the same request, which has no body: send `{name}` as `#[query]` (a struct as `#[query(flatten)]`), or remove `paginate`"),
                ));
            } else if let Some(first) = &body {
                errors.push(syn::Error::new(
                    ident.span(),
                    format!("a request has one body, and `{first}` is already it: put both in one struct and send that"),
                ));
            } else if !http.allows_body() {
                errors.push(syn::Error::new(
                    ident.span(),
                    format!(
                        "a {} request has no body: use `#[post]`, `#[put]` or `#[patch]`, or send `{name}` as `#[query]`",
                        http.method
                    ),
                ));
            }
            body.get_or_insert(ident.clone());
        }
        params.push(Param {
            ident,
            ty: (*typed.ty).clone(),
            kind,
        });
    }
    for piece in pieces {
        if let Piece::Param(name) = piece
            && !params
                .iter()
                .any(|param| param.ident.unraw() == name.as_str())
        {
            errors.push(syn::Error::new(
                http.path.span(),
                format!("`{{{name}}}` in the path has no parameter: add `{name}: ...` to the method, or remove `{{{name}}}`"),
            ));
        }
    }
    params
}

/// The kind a parameter's attribute gives (removed from it), `None` for no attribute.
fn take_kind(attrs: &mut Vec<Attribute>) -> syn::Result<Option<Kind>> {
    let mut kind: Option<(Kind, Span)> = None;
    let mut result = Ok(());
    attrs.retain(|attr| {
        let parsed = if attr.path().is_ident("query") {
            query_kind(attr)
        } else if attr.path().is_ident("header") {
            attr.parse_args::<LitStr>()
                .map_err(|_| {
                    syn::Error::new(
                        attr.span(),
                        "a parameter's `#[header]` takes the header's name: `#[header(\"x-request-id\")]`",
                    )
                })
                .and_then(|name| header_name(&name))
                .map(Kind::Header)
        } else if attr.path().is_ident("form") {
            form_kind(attr)
        } else if let Some(kind) = [
            ("json", Kind::Json),
            ("body", Kind::Body),
            ("multipart", Kind::Multipart),
        ]
        .into_iter()
        .find_map(|(name, kind)| attr.path().is_ident(name).then_some(kind))
        {
            match &attr.meta {
                syn::Meta::Path(_) => Ok(kind),
                _ => Err(syn::Error::new(
                    attr.span(),
                    format!("`#[{}]` takes no arguments", attr.path().get_ident().map(ToString::to_string).unwrap_or_default()),
                )),
            }
        } else {
            return true;
        };
        match parsed {
            Ok(_) if kind.is_some() => {
                result = Err(syn::Error::new(
                    attr.span(),
                    "a parameter has one of `#[query]`, `#[header]`, `#[json]`, `#[form]`, `#[body]`, `#[multipart]`: remove one",
                ));
            }
            Ok(parsed) => kind = Some((parsed, attr.span())),
            Err(error) => result = Err(error),
        }
        false
    });
    result.map(|()| kind.map(|(kind, _)| kind))
}

/// `#[form]`, or `#[form(brackets)]` for nested objects and arrays.
fn form_kind(attr: &Attribute) -> syn::Result<Kind> {
    match &attr.meta {
        syn::Meta::Path(_) => Ok(Kind::Form { brackets: false }),
        syn::Meta::List(list)
            if list
                .parse_args::<Ident>()
                .is_ok_and(|ident| ident == "brackets") =>
        {
            Ok(Kind::Form { brackets: true })
        }
        syn::Meta::List(list) => Err(syn::Error::new(list.tokens.span(), FORM_FIX)),
        syn::Meta::NameValue(_) => Err(syn::Error::new(attr.span(), FORM_FIX)),
    }
}

const FORM_FIX: &str = "write `#[form]`, or `#[form(brackets)]` to send nested objects and arrays as `metadata[key]=v`, `items[0][price]=x`";

fn query_kind(attr: &Attribute) -> syn::Result<Kind> {
    let fix = "write `#[query]`, `#[query(\"name\")]` to rename it, `#[query(flatten)]` for a struct's fields, or `#[query(flatten, brackets)]` for nested objects and arrays (`created[gte]=1`)";
    match &attr.meta {
        syn::Meta::Path(_) => Ok(Kind::Query(String::new())),
        syn::Meta::List(list) => {
            if let Ok(name) = list.parse_args::<LitStr>() {
                if name.value().is_empty() {
                    return Err(syn::Error::new(
                        name.span(),
                        format!("a query name cannot be empty: {fix}"),
                    ));
                }
                Ok(Kind::Query(name.value()))
            } else if let Some(brackets) = flatten_words(list) {
                Ok(Kind::QueryFlatten { brackets })
            } else {
                Err(syn::Error::new(list.tokens.span(), fix))
            }
        }
        syn::Meta::NameValue(_) => Err(syn::Error::new(attr.span(), fix)),
    }
}

/// `Some(false)` for `flatten`, `Some(true)` for `flatten, brackets`.
fn flatten_words(list: &syn::MetaList) -> Option<bool> {
    let words = list
        .parse_args_with(syn::punctuated::Punctuated::<Ident, syn::Token![,]>::parse_terminated)
        .ok()?;
    let words: Vec<String> = words.iter().map(ToString::to_string).collect();
    match words
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["flatten"] => Some(false),
        ["flatten", "brackets"] => Some(true),
        _ => None,
    }
}

/// `T` in the `dyn Future<Output = T>` inside `ty` (`Pin<Box<dyn Future<..> + Send>>`).
fn future_output(ty: &mut Type) -> Option<&mut Type> {
    match ty {
        Type::Path(path) => {
            let PathArguments::AngleBracketed(args) = &mut path.path.segments.last_mut()?.arguments
            else {
                return None;
            };
            args.args.iter_mut().find_map(|arg| match arg {
                GenericArgument::Type(inner) => future_output(inner),
                _ => None,
            })
        }
        Type::TraitObject(object) => object.bounds.iter_mut().find_map(|bound| {
            let syn::TypeParamBound::Trait(bound) = bound else {
                return None;
            };
            let last = bound.path.segments.last_mut()?;
            if last.ident != "Future" {
                return None;
            }
            let PathArguments::AngleBracketed(args) = &mut last.arguments else {
                return None;
            };
            args.args.iter_mut().find_map(|arg| match arg {
                GenericArgument::AssocType(assoc) if assoc.ident == "Output" => Some(&mut assoc.ty),
                _ => None,
            })
        }),
        _ => None,
    }
}

/// Checks the return type is `Result<T>` or `Result<T, E>`, writes out `Result<T>` as
/// `Result<T, error>`, and gives `T` and the error (`_`, left to inference, for an alias
/// named by its path such as `std::io::Result<T>`).
fn rewrite_return(
    output: &mut ReturnType,
    error: &Type,
    ident_span: Span,
) -> syn::Result<(Type, Type)> {
    let fix = "return `Result<T>` (the client's error) or `Result<T, E>` where `E: From<freshtoken::client::Error>`";
    let ReturnType::Type(_, ty) = output else {
        return Err(syn::Error::new(
            ident_span,
            format!("a `#[freshtoken::client]` method returns a result: {fix}"),
        ));
    };
    let span = ty.span();
    let Type::Path(path) = &mut **ty else {
        return Err(syn::Error::new(span, fix));
    };
    let Some(last) = path.path.segments.last_mut() else {
        return Err(syn::Error::new(span, fix));
    };
    if last.ident != "Result" {
        return Err(syn::Error::new(span, fix));
    }
    let PathArguments::AngleBracketed(args) = &mut last.arguments else {
        return Err(syn::Error::new(span, fix));
    };
    let types: Vec<Type> = args
        .args
        .iter()
        .filter_map(|arg| match arg {
            GenericArgument::Type(ty) => Some(ty.clone()),
            _ => None,
        })
        .collect();
    // `api::Result<T>`, `std::io::Result<T>`: an alias named by its path is the user's own,
    // with its own error, so it stays as written and its error is the method's (checked to
    // have `From<freshtoken::client::Error>` where the result is made).
    let qualified = path.path.leading_colon.is_some() || path.path.segments.len() > 1;
    match types.as_slice() {
        [ok] if qualified => Ok((ok.clone(), syn::parse_quote_spanned!(span=> _))),
        [ok] => {
            let ok = ok.clone();
            **ty = syn::parse_quote_spanned!(span=> ::core::result::Result<#ok, #error>);
            Ok((ok, error.clone()))
        }
        [ok, err] => Ok((ok.clone(), err.clone())),
        _ => Err(syn::Error::new(span, fix)),
    }
}
