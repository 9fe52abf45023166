// Input: a token request of any grant: where it goes, how the client authenticates, its body.
// Output: the wire every grant shares: the endpoint's URL, client authentication, the form
// body, the exchange over HTTP, and the reading of the answer (a token, or a classified
// error with the server's words, secrets cut out, and `Retry-After`). A new grant touches
// none of this; it lives in `grants/`.

pub(crate) mod answer;
#[cfg(feature = "jsonwebtoken")]
pub(crate) mod assertion;
pub(crate) mod client_auth;
pub(crate) mod endpoint_error;
pub(crate) mod error_response;
pub(crate) mod exchange;
pub(crate) mod expires_at;
pub(crate) mod grant_request;
#[cfg(test)]
mod hostile_input_tests;
pub(crate) mod received_answer;
pub(crate) mod redaction;
pub(crate) mod request_body;
pub(crate) mod response_fields;
pub(crate) mod retry_after;
pub(crate) mod token_request;
pub(crate) mod token_response;
pub(crate) mod url;
