// Input: the tokens of `#[freshtoken::client(...)]` and of a method's `#[get("/path", ...)]`.
// Output: the options, each at most once, or errors at the offending key or value that say
// what to write.

use proc_macro2::Span;
use syn::meta::ParseNestedMeta;
use syn::parse::{Parse, ParseStream};
use syn::spanned::Spanned;
use syn::{Ident, LitStr, Token, Type};

use super::paginate::Paginate;
use super::retry::{Retry, not_idempotent};
use super::unauthorized::Unauthorized;

/// The options of the trait's attribute.
#[derive(Default)]
pub(crate) struct ClientOptions {
    /// `error = Type`: the error of every `Result<T>` method.
    pub(crate) error: Option<Type>,
    /// `name = Ident`: the generated client's name.
    pub(crate) name: Option<Ident>,
    /// `unauthorized = [401, 422]` or `= path::to::function`: what a refused token looks
    /// like, for every method without its own.
    pub(crate) unauthorized: Option<Unauthorized>,
    /// `error_body = Type`: what a non-2xx body decodes into, for every method without its
    /// own.
    pub(crate) error_body: Option<Type>,
    /// `retry = transient` or `retry(...)`: retries after transient failures, for every
    /// idempotent method without its own.
    pub(crate) retry: Option<Retry>,
}

impl ClientOptions {
    pub(crate) fn parse(&mut self, meta: &ParseNestedMeta) -> syn::Result<()> {
        if meta.path.is_ident("error") {
            if self.error.is_some() {
                return Err(meta.error("duplicate `error` option: give the error type once"));
            }
            self.error = Some(meta.value()?.parse().map_err(|error| {
                syn::Error::new(
                    error.span(),
                    "expected a type after `error =`, for example `error = ApiError`",
                )
            })?);
        } else if meta.path.is_ident("name") {
            if self.name.is_some() {
                return Err(meta.error("duplicate `name` option: give the client's name once"));
            }
            self.name = Some(meta.value()?.parse().map_err(|error| {
                syn::Error::new(
                    error.span(),
                    "expected a name after `name =`, for example `name = TasksApi`",
                )
            })?);
        } else if meta.path.is_ident("unauthorized") {
            if self.unauthorized.is_some() {
                return Err(meta.error(
                    "duplicate `unauthorized` option: give the statuses or the function once",
                ));
            }
            self.unauthorized = Some(Unauthorized::parse(meta.value()?)?);
        } else if meta.path.is_ident("error_body") {
            if self.error_body.is_some() {
                return Err(
                    meta.error("duplicate `error_body` option: give the error body's type once")
                );
            }
            self.error_body = Some(parse_error_body(meta.value()?)?);
        } else if meta.path.is_ident("retry") {
            if self.retry.is_some() {
                return Err(meta.error("duplicate `retry` option: give it once"));
            }
            let key = meta.path.require_ident()?;
            let retry = Retry::parse(key, meta.input)?;
            if let Retry::On(settings) = &retry
                && settings.idempotent
            {
                return Err(meta.error(
                    "`idempotent` belongs on the POST or PATCH method that is safe to send twice: `#[post(\"/orders\", retry(idempotent))]`; the trait's `retry` applies to GET, HEAD, PUT and DELETE methods only",
                ));
            }
            self.retry = Some(retry);
        } else {
            return Err(meta.error(format!(
                "unknown option {}: `#[freshtoken::client]` accepts `error = <type>`, `name = <client name>`, `unauthorized = [401, ...]`, `error_body = <type>` and `retry = transient`",
                path_text(meta)
            )));
        }
        Ok(())
    }
}

/// The HTTP methods, by the attribute that names them.
pub(crate) const HTTP_METHODS: [(&str, &str); 6] = [
    ("get", "GET"),
    ("post", "POST"),
    ("put", "PUT"),
    ("patch", "PATCH"),
    ("delete", "DELETE"),
    ("head", "HEAD"),
];

/// A method's `#[get("/tasks/{id}", auth = none, timeout = "2s", unauthorized = [401, 422])]`.
pub(crate) struct HttpAttr {
    /// `GET`.
    pub(crate) method: &'static str,
    pub(crate) path: LitStr,
    /// Whether requests carry the bearer token (`auth = bearer`, the default).
    pub(crate) auth: bool,
    /// `timeout = "..."`, in milliseconds.
    pub(crate) timeout_ms: Option<u64>,
    /// `unauthorized = ...`: what a refused token looks like, over the trait's option.
    pub(crate) unauthorized: Option<Unauthorized>,
    /// `paginate = link`, `cursor(..)`, `page(..)`, `offset(..)`: the method lists pages.
    pub(crate) paginate: Option<Paginate>,
    /// `error_body = Type`: what a non-2xx body decodes into, over the trait's option.
    pub(crate) error_body: Option<Type>,
    /// `retry = ...`: retries after transient failures, over the trait's option.
    pub(crate) retry: Option<Retry>,
}

