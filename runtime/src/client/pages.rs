// Input: a function that fetches one page given where it is (the generated client's, or a
// fake's list of pages).
// Output: the items of every page in order, as a `Stream` or page by page, fetching a page
// only when the items before it are taken, and ending after the first error.

use std::collections::VecDeque;
use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;
use futures_core::future::BoxFuture;

use super::Error;
use super::paging::Next;

/// One page: its items, and where the next one is (`None` at the end), or why it cannot be
/// followed (the listing's last item, after this page's).
pub(super) struct Page<T> {
    pub(super) items: Vec<T>,
    pub(super) next: Option<Result<Next, Error>>,
}

type Fetch<T> = Box<dyn FnMut(Next) -> BoxFuture<'static, Result<Page<T>, Error>> + Send>;

/// The items of a paginated listing: what a method declared with `paginate = ...` returns
/// as `Result<Pages<T>>`.
///
/// It is a [`Stream`] of `Result<T, Error>` (use `futures::StreamExt`/`TryStreamExt`, or
/// [`next_item`](Pages::next_item), [`next_page`](Pages::next_page) and
/// [`try_collect`](Pages::try_collect) without the `futures` crate). Awaiting the method
/// sends nothing: the first page is requested when the listing is first polled, and each
/// next page when the items before it have been taken. Every page's request goes through
/// the client's token cache and its retry after a refused token, so a token that expires in
/// the middle of a long listing is renewed. An error (a failed page, a next page on another
/// origin, more pages than `max_pages`) is the last item: the listing ends after it.
///
/// A fake of the trait makes one with [`Pages::from_pages`] or [`Pages::from_results`].
///
/// ```
/// use freshtoken::client::{Error, Pages};
///
/// async fn titles(mut pages: Pages<String>) -> Result<Vec<String>, Error> {
///     let mut titles = Vec::new();
///     while let Some(page) = pages.next_page().await {
///         titles.extend(page?);
///     }
///     Ok(titles)
/// }
/// # let _ = titles;
/// ```
pub struct Pages<T> {
    fetch: Fetch<T>,
    next: Option<Result<Next, Error>>,
    in_flight: Option<BoxFuture<'static, Result<Page<T>, Error>>>,
    buffer: VecDeque<T>,
}

// Nothing is pinned in place: the page in flight is boxed, the items are moved out.
impl<T> Unpin for Pages<T> {}

impl<T: Send + 'static> Pages<T> {
    pub(super) fn new(fetch: Fetch<T>) -> Self {
        Self {
            fetch,
            next: Some(Ok(Next::First)),
            in_flight: None,
            buffer: VecDeque::new(),
        }
    }

    /// A listing of these pages, for a fake of a trait whose method returns `Pages<T>`.
    ///
    /// ```
    /// use freshtoken::client::Pages;
    ///
    /// # async fn run() -> Result<(), freshtoken::client::Error> {
    /// let pages = Pages::from_pages([vec![1, 2], vec![3]]);
    /// assert_eq!(pages.try_collect().await?, [1, 2, 3]);
    /// # Ok(()) }
    /// ```
    pub fn from_pages(pages: impl IntoIterator<Item = Vec<T>>) -> Self {
        Self::from_results(pages.into_iter().map(Ok))
    }

    /// A listing of these pages, each a page's items or the error that ends the listing:
    /// for a fake whose listing fails part way.
    pub fn from_results(pages: impl IntoIterator<Item = Result<Vec<T>, Error>>) -> Self {
        let mut pages: VecDeque<Result<Vec<T>, Error>> = pages.into_iter().collect();
        Self::new(Box::new(move |_| {
            let page = pages.pop_front().map_or_else(
                || {
                    Ok(Page {
                        items: Vec::new(),
                        next: None,
                    })
                },
                |page| {
                    page.map(|items| Page {
                        items,
                        next: Some(Ok(Next::First)),
                    })
                },
            );
            let page = page.map(|mut page| {
                if pages.is_empty() {
                    page.next = None;
                }
                page
            });
            Box::pin(std::future::ready(page))
        }))
    }

    /// The next item, or `None` at the end of the listing.
    ///
    /// # Errors
    /// The error that ended the listing: a page's request or answer failed, or the next page
    /// could not be followed ([`Error::Pagination`]).
    pub async fn next_item(&mut self) -> Option<Result<T, Error>> {
        std::future::poll_fn(|cx| Pin::new(&mut *self).poll_next(cx)).await
    }

    /// The items of the current page not yet taken, or else the whole next page (which may be
    /// empty); `None` at the end of the listing.
    ///
    /// # Errors
    /// As [`next_item`](Pages::next_item).
    pub async fn next_page(&mut self) -> Option<Result<Vec<T>, Error>> {
        if !self.buffer.is_empty() {
            return Some(Ok(self.buffer.drain(..).collect()));
        }
        std::future::poll_fn(|cx| self.poll_page(cx)).await
    }

    /// Every item of every page that is left, in order.
    ///
    /// # Errors
    /// The first error, as [`next_item`](Pages::next_item); the items before it are dropped.
    pub async fn try_collect(mut self) -> Result<Vec<T>, Error> {
        let mut items: Vec<T> = self.buffer.drain(..).collect();
        while let Some(page) = self.next_page().await {
            items.extend(page?);
        }
        Ok(items)
    }

    /// Fetches the next page and gives its items.
    fn poll_page(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Vec<T>, Error>>> {
        let in_flight = match &mut self.in_flight {
            Some(in_flight) => in_flight,
            None => match self.next.take() {
                None => return Poll::Ready(None),
                Some(Err(error)) => return Poll::Ready(Some(Err(error))),
                Some(Ok(next)) => self.in_flight.insert((self.fetch)(next)),
            },
        };
        let page = match in_flight.as_mut().poll(cx) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(page) => page,
        };
        self.in_flight = None;
        Poll::Ready(Some(page.map(|page| {
            self.next = page.next;
            page.items
        })))
    }
}

