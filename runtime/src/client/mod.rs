//! The runtime of [`#[freshtoken::client]`](macro@crate::client): what a generated client calls
//! and returns.
//!
//! The attribute turns a trait into a client; each generated method is one call of
//! [`ClientCore::call`](__macro::ClientCore::call) with the method's spec, a closure that adds
//! the arguments to the request, and a decoder picked by the return type. Building the
//! request, the token, the retry after a refused token (a 401 by default) and decoding are
//! here, as ordinary code.
//!
//! Users meet [`Error`] (every method's error, or the source of theirs), [`BuildError`],
//! [`Builder`], and the types a method may take or return: [`Answer`], [`ByteStream`],
//! [`Events`], [`Json`], [`Multipart`], [`Pages`], [`Streamed`], [`QueryValue`]; [`CallOptions`] for one
//! call; and what an error's body may be decoded into: [`Problem`] (through [`ErrorBody`]).
//!
//! # Redirects stay within the API's origin
//!
//! A client follows redirects within the origin (scheme, host and port) of its base URL, with
//! the token, the method's headers and its body. It does not follow a redirect to another
//! origin: that answer ends the call as [`Error::Redirected`], naming the target's origin, so
//! the token, an API key in a header and the body never reach another server. An answer that
//! comes from another origin anyway (an HTTP client given to the builder, with its own
//! redirect policy, followed one) is [`Error::OtherOrigin`], and a 401 in it does not
//! invalidate the token. Give such a client [`redirect_policy`].

mod answer;
mod body;
mod brackets;
mod builder;
mod call_options;
mod core;
mod decode;
mod error;
mod error_body;
mod events;
mod json;
mod json_error;
mod link;
mod pages;
mod paging;
mod problem;
mod query_value;
mod redirect;
mod refused;
mod request;
mod spec;
mod transient;

pub use answer::{Answer, ByteStream};
pub use body::{BodySource, Multipart, Streamed};
pub use builder::{Builder, NoAuth};
pub use call_options::CallOptions;
pub use error::{BuildError, Call, Error};
pub use error_body::ErrorBody;
pub use events::{Event, Events};
pub use json::Json;
pub use pages::Pages;
pub use problem::Problem;
pub use query_value::QueryValue;
pub use redirect::redirect_policy;

/// What `#[freshtoken::client]` expands into. Not public API: it changes with the macro.
#[doc(hidden)]
pub mod __macro {
    pub use super::core::{ClientCore, Generated};
    pub use super::decode::{
        AsBytes, AsJson, AsJsonWrapped, AsStream, AsText, AsUnit, Decode, WithAnswer,
    };
    pub use super::error_body::{DecodeErrorBody, ErrorBodyType, decode_error_body};
    pub use super::events::{event_json, event_text};
    pub use super::paging::{PageStyle, Paging};
    pub use super::refused::TokenRefused;
    pub use super::request::Request;
    pub use super::spec::{PathPart, Spec};
    pub use super::transient::Transient;

    /// An error type a method of a generated client may return.
    #[diagnostic::on_unimplemented(
        message = "the error type `{Self}` must implement `From<freshtoken::client::Error>`",
        label = "the error type of this `#[freshtoken::client]` method",
        note = "every failed call (transport, status, decoding, token) is a `freshtoken::client::Error` first: return `Result<T>` to use it as it is, or give your own error enum a variant for it, e.g. `Client(#[from] freshtoken::client::Error)` with thiserror"
    )]
    pub trait FromClientError {
        /// Converts the client's error.
        fn from_client_error(error: super::Error) -> Self;
    }

    impl<E: From<super::Error>> FromClientError for E {
        fn from_client_error(error: super::Error) -> Self {
            E::from(error)
        }
    }

    /// The method's result, with the client's error converted into the method's.
    #[inline]
    pub fn into_result<T, E: FromClientError>(result: Result<T, super::Error>) -> Result<T, E> {
        result.map_err(E::from_client_error)
    }
}

#[cfg(test)]
mod tests;