impl HttpAttr {
    /// Whether this method may send a body.
    pub(crate) fn allows_body(&self) -> bool {
        !matches!(self.method, "GET" | "HEAD")
    }

    pub(crate) fn parse(method: &'static str, attr: &syn::Attribute) -> syn::Result<Self> {
        let name = attr.path().get_ident().map(ToString::to_string);
        let name = name.as_deref().unwrap_or("get");
        let syn::Meta::List(list) = &attr.meta else {
            return Err(syn::Error::new(
                attr.span(),
                format!("`#[{name}]` needs a path: write `#[{name}(\"/tasks/{{id}}\")]`"),
            ));
        };
        let parsed: HttpArgs = list.parse_args().map_err(|error| {
            if list.tokens.is_empty() {
                syn::Error::new(
                    attr.span(),
                    format!("`#[{name}]` needs a path: write `#[{name}(\"/tasks/{{id}}\")]`"),
                )
            } else {
                error
            }
        })?;
        let auth = parsed.auth.is_none_or(|(auth, _)| auth);
        if let (false, Some((_, key))) = (auth, &parsed.unauthorized) {
            return Err(syn::Error::new(
                *key,
                "`auth = none` sends no token, so no answer can refuse one: remove `unauthorized`, or `auth = none`",
            ));
        }
        if let Some((Retry::On(settings), key)) = &parsed.retry
            && !settings.idempotent
            && matches!(method, "POST" | "PATCH")
        {
            return Err(not_idempotent(method, *key));
        }
        Ok(Self {
            method,
            path: parsed.path,
            auth,
            timeout_ms: parsed.timeout,
            unauthorized: parsed.unauthorized.map(|(unauthorized, _)| unauthorized),
            paginate: parsed.paginate,
            error_body: parsed.error_body,
            retry: parsed.retry.map(|(retry, _)| retry),
        })
    }
}

/// The tokens inside `#[get(...)]`: the path, then options.
struct HttpArgs {
    path: LitStr,
    auth: Option<(bool, Span)>,
    timeout: Option<u64>,
    unauthorized: Option<(Unauthorized, Span)>,
    paginate: Option<Paginate>,
    error_body: Option<Type>,
    retry: Option<(Retry, Span)>,
}

impl Parse for HttpArgs {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let path: LitStr = input.parse().map_err(|error| {
            syn::Error::new(
                error.span(),
                "the path comes first, as a string: `#[get(\"/tasks/{id}\")]`",
            )
        })?;
        let mut args = Self {
            path,
            auth: None,
            timeout: None,
            unauthorized: None,
            paginate: None,
            error_body: None,
            retry: None,
        };
        let mut timeout_seen = false;
        while !input.is_empty() {
            input.parse::<Token![,]>()?;
            if input.is_empty() {
                break;
            }
            let key: Ident = input.parse().map_err(|error| {
                syn::Error::new(
                    error.span(),
                    "expected an option: `auth = none`, `timeout = \"2s\"`, `unauthorized = [401, ...]`, `error_body = <type>`, `retry = transient` or `paginate = link`",
                )
            })?;
            // `retry(...)` has no `=`.
            if key == "retry" {
                args.parse_retry(&key, input)?;
                continue;
            }
            input.parse::<Token![=]>().map_err(|error| {
                syn::Error::new(
                    error.span(),
                    format!("`{key}` needs a value: write `{key} = ...`"),
                )
            })?;
            if key == "auth" {
                if args.auth.is_some() {
                    return Err(syn::Error::new(
                        key.span(),
                        "duplicate `auth` option: give it once",
                    ));
                }
                args.auth = Some((parse_auth(input)?, key.span()));
            } else if key == "timeout" {
                if timeout_seen {
                    return Err(syn::Error::new(
                        key.span(),
                        "duplicate `timeout` option: give it once",
                    ));
                }
                timeout_seen = true;
                let value: LitStr = input.parse().map_err(|error| {
                    syn::Error::new(
                        error.span(),
                        "`timeout` takes a string such as `timeout = \"2s\"` or `\"500ms\"`",
                    )
                })?;
                args.timeout = Some(parse_timeout(&value)?);
            } else if key == "unauthorized" {
                if args.unauthorized.is_some() {
                    return Err(syn::Error::new(
                        key.span(),
                        "duplicate `unauthorized` option: give the statuses or the function once",
                    ));
                }
                args.unauthorized = Some((Unauthorized::parse(input)?, key.span()));
            } else if key == "paginate" {
                Paginate::parse_once(&mut args.paginate, &key, input)?;
            } else if key == "error_body" {
                if args.error_body.is_some() {
                    return Err(syn::Error::new(
                        key.span(),
                        "duplicate `error_body` option: give the error body's type once",
                    ));
                }
                args.error_body = Some(parse_error_body(input)?);
            } else {
                return Err(syn::Error::new(
                    key.span(),
                    format!(
                        "unknown option `{key}`: an HTTP attribute accepts `auth = none`, `timeout = \"2s\"`, `unauthorized = [401, ...]`, `error_body = <type>`, `retry = transient` and `paginate = link`"
                    ),
                ));
            }
        }
        Ok(args)
    }
}

