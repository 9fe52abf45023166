// Input: a `#[query(flatten, brackets)]` or `#[form(brackets)]` argument: a struct or map
// whose fields may be objects and arrays.
// Output: its fields in the bracket style Stripe, Rails and PHP read (`metadata[key]=v`,
// `items[0][price]=x`, `expand[0]=a`), by serde_qs, which serde_urlencoded's flat pairs
// cannot express.

use serde::Serialize;

use super::Error;
use super::request::Request;

/// Indexed arrays (`items[0][price]`): an array of objects needs the index to keep each
/// object's fields together, and servers that read brackets read indexed scalars too.
/// Brackets are left as they are in a query; a form body is encoded the same way, and
/// servers decode both.
const BRACKETS: serde_qs::Config = serde_qs::Config::new()
    .max_depth(16)
    .array_format(serde_qs::ArrayFormat::Indexed);

impl Request {
    /// Adds every field of `value` to the query, nested objects and arrays in brackets
    /// (`created[gte]=1&expand[0]=a`); `None` fields omitted.
    ///
    /// # Errors
    /// `InvalidArgument` when `value` is not a struct or map.
    pub fn query_brackets<T: Serialize + ?Sized>(
        &mut self,
        name: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        let encoded = BRACKETS.serialize_string(&value).map_err(|error| {
            self.invalid(
                name,
                format!("`#[query(flatten, brackets)]` needs a struct or map: {error}"),
            )
        })?;
        self.push_query(&encoded);
        Ok(())
    }

    /// Sends `value` as an `application/x-www-form-urlencoded` body, nested objects and
    /// arrays in brackets (`metadata[key]=v&items[0][price]=x`).
    ///
    /// # Errors
    /// `InvalidArgument` when `value` is not a struct or map.
    pub fn form_brackets<T: Serialize + ?Sized>(
        &mut self,
        param: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        let text = BRACKETS.serialize_string(&value).map_err(|error| {
            self.invalid(
                param,
                format!("a `#[form(brackets)]` body needs a struct or map: {error}"),
            )
        })?;
        self.set_body(text.into(), "application/x-www-form-urlencoded");
        Ok(())
    }
}
