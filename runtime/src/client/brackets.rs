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

/// `value` in brackets, `None` fields omitted; an error for a value without names.
fn bracketed<T: Serialize + ?Sized>(value: &T) -> Result<String, String> {
    // serde_qs writes a bare sequence as `0=a&1=b` and a bare scalar as a key without a
    // value, where serde_urlencoded refuses both: the shape is checked first. The copy
    // costs only calls that chose brackets, whose values are small forms and filters.
    match serde_json::to_value(value).map_err(|error| error.to_string())? {
        serde_json::Value::Object(_) | serde_json::Value::Null => {}
        _ => {
            return Err(
                "it is a sequence or a single value, whose items would have no names".to_owned(),
            );
        }
    }
    BRACKETS
        .serialize_string(&value)
        .map(without_none)
        .map_err(|error| error.to_string())
}

/// `encoded` without the keys `serde_qs` writes for a `None` (a key without `=`: it encodes
/// `=` and `&` in keys and values, and writes `key=` for an empty value), so that `None` is
/// omitted, as `#[query(flatten)]` and `#[form]` omit it, not sent as an empty value.
fn without_none(encoded: String) -> String {
    if encoded.split('&').all(|pair| pair.contains('=')) {
        return encoded;
    }
    encoded
        .split('&')
        .filter(|pair| pair.contains('='))
        .collect::<Vec<_>>()
        .join("&")
}

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
        let encoded = bracketed(value).map_err(|reason| {
            self.invalid(
                name,
                format!("`#[query(flatten, brackets)]` needs a struct or map: {reason}"),
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
        let text = bracketed(value).map_err(|reason| {
            self.invalid(
                param,
                format!("a `#[form(brackets)]` body needs a struct or map: {reason}"),
            )
        })?;
        self.set_body(text.into(), "application/x-www-form-urlencoded");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use http::Method;
    use serde::Serialize;

    use super::Request;
    use crate::client::refused::TokenRefused;
    use crate::client::spec::Spec;

    static LIST: Spec = Spec {
        name: "list",
        method: Method::GET,
        template: "/list",
        path: &[],
        auth: false,
        timeout: None,
        headers: &[],
        unauthorized: TokenRefused::Status401,
        error_body: None,
        accept: None,
    };

    #[derive(Serialize)]
    struct Filter {
        owner: Option<&'static str>,
        tags: Vec<&'static str>,
        range: BTreeMap<&'static str, u32>,
    }

    #[test]
    fn none_fields_are_omitted_and_nested_ones_bracketed() {
        let mut request = Request::new(&LIST);
        let filter = Filter {
            owner: None,
            tags: vec!["a b", "c&d"],
            range: BTreeMap::from([("gte", 1)]),
        };
        request.query_brackets("filter", &filter).expect("a struct");
        assert_eq!(
            request.query, "tags[0]=a+b&tags[1]=c%26d&range[gte]=1",
            "{:?}",
            request.query
        );
    }

    #[test]
    fn a_value_that_is_not_a_struct_or_map_is_an_error_naming_the_parameter() {
        let mut request = Request::new(&LIST);
        let error = request
            .query_brackets("ids", &7)
            .expect_err("a number has no names");
        let text = error.to_string();
        assert!(text.contains("`ids`"), "{text}");
        assert!(text.contains("struct or map"), "{text}");
    }
}
