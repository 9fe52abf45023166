//! Token sources for OAuth2 token endpoints and login-style APIs, over `reqwest`.