impl<T: Send + 'static> Stream for Pages<T> {
    type Item = Result<T, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        loop {
            if let Some(item) = self.buffer.pop_front() {
                return Poll::Ready(Some(Ok(item)));
            }
            match self.poll_page(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(None) => return Poll::Ready(None),
                Poll::Ready(Some(Err(error))) => return Poll::Ready(Some(Err(error))),
                // An empty page in the middle of a listing is skipped.
                Poll::Ready(Some(Ok(items))) => self.buffer = items.into(),
            }
        }
    }
}

impl<T> fmt::Debug for Pages<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pages")
            .field("buffered", &self.buffer.len())
            .field("in_flight", &self.in_flight.is_some())
            .field("ended", &(self.next.is_none() && self.in_flight.is_none()))
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::Pages;
    use crate::client::Error;

    fn failed() -> Error {
        Error::Pagination {
            call: crate::client::Call {
                name: "list",
                method: http::Method::GET,
                template: "/list",
            },
            reason: "a test's failure".to_owned(),
        }
    }

    #[tokio::test]
    async fn next_page_gives_the_rest_of_the_current_page_then_the_next_pages() {
        let mut pages = Pages::from_pages([vec![1, 2, 3], vec![], vec![4]]);
        assert_eq!(pages.next_item().await.map(Result::ok), Some(Some(1)));
        assert_eq!(
            pages.next_page().await.map(Result::ok),
            Some(Some(vec![2, 3]))
        );
        assert_eq!(pages.next_page().await.map(Result::ok), Some(Some(vec![])));
        assert_eq!(pages.next_page().await.map(Result::ok), Some(Some(vec![4])));
        assert!(pages.next_page().await.is_none());
        assert!(pages.next_item().await.is_none());
    }

    #[tokio::test]
    async fn an_error_is_the_last_item_after_the_pages_before_it() {
        let mut pages = Pages::from_results([Ok(vec![1]), Err(failed()), Ok(vec![2])]);
        assert_eq!(pages.next_item().await.map(Result::ok), Some(Some(1)));
        let error = pages.next_item().await.and_then(Result::err);
        assert!(matches!(error, Some(Error::Pagination { .. })), "{error:?}");
        assert!(pages.next_item().await.is_none(), "nothing after the error");
    }

    #[tokio::test]
    async fn an_empty_listing_ends_at_once() {
        let pages = Pages::<u8>::from_pages([]);
        assert_eq!(pages.try_collect().await.ok(), Some(Vec::new()));
    }
}
