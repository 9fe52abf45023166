// Input: the type of a `#[query]` parameter.
// Output: a compile error at the parameter when the type is not one query value (a struct),
// naming `#[query(flatten)]`, instead of an error on every call.

use std::borrow::Cow;
use std::num::{
    NonZeroI8, NonZeroI16, NonZeroI32, NonZeroI64, NonZeroI128, NonZeroIsize, NonZeroU8,
    NonZeroU16, NonZeroU32, NonZeroU64, NonZeroU128, NonZeroUsize,
};

use serde::Serialize;

/// What a `#[query]` parameter may be: a value that serializes as one scalar (a number, a
/// `bool`, text), an `Option` of one (`None` sends nothing) or a sequence of them (the name
/// is repeated).
///
/// A type of your own that serializes as one value, such as a unit-variant enum, can say so:
///
/// ```
/// #[derive(serde::Serialize)]
/// #[serde(rename_all = "lowercase")]
/// pub enum State {
///     Open,
///     Done,
/// }
///
/// impl freshtoken::client::QueryValue for State {}
///
/// #[freshtoken::client]
/// pub trait Tasks {
///     #[get("/tasks")]
///     async fn list(&self, #[query] state: State) -> Result<String>;
/// }
/// ```
///
/// A struct is not one value: send its fields with `#[query(flatten)]`.
#[diagnostic::on_unimplemented(
    message = "a `#[query]` parameter cannot be of type `{Self}`: it is not one query value",
    label = "this `#[query]` parameter is not a number, `bool`, text, or an `Option` or sequence of them",
    note = "for a struct whose fields are the query parameters, write `#[query(flatten)]`; for a type of yours that serializes as one value (an enum of unit variants, a newtype), add `impl freshtoken::client::QueryValue for {Self} {{}}`"
)]
pub trait QueryValue: Serialize {}

macro_rules! query_values {
    ($($ty:ty),* $(,)?) => {
        $(impl QueryValue for $ty {})*
    };
}

query_values!(
    bool,
    char,
    str,
    String,
    u8,
    u16,
    u32,
    u64,
    u128,
    usize,
    i8,
    i16,
    i32,
    i64,
    i128,
    isize,
    f32,
    f64,
    NonZeroU8,
    NonZeroU16,
    NonZeroU32,
    NonZeroU64,
    NonZeroU128,
    NonZeroUsize,
    NonZeroI8,
    NonZeroI16,
    NonZeroI32,
    NonZeroI64,
    NonZeroI128,
    NonZeroIsize,
);

impl QueryValue for Cow<'_, str> {}
impl<T: QueryValue + ?Sized> QueryValue for &T {}
impl<T: QueryValue + ?Sized> QueryValue for Box<T> {}
impl<T: QueryValue> QueryValue for Option<T> {}
impl<T: QueryValue> QueryValue for Vec<T> {}
impl<T: QueryValue> QueryValue for [T] {}
