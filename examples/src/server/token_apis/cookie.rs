// Input: requests in the shape of the common Express/Node pattern: a JSON login, and a
// refresh that carries the refresh token in an `HttpOnly` cookie and no body.
// Output: `{"accessToken"}` and `Set-Cookie: refresh_token=...` on both (rotated on each
// refresh); 401 `{"message": "..."}` without the cookie or with a refused one.

use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::header::{COOKIE, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use serde_json::json;

use super::Shape;
use super::answer::json;
use super::issue::{self, Refusal};
use crate::server::sessions::TokenPair;
use crate::server::state::Shared;

const SHAPE: Shape = Shape::Cookie;

/// The cookie that holds the refresh token.
const REFRESH_COOKIE: &str = "refresh_token";

/// `POST /cookie/login {"username", "password"}`: the access token, and the refresh token
/// in a cookie.
pub(crate) async fn login(
    State(state): State<Shared>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    state.counters.token_apis.token_request(SHAPE);
    let request = issue::json_login_request(body);
    let Some(request) = request else {
        issue::refused_request(&state, SHAPE);
        return message(
            StatusCode::BAD_REQUEST,
            "username and password are required",
        );
    };
    match issue::log_in(&state, SHAPE, &request.username, &request.password) {
        Ok(pair) => tokens(&pair),
        Err(Refusal::Internal) => internal(),
        Err(_) => message(StatusCode::UNAUTHORIZED, "Invalid username or password"),
    }
}

/// `POST /cookie/refresh` with `Cookie: refresh_token=...`: the next access token, and the
/// next refresh token in the cookie (rotation).
pub(crate) async fn refresh(State(state): State<Shared>, headers: HeaderMap) -> Response {
    state.counters.token_apis.token_request(SHAPE);
    let Some(refresh_token) = cookie(&headers, REFRESH_COOKIE) else {
        issue::refused_request(&state, SHAPE);
        return message(StatusCode::UNAUTHORIZED, "No refresh token cookie");
    };
    match issue::rotate(&state, SHAPE, refresh_token) {
        Ok(pair) => tokens(&pair),
        Err(Refusal::Internal) => internal(),
        // Quotes the cookie it refuses, as careless backends do: clients must not pass it on.
        Err(_) => message(
            StatusCode::UNAUTHORIZED,
            &format!("Invalid refresh token {refresh_token}"),
        ),
    }
}

/// The value of the cookie `name` in the request's `Cookie` headers (`a=1; b=2`).
fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(cookie, _)| *cookie == name)
        .map(|(_, value)| value)
        .filter(|value| !value.is_empty())
}

fn tokens(pair: &TokenPair) -> Response {
    let mut response = json(StatusCode::OK, json!({ "accessToken": pair.access_token }));
    let cookie = format!(
        "{REFRESH_COOKIE}={}; HttpOnly; Path=/cookie; SameSite=Strict",
        pair.refresh_token
    );
    // A JWT is base64url and dots: always a valid header value.
    if let Ok(cookie) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(SET_COOKIE, cookie);
    }
    response
}

fn message(status: StatusCode, text: &str) -> Response {
    json(status, json!({ "message": text }))
}

fn internal() -> Response {
    message(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error")
}
