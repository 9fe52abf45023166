// Input: what a `#[body]` or `#[multipart]` parameter holds.
// Output: a fresh request body for each attempt: a retry after a 401 sends the body again
// without cloning a sent request, so streams made by a closure retry too.

use std::fmt;

use bytes::Bytes;

/// What a `#[body]` parameter may be: bytes or text sent as they are, or a [`Streamed`] body.
#[diagnostic::on_unimplemented(
    message = "a `#[body]` parameter cannot be of type `{Self}`",
    label = "this `#[body]` parameter is not bytes or text",
    note = "use `&[u8]`, `Vec<u8>`, `Bytes`, `&str`, `String`, or `freshtoken::client::Streamed` for a stream; for a struct, write `#[json]` or `#[form]`"
)]
pub trait BodySource: Sync {
    /// The body for one attempt.
    ///
    /// # Errors
    /// Why the body could not be made (for a [`Streamed`] body, its closure's reason).
    fn to_body(&self) -> Result<reqwest::Body, String>;

    /// The `Content-Type` sent with it.
    fn content_type(&self) -> &'static str {
        "application/octet-stream"
    }
}

impl BodySource for [u8] {
    fn to_body(&self) -> Result<reqwest::Body, String> {
        Ok(Bytes::copy_from_slice(self).into())
    }
}

impl BodySource for Vec<u8> {
    fn to_body(&self) -> Result<reqwest::Body, String> {
        self.as_slice().to_body()
    }
}

impl BodySource for Bytes {
    fn to_body(&self) -> Result<reqwest::Body, String> {
        // A reference count, not a copy.
        Ok(self.clone().into())
    }
}

impl BodySource for str {
    fn to_body(&self) -> Result<reqwest::Body, String> {
        Ok(Bytes::copy_from_slice(self.as_bytes()).into())
    }

    fn content_type(&self) -> &'static str {
        "text/plain; charset=utf-8"
    }
}

impl BodySource for String {
    fn to_body(&self) -> Result<reqwest::Body, String> {
        self.as_str().to_body()
    }

    fn content_type(&self) -> &'static str {
        "text/plain; charset=utf-8"
    }
}

impl<T: BodySource + ?Sized> BodySource for &T {
    fn to_body(&self) -> Result<reqwest::Body, String> {
        (**self).to_body()
    }

    fn content_type(&self) -> &'static str {
        (**self).content_type()
    }
}

/// A body made by a closure for each attempt: a stream over a file, a generator, anything
/// that can be sent only once. After a 401 the closure runs again for the retry.
///
/// ```
/// use freshtoken::client::Streamed;
///
/// let upload = Streamed::new(|| {
///     let chunks = vec![Ok::<_, std::io::Error>("part one, "), Ok("part two")];
///     Ok(reqwest::Body::wrap_stream(futures_util::stream::iter(chunks)))
/// });
/// # let _ = upload;
/// ```
pub struct Streamed<F> {
    open: F,
    content_type: &'static str,
}

impl<F> Streamed<F>
where
    F: Fn() -> Result<reqwest::Body, String> + Sync,
{
    /// A body that `open` makes, sent as `application/octet-stream`.
    pub fn new(open: F) -> Self {
        Self {
            open,
            content_type: "application/octet-stream",
        }
    }

    /// Sends it with this `Content-Type` instead.
    #[must_use]
    pub fn content_type(mut self, content_type: &'static str) -> Self {
        self.content_type = content_type;
        self
    }
}

impl<F> BodySource for Streamed<F>
where
    F: Fn() -> Result<reqwest::Body, String> + Sync,
{
    fn to_body(&self) -> Result<reqwest::Body, String> {
        (self.open)()
    }

    fn content_type(&self) -> &'static str {
        self.content_type
    }
}

impl<F> fmt::Debug for Streamed<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Streamed")
            .field("content_type", &self.content_type)
            .finish_non_exhaustive()
    }
}

/// A `multipart/form-data` body for a `#[multipart]` parameter: text fields and files,
/// kept as bytes so that a retry after a 401 sends them again.
///
/// ```
/// use freshtoken::client::Multipart;
///
/// let form = Multipart::new()
///     .text("title", "report")
///     .file("file", "report.csv", "text/csv", b"a,b\n1,2\n".to_vec());
/// # let _ = form;
/// ```
#[derive(Debug, Clone, Default)]
pub struct Multipart {
    parts: Vec<Part>,
}

#[derive(Debug, Clone)]
struct Part {
    name: String,
    file_name: Option<String>,
    content_type: Option<String>,
    data: Bytes,
}

impl Multipart {
    /// An empty form.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a text field.
    #[must_use]
    pub fn text(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.parts.push(Part {
            name: name.into(),
            file_name: None,
            content_type: None,
            data: Bytes::from(value.into()),
        });
        self
    }

    /// Adds a file: its field name, file name, content type (`text/csv`) and bytes.
    #[must_use]
    pub fn file(
        mut self,
        name: impl Into<String>,
        file_name: impl Into<String>,
        content_type: impl Into<String>,
        data: impl Into<Bytes>,
    ) -> Self {
        self.parts.push(Part {
            name: name.into(),
            file_name: Some(file_name.into()),
            content_type: Some(content_type.into()),
            data: data.into(),
        });
        self
    }

    /// The form for one attempt.
    pub(super) fn to_form(&self) -> Result<reqwest::multipart::Form, String> {
        let mut form = reqwest::multipart::Form::new();
        for part in &self.parts {
            let mut body = reqwest::multipart::Part::stream(part.data.clone());
            if let Some(file_name) = &part.file_name {
                body = body.file_name(file_name.clone());
            }
            if let Some(content_type) = &part.content_type {
                body = body.mime_str(content_type).map_err(|_| {
                    format!(
                        "part `{}`: `{content_type}` is not a content type (write it like `text/csv`)",
                        part.name
                    )
                })?;
            }
            form = form.part(part.name.clone(), body);
        }
        Ok(form)
    }
}
