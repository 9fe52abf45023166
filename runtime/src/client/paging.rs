// Input: a paginated method's spec, its pagination style (a `static` the macro writes), the
// request its arguments make, and each page's answer.
// Output: a `Pages<T>` whose every page is one `ClientCore::call` (the cache, the one retry
// after a refused token, redirects kept on the origin), each request made anew from the
// method's arguments plus the page's cursor, number, offset or `Link` URL.

use std::sync::Arc;

use futures_core::future::BoxFuture;
use reqwest::Url;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use url::form_urlencoded;

use super::Error;
use super::core::ClientCore;
use super::decode::Decode;
use super::error::Call;
use super::json_error;
use super::link::next_target;
use super::pages::{Page, Pages};
use super::redirect::shown_origin;
use super::request::Request;
use super::spec::Spec;
use crate::TokenSource;

/// How a paginated method's pages follow one another, from its `paginate = ...` option.
#[derive(Debug)]
pub struct Paging {
    /// Where the next page is named.
    pub style: PageStyle,
    /// The JSON Pointer of the page's items (`/data`); `None` when the body is the array.
    pub items: Option<&'static str>,
    /// How many pages at most: past them the listing ends with [`Error::Pagination`].
    pub max_pages: u32,
}

/// Where a paginated method's next page is named.
#[derive(Debug, Clone, Copy)]
pub enum PageStyle {
    /// The answer's `Link: <url>; rel="next"` header; the listing ends without one.
    Link,
    /// A field of the body (a JSON Pointer), sent back as the query parameter `param`; the
    /// listing ends when it is missing, `null` or `""`.
    Cursor {
        /// `/next_cursor`.
        field: &'static str,
        /// `cursor`.
        param: &'static str,
    },
    /// The query parameter `param` counts pages from `start` (or from the value the
    /// arguments give it); the listing ends on an empty page, or one shorter than the query
    /// parameter `limit` asked for.
    Page {
        /// `page`.
        param: &'static str,
        /// The first page's number when the arguments give none.
        start: u64,
        /// The query parameter that sets the page size, if the API has one.
        limit: Option<&'static str>,
    },
    /// The query parameter `param` counts items from 0 (or from the value the arguments give
    /// it), moving on by the number of items each page had; the listing ends as for `Page`.
    Offset {
        /// `offset`.
        param: &'static str,
        /// The query parameter that sets the page size, if the API has one.
        limit: Option<&'static str>,
    },
}

/// What the request of the next page changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Next {
    /// The first page: the request as the arguments made it.
    First,
    /// The URL a `Link` header named.
    Url(Url),
    /// The cursor to send back.
    Cursor(String),
    /// The page number or offset to send.
    Number(u64),
}

/// What every page's request and answer need, shared by the pages of one listing.
struct Listing {
    spec: &'static Spec,
    paging: &'static Paging,
    base: Url,
    template: Request,
    /// The first page's number or offset.
    start: u64,
    /// The page size the arguments asked for, when the style names its parameter.
    limit: Option<u64>,
}

impl<S: TokenSource> ClientCore<S> {
    /// The pages of the method `spec` describes: `build` adds the arguments to a request
    /// once, and each page's request is a copy of it with the page's parameter. Nothing is
    /// sent until the listing is first polled.
    ///
    /// # Errors
    /// An argument that cannot be sent.
    pub fn pages<T, B>(
        &self,
        spec: &'static Spec,
        paging: &'static Paging,
        build: B,
    ) -> Result<Pages<T>, Error>
    where
        T: DeserializeOwned + Send + 'static,
        B: FnOnce(&mut Request) -> Result<(), Error>,
    {
        let mut template = Request::new(spec);
        build(&mut template)?;
        let number = |name: &str| {
            form_urlencoded::parse(template.query.as_bytes())
                .find(|(key, _)| key == name)
                .and_then(|(_, value)| value.parse::<u64>().ok())
        };
        let (start, limit) = match paging.style {
            PageStyle::Link | PageStyle::Cursor { .. } => (0, None),
            PageStyle::Page {
                param,
                start,
                limit,
            } => (number(param).unwrap_or(start), limit.and_then(number)),
            PageStyle::Offset { param, limit } => {
                (number(param).unwrap_or(0), limit.and_then(number))
            }
        };
        let listing = Arc::new(Listing {
            spec,
            paging,
            base: self.base_url().clone(),
            template,
            start,
            limit,
        });
        let core = self.clone();
        let mut fetched = 0_u32;
        let fetch = move |next: Next| -> BoxFuture<'static, Result<Page<T>, Error>> {
            if fetched >= paging.max_pages {
                let error = Error::Pagination {
                    call: super::request::call(spec),
                    reason: format!(
                        "the server still named a next page after {} pages, the method's `max_pages`: raise it if the listing is that long",
                        paging.max_pages
                    ),
                };
                return Box::pin(std::future::ready(Err(error)));
            }
            fetched += 1;
            let core = core.clone();
            let listing = Arc::clone(&listing);
            Box::pin(async move {
                let decoder = PageDecoder {
                    listing: Arc::clone(&listing),
                    sent: next.clone(),
                    items: std::marker::PhantomData,
                };
                core.call(
                    listing.spec,
                    |request: &mut Request| {
                        *request = listing.template.copy_for_page();
                        listing.apply(&next, request);
                        Ok(())
                    },
                    decoder,
                )
                .await
            })
        };
        Ok(Pages::new(Box::new(fetch)))
    }
}

