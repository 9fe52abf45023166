// Input: a method's return type written `Json<T>`.
// Output: a type that says in the signature that the body is JSON, for the `T`s that would
// otherwise be read as they are (`String`, whose JSON string keeps its quotes as text).

use std::ops::Deref;

/// A body decoded as JSON into `T`, whatever `T` is: return `Result<Json<T>>` from a method of
/// a [`#[freshtoken::client]`](macro@crate::client) trait.
///
/// A `String` return is the body's text as it is, so a JSON string body `"abc"` comes back
/// with its quotes; `Json<String>` decodes it to `abc`. Likewise `Json<Vec<u8>>` reads a JSON
/// array of numbers, where `Bytes` is the body's bytes. For other types `Json<T>` and `T` decode
/// alike.
///
/// ```
/// use freshtoken::client::Json;
///
/// #[freshtoken::client]
/// pub trait Users {
///     /// The API answers a JSON string, such as `"alice"`.
///     #[get("/me/name")]
///     async fn name(&self) -> Result<Json<String>>;
/// }
///
/// async fn greet(users: &impl Users) -> Result<String, freshtoken::client::Error> {
///     let name = users.name().await?;
///     Ok(format!("hello, {}", name.into_inner())) // `hello, alice`, without quotes
/// }
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Json<T>(pub T);

impl<T> Json<T> {
    /// The decoded value, taken out.
    #[must_use]
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> Deref for Json<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}