/// The value after `auth =`: whether the method sends the token.
fn parse_auth(input: ParseStream) -> syn::Result<bool> {
    let value: Ident = input
        .parse()
        .map_err(|error| syn::Error::new(error.span(), "`auth` takes `none` or `bearer`"))?;
    match value.to_string().as_str() {
        "none" => Ok(false),
        "bearer" => Ok(true),
        _ => Err(syn::Error::new(
            value.span(),
            format!(
                "unknown auth `{value}`: write `auth = none` to send no token, or leave it out (`bearer`, the default)"
            ),
        )),
    }
}

/// The type after `error_body =`.
fn parse_error_body(input: ParseStream) -> syn::Result<Type> {
    input.parse().map_err(|error| {
        syn::Error::new(
            error.span(),
            "expected a type after `error_body =`, for example `error_body = ApiFault` or `error_body = freshtoken::client::Problem`",
        )
    })
}

impl HttpArgs {
    fn parse_retry(&mut self, key: &Ident, input: ParseStream) -> syn::Result<()> {
        if self.retry.is_some() {
            return Err(syn::Error::new(
                key.span(),
                "duplicate `retry` option: give it once",
            ));
        }
        self.retry = Some((Retry::parse(key, input)?, key.span()));
        Ok(())
    }
}

/// A timeout in milliseconds, not zero.
fn parse_timeout(literal: &LitStr) -> syn::Result<u64> {
    match parse_duration(literal, "timeout")? {
        0 => Err(syn::Error::new(
            literal.span(),
            format!(
                "invalid timeout `{}`: a timeout of zero would fail every call; write a whole number and a unit: `\"500ms\"`, `\"2s\"` or `\"1m\"`",
                literal.value()
            ),
        )),
        ms => Ok(ms),
    }
}

/// `"2s"`, `"500ms"`, `"1m"` in milliseconds; `what` names the option in errors.
pub(crate) fn parse_duration(literal: &LitStr, what: &str) -> syn::Result<u64> {
    let text = literal.value();
    let bad = |why: &str| {
        syn::Error::new(
            literal.span(),
            format!(
                "invalid {what} `{text}`: {why}; write a whole number and a unit: `\"500ms\"`, `\"2s\"` or `\"1m\"`"
            ),
        )
    };
    let (digits, unit) = text.split_at(
        text.find(|c: char| !c.is_ascii_digit())
            .unwrap_or(text.len()),
    );
    if digits.is_empty() {
        return Err(bad("no whole number before the unit"));
    }
    let factor = match unit {
        "ms" => 1,
        "s" => 1000,
        "m" => 60_000,
        "" => return Err(bad("no unit")),
        _ if unit.starts_with(char::is_whitespace) => {
            return Err(bad("no space between the number and the unit"));
        }
        _ => return Err(bad(&format!("unknown unit `{unit}`"))),
    };
    match digits
        .parse::<u64>()
        .ok()
        .and_then(|number| number.checked_mul(factor))
    {
        Some(ms) => Ok(ms),
        None => Err(bad("too long")),
    }
}

fn path_text(meta: &ParseNestedMeta) -> String {
    meta.path
        .get_ident()
        .map_or_else(|| "this path".to_owned(), |ident| format!("`{ident}`"))
}