impl Listing {
    /// Sets the page's parameter or URL on a copy of the first request.
    fn apply(&self, next: &Next, request: &mut Request) {
        match (next, self.paging.style) {
            (Next::Url(url), _) => request.url = Some(Box::new(url.clone())),
            (Next::Cursor(cursor), PageStyle::Cursor { param, .. }) => {
                set_query(&mut request.query, param, cursor);
            }
            (
                Next::Number(number),
                PageStyle::Page { param, .. } | PageStyle::Offset { param, .. },
            ) => set_query(&mut request.query, param, &number.to_string()),
            // The first page is the request as the arguments made it; the decoder names
            // only the kind of next page its style sends.
            (Next::First | Next::Cursor(_) | Next::Number(_), _) => {}
        }
    }

    fn error(&self, reason: String) -> Error {
        Error::Pagination {
            call: super::request::call(self.spec),
            reason,
        }
    }

    fn decode_error(&self, reason: String) -> Error {
        Error::Decode {
            call: super::request::call(self.spec),
            reason,
        }
    }
}

/// `query` with `name` set to `value` alone: a value the arguments gave is replaced.
fn set_query(query: &mut String, name: &str, value: &str) {
    let kept: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
        .filter(|(key, _)| key != name)
        .map(|(key, value)| (key.into_owned(), value.into_owned()))
        .collect();
    let mut encoded = form_urlencoded::Serializer::new(String::new());
    encoded.extend_pairs(kept);
    encoded.append_pair(name, value);
    *query = encoded.finish();
}

/// The next cursor (`None` at the end), or why it cannot be read.
type NextCursor = Result<Option<String>, Error>;

/// Reads one page: its items, and where the next one is.
struct PageDecoder<T> {
    listing: Arc<Listing>,
    sent: Next,
    items: std::marker::PhantomData<fn() -> T>,
}

impl<T: DeserializeOwned + Send> Decode for PageDecoder<T> {
    type Output = Page<T>;

    async fn decode(self, call: Call, response: reqwest::Response) -> Result<Page<T>, Error> {
        let listing = &self.listing;
        let url = response.url().clone();
        let link = match listing.paging.style {
            PageStyle::Link => {
                let values = response
                    .headers()
                    .get_all(http::header::LINK)
                    .iter()
                    .filter_map(|value| value.to_str().ok());
                Some(next_target(values).map(|target| target.map(str::to_owned)))
            }
            _ => None,
        };
        let body = response.bytes().await.map_err(|source| Error::Transport {
            call,
            source: source.without_url(),
        })?;
        let (items, cursor) = self.read_body(&body)?;
        // Where the next page is, or why it cannot be followed: an error that comes after
        // this page's items, which are good.
        let next = match (listing.paging.style, link) {
            (_, Some(link)) => self.follow_link(&url, link),
            (PageStyle::Cursor { field, .. }, None) => match cursor {
                Ok(None) => Ok(None),
                Ok(Some(cursor)) if self.sent == Next::Cursor(cursor.clone()) => {
                    Err(listing.error(format!(
                        "`{field}` names the cursor the page was asked with, which would repeat it forever"
                    )))
                }
                Ok(Some(cursor)) => Ok(Some(Next::Cursor(cursor))),
                Err(error) => Err(error),
            },
            (PageStyle::Page { .. } | PageStyle::Offset { .. }, None) => {
                let current = match self.sent {
                    Next::Number(number) => number,
                    _ => listing.start,
                };
                let short = listing
                    .limit
                    .is_some_and(|limit| (items.len() as u64) < limit);
                Ok(if items.is_empty() || short {
                    None
                } else if matches!(listing.paging.style, PageStyle::Page { .. }) {
                    Some(Next::Number(current.saturating_add(1)))
                } else {
                    Some(Next::Number(current.saturating_add(items.len() as u64)))
                })
            }
            (PageStyle::Link, None) => Ok(None),
        };
        Ok(Page {
            items,
            next: next.transpose(),
        })
    }
}

