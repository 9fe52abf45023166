// Input: what each way of getting a token needs (a refresh token, client credentials, a
// username and password...).
// Output: one `TokenSource` per grant or login flow, each a thin file over `endpoint/`.

pub(super) mod builder_methods;
pub(crate) mod client_credentials;
pub(crate) mod device_code;
mod form_grant;
pub(crate) mod json_login;
#[cfg(feature = "jsonwebtoken")]
pub(crate) mod jwt_bearer;
mod loopback;
pub(crate) mod password;
pub(crate) mod pkce;
pub(crate) mod refresh_token;
mod screen_text;
