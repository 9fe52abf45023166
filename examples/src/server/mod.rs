//! The reference auth server and Tasks API the SDK and the demo talk to.
//!
//! An [axum] server that does what a real token-issuing API does, small enough to read:
//!
//! | route | answers |
//! |---|---|
//! | `POST /auth/login` `{"username", "password"}` | 200 token pair; 401 `invalid_grant`; 400 `invalid_request` |
//! | `POST /auth/refresh` `{"refresh_token"}` | 200 the next token pair (rotation); 401 `invalid_grant` |
//! | `POST /auth/logout` (bearer) | 204: the access token and its session's refresh tokens are revoked |
//! | `GET /oauth/authorize?...` | RFC 6749 §4.1 + PKCE: 302 to the loopback redirect URI |
//! | `POST /oauth/token` (form) | RFC 6749 token endpoint: see [OAuth 2.0](#oauth-20) |
//! | `POST /oauth/device_authorization` (form) | RFC 8628 device and user codes |
//! | `POST /oauth/device/approve` (form) | 204: the user's answer to a device authorization (test route) |
//! | `GET /device` | the verification URI: a text saying how to approve |
//! | `POST /oauth/revoke` (form) | RFC 7009: 200, the token revoked if it was the client's |
//! | `POST /oauth/register` (JSON) | RFC 7591: 201 a new client; see [Registration](#client-registration) |
//! | `GET /.well-known/oauth-authorization-server` | RFC 8414 metadata |
//! | `GET /.well-known/openid-configuration` | the same document |
//! | `GET /.well-known/oauth-protected-resource` | RFC 9728 metadata of the Tasks API: see [Protected resource](#protected-resource) |
//! | `GET /tasks` (bearer) | 200 `[{"id", "title", "done"}]`, the caller's own tasks |
//! | `POST /tasks` `{"title"}` (bearer) | 201 the new task |
//! | `POST /tasks/{id}/complete` (bearer) | 200 the task, done; 404 `not_found` |
//! | `DELETE /tasks/{id}` (bearer) | 204; 404 `not_found` |
//! | `POST /admin/revoke-access/{username}` | 204: every access token issued to the user so far is refused |
//! | `POST /admin/revoke-refresh/{username}` | 204: every refresh family of the user is revoked |
//! | `GET /admin/stats` | 200 [`ServerStats`] |
//!
//! A token pair is `{"access_token", "refresh_token", "token_type": "Bearer", "expires_in"}`
//! (`expires_in` in seconds, for the access token), sent with `Cache-Control: no-store`.
//! Every error is JSON, `{"error", "error_description"}`; descriptions never quote the
//! request. A bearer route refuses a missing, malformed, wrongly signed, expired or revoked
//! access token with 401 and `WWW-Authenticate: Bearer error="invalid_token",
//! error_description="...", resource_metadata=".../.well-known/oauth-protected-resource"`
//! (without `error` when the request tries no bearer token: no `Authorization` header, or
//! another scheme, RFC 6750 §3.1), counted
//! in [`ServerStats::unauthorized_responses`]. Unknown routes answer 404, unknown users on
//! the admin routes too.
//!
//! # Protected resource
//!
//! The Tasks API describes itself as an RFC 9728 protected resource at
//! `/.well-known/oauth-protected-resource`: `resource` (the base URL),
//! `authorization_servers` (the issuer), `scopes_supported` (`tasks:read`, `tasks:write`,
//! and `tasks`, which holds both), `bearer_methods_supported: ["header"]`.
//!
//! An access token carries the scope its login was granted in a `scope` claim. `GET
//! /tasks` needs `tasks:read`; creating, completing and deleting need `tasks:write`. A token
//! without the scope gets 403 `{"error": "insufficient_scope"}` and `WWW-Authenticate:
//! Bearer error="insufficient_scope", scope="<the scope needed>", error_description="...",
//! resource_metadata="..."`, counted in [`ServerStats::insufficient_scope_responses`]. A
//! token issued without a scope (the JSON login, an OAuth login that asked for none) holds
//! every scope. [`ServerConfig::refuse_every_scope`] makes every such route refuse every
//! token, to test that a client's step-up ends.
//!
//! # Tokens
//!
//! Both tokens are HS256 JWTs, each kind signed with its own 256-bit key drawn from the
//! operating system's CSPRNG at start (never stored, logged or reused by another server), so
//! an access token is no refresh token and the other way round. Claims: `sub` (username),
//! `iat`, `exp`, a unique `jti`, `type` (`"access"` or `"refresh"`), in access tokens
//! `scope` when the login was granted one, and in refresh tokens `family`: the login they
//! descend from. Every request verifies signature, type, expiry and
//! revocation.
//!
//! - **Lifetimes** come from [`ServerConfig`] in whole seconds: rounded up, at least 1 s.
//!   `exp` is the issue time rounded up to a whole second plus the lifetime, and a token is
//!   expired once `now >= exp`, so it lives at least its lifetime and at most 1 s more.
//! - **Rotation**: each refresh spends its refresh token and issues a new one in the same
//!   family, living `refresh_ttl` from then.
//! - **Reuse detection**: presenting a spent refresh token revokes its whole family (the
//!   newest token included), answers `invalid_grant` and counts in
//!   [`ServerStats::reuse_detected`].
//! - **Revocation** (logout, admin routes) is kept in memory until the tokens it concerns
//!   have expired anyway.
//!
//! # OAuth 2.0
//!
//! Next to the JSON routes above, the server speaks the standard protocol, for the login
//! sources of the runtime to be tested against over real HTTP.
//!
//! **Clients** come from [`ServerConfig::clients`]; by default the confidential
//! [`DEMO_CONFIDENTIAL_CLIENT_ID`] with [`DEMO_CONFIDENTIAL_CLIENT_SECRET`] and the public
//! [`DEMO_PUBLIC_CLIENT_ID`]; register clients with keys with
//! [`OAuthClient::with_jwt_keys`]. A client authenticates (RFC 6749 §2.3) with HTTP Basic
//! (`client_secret_basic`, id and secret form-urlencoded first), with `client_id` and
//! `client_secret` in the form (`client_secret_post`), with `client_assertion_type=
//! urn:ietf:params:oauth:client-assertion-type:jwt-bearer` and a `client_assertion` signed
//! by one of its keys (`private_key_jwt`, RFC 7523 §2.2: `iss` = `sub` = the client id,
//! `aud` the token endpoint's URL or the issuer), or,
//! when public, sends its `client_id` alone (`none`). Two methods at once are
//! `invalid_request`; an unknown client, a wrong or missing secret or assertion, or a
//! secret for a public client is `invalid_client` (401, `WWW-Authenticate: Basic
//! realm="..."`).
//!
//! **`POST /oauth/token`** takes `application/x-www-form-urlencoded` only (JSON is
//! `invalid_request`); a repeated parameter is `invalid_request`, an empty one is absent.
//!
//! | `grant_type` | parameters | answer |
//! |---|---|---|
//! | `password` (RFC 6749 §4.3) | `username`, `password`, optional `scope` | a new session for the client |
//! | `client_credentials` (§4.4) | optional `scope`; a confidential client only (else `unauthorized_client`) | an access token alone, for the client itself (`sub` = its id) |
//! | `authorization_code` (§4.1.3, RFC 7636) | `code`, `redirect_uri`, `code_verifier` | a new session for the user who consented |
//! | `urn:ietf:params:oauth:grant-type:device_code` (RFC 8628) | `device_code` | a new session for the user who approved |
//! | `urn:ietf:params:oauth:grant-type:jwt-bearer` (RFC 7523 §2.1) | `assertion`, optional `scope`; client authentication optional | an access token alone, for the assertion's `sub` |
//! | `refresh_token` (§6) | `refresh_token`, optional narrower `scope` | the next pair: rotation as `/auth/refresh`, reuse revokes the session |
//! | `urn:ietf:params:oauth:grant-type:token-exchange` (RFC 8693) | `subject_token` (a live access token of this server) and its `subject_token_type` (`access_token` or `jwt`), optional `actor_token` and `actor_token_type`, `requested_token_type`, `audience`, `resource` (an absolute URI, else `invalid_target`), `scope` | an access token alone for the subject, with `aud` (the resource, else the audience), `scope`, and `act: {"sub"}` for an actor; `issued_token_type` in the answer |
//!
//! A token answer is `{"access_token", "token_type": "Bearer", "expires_in",
//! "refresh_token", "scope"}` (`scope` only when the login asked for one; `token_type`
//! `"DPoP"` for a token bound to a key, see [DPoP](#dpop)) with `Cache-Control: no-store`;
//! the access token works on the Tasks API. Errors are RFC 6749 §5.2 JSON, `{"error",
//! "error_description"}`, 400 (`invalid_request`, `invalid_grant`, `unsupported_grant_type`,
//! `invalid_scope`) or 401 (`invalid_client`), never cached.
//! A refresh token is refused (`invalid_grant`, nothing spent) to any client but the one it
//! was issued to, and `/auth/refresh` refuses OAuth refresh tokens the same way.
//!
//! **`GET /oauth/authorize`** (RFC 6749 §4.1.1, RFC 7636, RFC 8252) takes
//! `response_type=code`, `client_id`, `redirect_uri`, `state`, `code_challenge`,
//! `code_challenge_method=S256` (required: no `plain`, no request without PKCE), optional
//! `scope` and `login_hint`. Only a client with [`OAuthClient::loopback_redirects`] (the
//! public demo client) may use it, and only with `http://127.0.0.1[:any port]/any path`; an
//! unknown client or another redirect URI is a 400 JSON error, never a redirect. There is
//! no login page: the test-only automatic consent of [`ServerConfig::auto_consent_user`]
//! answers at once with `302 Location: redirect_uri?code=...&state=...&iss=<issuer>`.
//! `login_hint=deny` (or no configured user) answers `?error=access_denied&state=...`,
//! `login_hint=<existing username>` logs that user in; other faults (`response_type`,
//! missing or non-S256 challenge, bad `scope`) are reported on the redirect too. The code
//! lives [`ServerConfig::authorization_code_ttl`] and is spent by its first exchange, right
//! or wrong; the exchange checks the client, the `redirect_uri` and
//! `BASE64URL(SHA256(code_verifier)) == code_challenge`, else `invalid_grant`.
//!
//! **Device authorization** (RFC 8628): `POST /oauth/device_authorization` (client
//! authentication as at the token endpoint, optional `scope`) answers `{"device_code",
//! "user_code": "BCDF-GHJK", "verification_uri": ".../device", "verification_uri_complete":
//! ".../device?user_code=BCDF-GHJK", "expires_in", "interval"}` from
//! [`ServerConfig::device_code_ttl`] and [`ServerConfig::device_poll_interval`]. What the
//! user would do on the page is `POST /oauth/device/approve` with the form
//! `user_code=...&approve=true|false[&username=...]` (the user code in any case, dash or
//! not; approval for `username`, else the automatic consent user): 204, or 400
//! `invalid_request` for an unknown, expired or already decided code. Polling the token
//! endpoint with the device code answers `authorization_pending` until then, `slow_down`
//! when polled sooner than the interval after the previous poll (the interval of that
//! device code then grows by 5 s), `access_denied` after a denial, `expired_token` once
//! `expires_in` has passed, and the tokens once after an approval (`invalid_grant` then).
//!
//! **JWT assertions** (RFC 7523), for the grant and for `private_key_jwt`: a JWT signed
//! RS256 or ES256 by a key of [`OAuthClient::jwt_public_keys`] of the client named by
//! `iss`; `sub` the client id (or, for the grant only, its
//! [`OAuthClient::service_account`]); `aud` this server's token endpoint URL (a string, or
//! an array containing it); `exp` in the future and `nbf` (if any) in the past, with 10 s
//! of leeway on the server's clock; a `jti` not accepted before. A failed check is
//! `invalid_grant` for the grant and `invalid_client` for client authentication. The grant
//! answers no refresh token: a new assertion gets a new access token.
//!
//! **`POST /oauth/revoke`** (RFC 7009) takes `token` (and ignores `token_type_hint`) with
//! the same client authentication; no client is `invalid_client`. It answers 200 with an
//! empty body for any token: a refresh token issued to that client revokes its session (the
//! refresh family and the access tokens issued in it), an access token issued to it revokes
//! that access token; anything else (unknown, expired, another client's) changes nothing.
//!
//! **Metadata** (RFC 8414), at both well-known routes: `issuer` (the base URL, or
//! [`ServerConfig::issuer`] to test a mismatch), `token_endpoint` and the other endpoints
//! below (always on the base URL), `grant_types_supported`,
//! `token_endpoint_auth_methods_supported`, `response_types_supported`.
//!
//! # DPoP
//!
//! The server speaks DPoP (RFC 9449) unless [`DpopConfig::supported`] is off, and announces
//! `dpop_signing_alg_values_supported: ["ES256", "EdDSA", "RS256"]` in both its
//! authorization server and its protected resource metadata.
//!
//! A **proof** is one `DPoP` header (two are refused): a JWS with `typ: dpop+jwt`, `alg`
//! `ES256`, `EdDSA` (Ed25519) or `RS256`, the public key as `jwk` (private members are
//! refused), a signature by that key, and the claims `jti`, `htm` (the request's method),
//! `htu` (its URL on the base URL, query and fragment ignored), `iat` within
//! [`DpopConfig::proof_iat_window`] of the server's clock, `nonce` when that side requires
//! one, and at the resource `ath`, the base64url SHA-256 of the access token. A `jti` is
//! accepted once within the window. The key's RFC 7638 thumbprint is its `jkt`.
//!
//! **`POST /oauth/token`** with a valid proof, for any grant, answers `token_type: "DPoP"`
//! and an access token with `cnf: {"jkt"}`; without one, `Bearer` as before. The refresh
//! tokens of a public client (the whole session) are bound to the key too: refreshing
//! without a proof by it is `invalid_dpop_proof`, and nothing is spent; a confidential
//! client's are not. `/oauth/authorize` takes `dpop_jkt`: exchanging that code needs a proof
//! by that key, else `invalid_grant`. A refused proof is 400 `invalid_dpop_proof`; a
//! missing or stale nonce, 400 `use_dpop_nonce` with `DPoP-Nonce: <the token endpoint's
//! nonce>`.
//!
//! **The Tasks API** (and `/auth/logout`) takes `Authorization: DPoP <token>` with a proof
//! by the key of the token's `cnf.jkt`. A bound token sent as `Bearer`, or a bearer token
//! sent as `DPoP`, is 401 `WWW-Authenticate: DPoP error="invalid_token", ...`; a missing
//! or refused proof, or one by another key, is 401 `DPoP error="invalid_dpop_proof"`; a
//! missing or stale nonce is 401 `DPoP error="use_dpop_nonce"` with `DPoP-Nonce`. Each
//! challenge carries `error_description`, `algs="ES256 EdDSA RS256"` and
//! `resource_metadata`. Bearer tokens work as before.
//!
//! **Nonces**: the token endpoint and the resource each have their own, rotated every
//! [`DpopConfig::nonce_rotation_interval`] of the server's clock or at once by
//! [`RunningServer::rotate_dpop_nonces`]; only the current one is accepted. A side whose
//! nonce is required sends it in `DPoP-Nonce` on every answer, errors included.
//! [`ServerStats`] counts `use_dpop_nonce` answers per side, refused and replayed proofs,
//! and bound tokens issued.
//!
//! # Client registration
//!
//! **`POST /oauth/register`** (RFC 7591, open: no initial access token) takes a JSON object
//! of client metadata: `redirect_uris`, `client_name`, `grant_types` (default
//! `["authorization_code"]`; the grants `/oauth/token` serves but `jwt-bearer`),
//! `response_types` (`["code"]`), `token_endpoint_auth_method` (`none` for a public client;
//! `client_secret_basic`, the default, or `client_secret_post` for one that gets a secret),
//! `application_type` (`web`, the default, or `native`) and `scope`; other members are
//! ignored. It answers 201 (`Cache-Control: no-store`) with `client_id`, `client_secret`
//! and `client_secret_expires_at: 0` (never) for a confidential client,
//! `client_id_issued_at`, and the metadata as registered; or 400 `invalid_redirect_uri`
//! (a redirect URI that is not absolute, has a fragment, or is neither `https` nor
//! `http://127.0.0.1`; none for the `authorization_code` grant) or
//! `invalid_client_metadata` (anything else wrong, or a body that is not a JSON object).
//! Each registration counts in [`ServerStats::client_registrations`]. A registered client
//! is known at once to every `/oauth/...` route, until the server stops; at
//! `/oauth/authorize` it may use its registered redirect URIs only, a loopback one on any
//! port (RFC 8252 §7.3).
//!
//! **Client ID Metadata Documents**: a `client_id` that is an `https` URL, or an `http`
//! one on 127.0.0.1 (this server runs tests on one host), at `/oauth/authorize` or
//! `/oauth/token` is fetched (no redirects, 5 s, at most 64 KiB) the first time the server
//! sees it, counted in [`ServerStats::client_metadata_document_fetches`], and kept until the
//! server stops. The document must be a JSON object whose `client_id` is that URL, with
//! `redirect_uris` (held like a registered client's) and `token_endpoint_auth_method`
//! `none` or absent: the client is public. A document that cannot be fetched or does not
//! fit is a 400 `invalid_request` at `/oauth/authorize` and `invalid_client` at
//! `/oauth/token`. The metadata says `registration_endpoint` and
//! `client_id_metadata_document_supported: true`.
//!
//! # Token APIs of other shapes
//!
//! Next to the routes above, the server answers in the shapes of small backends that are
//! not OAuth 2.0 servers, for clients configured with freshtoken's
//! [`JsonLogin`](freshtoken::oauth::JsonLogin) and
//! [`JsonRefresh`](freshtoken::oauth::JsonRefresh) to be tested against. Each shape has its
//! own path prefix, its own sessions (its refresh tokens are refused by the other shapes and
//! by `/auth/refresh`), and its own counters in [`ServerStats::token_apis`]. They use the
//! server's accounts, tokens, rotation and reuse detection (a spent refresh token presented
//! again revokes its session), and the admin routes revoke their sessions too.
//!
//! | route | takes | answers |
//! |---|---|---|
//! | `POST /fastapi/token` | form `username`, `password`, optional `grant_type=password`, `scope` (FastAPI's `OAuth2PasswordRequestForm`) | `{"access_token", "token_type": "bearer", "refresh_token"}`; 401 `{"detail": "Incorrect username or password"}` with `WWW-Authenticate: Bearer`; 422 `{"detail": [{"type": "missing", "loc": ["body", "username"], ...}]}` for a missing field (any body that is not a form) |
//! | `POST /fastapi/refresh` | JSON `{"refresh_token"}` | the next pair (rotation); 401 `{"detail": "bad refresh token <the token>"}`; 422 without the field |
//! | `GET /fastapi/users/me` | `Authorization: Bearer <access token>` | `{"username"}`; 401 `{"detail": "Could not validate credentials"}` (`"Not authenticated"` without a token) with `WWW-Authenticate: Bearer` |
//! | `POST /flask/login` | JSON `{"username", "password"}` | `{"access_token", "refresh_token"}`, no `expires_in`: the lifetime is the JWT's `exp`; 401 `{"msg": "Bad username or password"}` |
//! | `POST /flask/refresh` | `Authorization: Bearer <refresh token>`, no body (a body is 400) | `{"access_token"}` alone: the refresh token is not rotated (flask-jwt-extended's default) |
//! | `GET /flask/protected` | `Authorization: Bearer <access token>` | `{"logged_in_as"}` |
//! | `POST /cookie/login` | JSON `{"username", "password"}` | `{"accessToken"}` and `Set-Cookie: refresh_token=<refresh token>; HttpOnly; Path=/cookie; SameSite=Strict`; 401 `{"message"}` |
//! | `POST /cookie/refresh` | `Cookie: refresh_token=<refresh token>`, no body | `{"accessToken"}` and a new `Set-Cookie` (rotation); 401 `{"message"}` without the cookie, `{"message": "Invalid refresh token <the token>"}` with a refused one |
//! | `POST /keys/auth` | JSON `{"key": <username>, "secret": <password>}` | `{"data": {"token", "expiresAt": "<RFC 3339, UTC>"}}`, no refresh token: each renewal logs in; 401 `{"error": "invalid key or secret", "detail": "no account matches <the request, quoted>"}` |
//! | `POST /refresh-only/refresh` | JSON `{"refresh"}` | `{"token", "refresh", "expires_at": <epoch seconds>}` (rotation); 401 `{"error": "invalid refresh token", "detail": "<quotes the token>"}`. The first refresh token comes from [`RunningServer::issue_refresh_token`], standing for the API's dashboard |
//!
//! The flask routes refuse in flask-jwt-extended's words: 401 `{"msg": "Missing
//! Authorization Header"}`, `"Token has expired"` or `"Token has been revoked"`; 422
//! `{"msg": "Signature verification failed"}` for a token that does not verify, `"Only
//! refresh tokens are allowed"` (or `non-refresh`) for the other kind.
//!
//! Unlike the rest of the server, some of these refusals quote the secret that was sent
//! (marked above), as careless backends do: a client must not pass such a body on to its
//! logs or errors. Every answer of these routes has `Cache-Control: no-store`.
//!
//! # Not for production
//!
//! State lives in memory; passwords and client secrets are plain configuration; the admin
//! routes need no authentication. [`start`] and [`start_with_clock`] bind `127.0.0.1` only; give
//! [`start_on`] a loopback address too.
//!
//! ```no_run
//! use freshtoken_examples::server::{self, ServerConfig};
//!
//! # async fn run() -> std::io::Result<()> {
//! let server = server::start(ServerConfig::default()).await?;
//! println!("log in as alice/wonderland at {}/auth/login", server.base_url());
//! server.shutdown().await;
//! # Ok(())
//! # }
//! ```

mod admin_routes;
mod auth_routes;
mod authorization_codes;
mod authorize;
mod bearer;
mod body;
mod client_credentials;
mod client_metadata_document;
mod clock;
mod config;
mod device;
mod device_routes;
mod dpop;
mod errors;
mod form;
mod jwt_bearer;
pub mod mcp;
mod metadata;
mod oauth_clients;
mod oauth_errors;
mod oauth_token;
mod pkce;
mod protected_resource;
mod registration;
mod resource_indicator;
mod revoke;
mod router;
mod running;
mod secrets;
mod sessions;
mod state;
mod stats;
mod task_routes;
mod tasks;
mod token_apis;
mod token_exchange;
mod tokens;

pub use clock::Clock;
pub use config::{RedirectIss, ServerConfig};
pub use dpop::DpopConfig;
pub use oauth_clients::{
    DEMO_CONFIDENTIAL_CLIENT_ID, DEMO_CONFIDENTIAL_CLIENT_SECRET, DEMO_PUBLIC_CLIENT_ID,
    OAuthClient,
};
pub use resource_indicator::ResourceRequest;
pub use running::{RunningServer, start, start_on, start_with_clock};
pub use stats::ServerStats;
pub use token_apis::{ShapeStats, TokenApiStats};