impl<T> PageDecoder<T> {
    /// The next page a `Link` header named, resolved against the page's URL, if it is on the
    /// base URL's origin and not the page itself.
    fn follow_link(
        &self,
        url: &Url,
        target: Result<Option<String>, String>,
    ) -> Result<Option<Next>, Error> {
        let listing = &self.listing;
        let target = target.map_err(|reason| {
            listing.error(format!("the `Link` header cannot be read: {reason}"))
        })?;
        let Some(target) = target else {
            return Ok(None);
        };
        let next = url.join(&target).map_err(|error| {
            listing.error(format!(
                "the `Link` header's next page is not a URL ({error})"
            ))
        })?;
        if next.origin() != listing.base.origin() {
            return Err(listing.error(format!(
                "the next page is on another origin, {}, which is not sent the token: the base URL's origin is {}",
                shown_origin(&next),
                shown_origin(&listing.base)
            )));
        }
        if next == *url {
            return Err(listing.error(
                "the `Link` header names the page it came with as the next one, which would repeat it forever".to_owned(),
            ));
        }
        Ok(Some(Next::Url(next)))
    }
}

impl<T: DeserializeOwned> PageDecoder<T> {
    /// The page's items and, for a cursor, the next cursor (`None` at the end).
    /// A cursor that is neither a string nor a number is an error after the items.
    fn read_body(&self, body: &[u8]) -> Result<(Vec<T>, NextCursor), Error> {
        let listing = &self.listing;
        let cursor_field = match listing.paging.style {
            PageStyle::Cursor { field, .. } => Some(field),
            _ => None,
        };
        // Not serde_json's message as it is: some of its messages quote the body.
        let json = |error: serde_json::Error| listing.decode_error(json_error::reason(&error));
        if listing.paging.items.is_none() && cursor_field.is_none() {
            return Ok((serde_json::from_slice(body).map_err(json)?, Ok(None)));
        }
        let mut value: serde_json::Value = serde_json::from_slice(body).map_err(json)?;
        let cursor = match cursor_field {
            None => Ok(None),
            Some(field) => match value.pointer(field) {
                None | Some(serde_json::Value::Null) => Ok(None),
                Some(serde_json::Value::String(text)) if text.is_empty() => Ok(None),
                Some(serde_json::Value::String(text)) => Ok(Some(text.clone())),
                Some(serde_json::Value::Number(number)) => Ok(Some(number.to_string())),
                Some(_) => Err(listing.decode_error(format!(
                    "the cursor at `{field}` is not a string or a number"
                ))),
            },
        };
        let items = match listing.paging.items {
            None => value.take(),
            Some(pointer) => value.pointer_mut(pointer).map(serde_json::Value::take).ok_or_else(|| {
                listing.decode_error(format!(
                    "the answer has no `{pointer}`, where the method's `items` says the page's items are"
                ))
            })?,
        };
        let items = Vec::<T>::deserialize(items).map_err(json)?;
        Ok((items, cursor))
    }
}

#[cfg(test)]
mod tests {
    use super::set_query;

    #[test]
    fn a_page_parameter_replaces_the_one_the_arguments_gave_and_keeps_the_others() {
        let mut query = "tag=a+b&page=1&tag=c".to_owned();
        set_query(&mut query, "page", "2");
        assert_eq!(query, "tag=a+b&tag=c&page=2");
        let mut empty = String::new();
        set_query(&mut empty, "cursor", "x/y=");
        assert_eq!(empty, "cursor=x%2Fy%3D");
    }
}
