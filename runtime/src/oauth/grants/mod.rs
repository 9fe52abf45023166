// Input: what each way of getting a token needs (a refresh token, client credentials, a
// username and password...).
// Output: one `TokenSource` per grant or login flow, each a thin file over `endpoint/`.

pub(super) mod builder_methods;
pub(crate) mod client_credentials;
pub(crate) mod device_code;
mod form_grant;
mod issuer_check;
pub(crate) mod json_login;
pub(crate) mod json_refresh;
#[cfg(feature = "jsonwebtoken")]
pub(crate) mod jwt_bearer;
mod loopback;
pub(crate) mod password;
pub(crate) mod pkce;
pub(crate) mod refresh_token;
mod resource_indicator;
mod screen_text;
pub(crate) mod token_api;
pub(crate) mod token_exchange;
pub(crate) mod token_supplier;

/// Says that `source` starts an interactive login (a browser, a device code) because it has
/// no refresh token: the user is asked now, wherever the program is. Say it here, where it is
/// known that a login started.
fn interactive_login_starts(source: &str) {
    tracing::info!(
        target: "freshtoken",
        "no refresh token: {source} starts an interactive login, bounded by its own login \
         timeout; to choose when the user is asked, log in first with `login` and save its \
         token with `TokenCache::save_token`"
    );
}
