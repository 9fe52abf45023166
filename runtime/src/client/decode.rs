// Input: a 2xx response and the method's return type, as the macro read it.
// Output: the value the method returns. The macro picks the decoder from the type as written
// (`()`, `String`, `Bytes`, `ByteStream`, `Answer<T>`, `Json<T>`, anything else as JSON),
// because one blanket impl over `DeserializeOwned` could not coexist with the others.

use std::future::Future;
use std::marker::PhantomData;

use bytes::Bytes;
use serde::de::DeserializeOwned;

use super::Error;
use super::answer::{Answer, ByteStream};
use super::error::Call;
use super::json::Json;
use super::json_error;

/// Turns a 2xx response into a method's return value.
pub trait Decode: Send {
    /// What the method returns.
    type Output;

    /// Reads and decodes the body.
    fn decode(
        self,
        call: Call,
        response: reqwest::Response,
    ) -> impl Future<Output = Result<Self::Output, Error>> + Send;
}

async fn bytes(call: &Call, response: reqwest::Response) -> Result<Bytes, Error> {
    response.bytes().await.map_err(|source| Error::Transport {
        call: call.clone(),
        source: source.without_url(),
    })
}

/// The body as JSON.
#[derive(Debug)]
pub struct AsJson<T>(PhantomData<fn() -> T>);

impl<T> AsJson<T> {
    /// The decoder; the type comes from the method's return type.
    #[must_use]
    pub fn new() -> Self {
        Self(PhantomData)
    }
}

impl<T> Default for AsJson<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: DeserializeOwned> Decode for AsJson<T> {
    type Output = T;

    async fn decode(self, call: Call, response: reqwest::Response) -> Result<T, Error> {
        let body = bytes(&call, response).await?;
        // Not serde_json's message as it is: some of its messages quote the body.
        serde_json::from_slice(&body).map_err(|error| Error::Decode {
            call,
            reason: json_error::reason(&error),
        })
    }
}

/// The body as JSON, in [`Json`]: for `Json<T>`, whatever `T` is.
#[derive(Debug)]
pub struct AsJsonWrapped<T>(AsJson<T>);

impl<T> AsJsonWrapped<T> {
    /// The decoder; the type comes from the method's return type.
    #[must_use]
    pub fn new() -> Self {
        Self(AsJson::new())
    }
}

impl<T> Default for AsJsonWrapped<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: DeserializeOwned> Decode for AsJsonWrapped<T> {
    type Output = Json<T>;

    async fn decode(self, call: Call, response: reqwest::Response) -> Result<Json<T>, Error> {
        self.0.decode(call, response).await.map(Json)
    }
}

/// No value: the body is read and dropped, so the connection can be reused.
#[derive(Debug, Default)]
pub struct AsUnit;

impl Decode for AsUnit {
    type Output = ();

    async fn decode(self, call: Call, response: reqwest::Response) -> Result<(), Error> {
        bytes(&call, response).await.map(drop)
    }
}

/// The body as UTF-8 text.
#[derive(Debug, Default)]
pub struct AsText;

impl Decode for AsText {
    type Output = String;

    async fn decode(self, call: Call, response: reqwest::Response) -> Result<String, Error> {
        let body = bytes(&call, response).await?;
        String::from_utf8(body.into()).map_err(|error| Error::Decode {
            call,
            reason: format!(
                "the body is not UTF-8 ({}); return `Bytes` to get it as it is",
                error.utf8_error()
            ),
        })
    }
}

/// The body's bytes.
#[derive(Debug, Default)]
pub struct AsBytes;

impl Decode for AsBytes {
    type Output = Bytes;

    async fn decode(self, call: Call, response: reqwest::Response) -> Result<Bytes, Error> {
        bytes(&call, response).await
    }
}

/// The body as a stream, not read here.
#[derive(Debug, Default)]
pub struct AsStream;

impl Decode for AsStream {
    type Output = ByteStream;

    async fn decode(self, call: Call, response: reqwest::Response) -> Result<ByteStream, Error> {
        Ok(ByteStream::new(call, response))
    }
}

/// Another decoder's value with the status and headers.
#[derive(Debug, Default)]
pub struct WithAnswer<D>(pub D);

impl<D: Decode> Decode for WithAnswer<D> {
    type Output = Answer<D::Output>;

    async fn decode(self, call: Call, response: reqwest::Response) -> Result<Self::Output, Error> {
        let status = response.status();
        let headers = response.headers().clone();
        let body = self.0.decode(call, response).await?;
        Ok(Answer::new(status, headers, body))
    }
}
