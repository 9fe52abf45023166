// Input: a token string from a token endpoint or a store.
// Output: a wrapper that never prints it, zeroes it on drop, and shows it only on request.

use std::fmt;

use secrecy::{ExposeSecret, SecretString};

/// Defines a secret string type. Both token kinds need the same guarantees; one definition
/// keeps them from drifting apart.
macro_rules! secret_string {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone)]
        pub struct $name(SecretString);

        impl $name {
            /// Wraps a secret. The string is moved, not copied, so no unzeroed copy is left.
            #[must_use]
            pub fn new(secret: impl Into<String>) -> Self {
                Self(SecretString::from(secret.into()))
            }

            /// The secret itself. Call this only where it is sent over the wire or stored;
            /// the name makes every such place easy to find.
            #[must_use]
            pub fn expose_secret(&self) -> &str {
                self.0.expose_secret()
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(concat!(stringify!($name), "([redacted])"))
            }
        }

        impl From<String> for $name {
            fn from(secret: String) -> Self {
                Self::new(secret)
            }
        }

        impl From<&str> for $name {
            fn from(secret: &str) -> Self {
                Self::new(secret)
            }
        }

        /// Copies the string; the caller's copy stays theirs to drop (or zero).
        impl From<&String> for $name {
            fn from(secret: &String) -> Self {
                Self::new(secret.as_str())
            }
        }
    };
}

secret_string! {
    /// An OAuth2 access token (the bearer credential sent with every API request).
    ///
    /// `Debug` prints `AccessToken([redacted])`; there is deliberately no `Display`, so
    /// `format!("Bearer {token}")` does not compile and cannot silently send `[redacted]`.
    /// The memory is zeroed when the last copy is dropped. Most callers never need the raw
    /// string: [`Token::authorization`](crate::Token::authorization) gives a ready header value,
    /// and `BearerExt::bearer_token` sets it on a reqwest request.
    ///
    /// When `format!` refuses the token, rustc suggests `{:?}`: do not follow it, the header
    /// would then say `Bearer AccessToken([redacted])`. (rustc's hint for a missing `Display`
    /// cannot be changed by the type that lacks it.)
    ///
    /// ```
    /// use freshtoken::AccessToken;
    ///
    /// let token = AccessToken::new("s3cr3t");
    /// assert_eq!(format!("{token:?}"), "AccessToken([redacted])");
    /// assert_eq!(token.expose_secret(), "s3cr3t");
    /// ```
    ///
    /// ```compile_fail
    /// let token = freshtoken::AccessToken::new("s3cr3t");
    /// let header = format!("Bearer {token}"); // no Display: use `expose_secret()`
    /// ```
    AccessToken
}

secret_string! {
    /// An OAuth2 refresh token: the long-lived credential that buys new access tokens.
    ///
    /// Same guarantees as [`AccessToken`]: redacted `Debug`, no `Display`, zeroed on drop.
    ///
    /// ```
    /// use freshtoken::RefreshToken;
    ///
    /// let token = RefreshToken::from("r3fr3sh");
    /// assert!(!format!("{token:?}").contains("r3fr3sh"));
    /// ```
    RefreshToken
}

secret_string! {
    /// An OAuth2 client secret, or any other credential a token source sends (a password).
    ///
    /// Same guarantees as [`AccessToken`]: redacted `Debug`, no `Display`, zeroed on drop.
    ///
    /// ```
    /// use freshtoken::ClientSecret;
    ///
    /// let secret = ClientSecret::new("s3cr3t");
    /// assert_eq!(format!("{secret:?}"), "ClientSecret([redacted])");
    /// ```
    ClientSecret
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A secret read into a `String` (an environment variable, a prompt) is passed by
    /// reference where the caller keeps it: `&String` converts like `&str`.
    #[test]
    fn secrets_convert_from_a_borrowed_string() {
        fn takes<T: Into<ClientSecret>>(secret: T) -> ClientSecret {
            secret.into()
        }
        let read = String::from("s3cr3t");
        assert_eq!(takes(&read).expose_secret(), "s3cr3t");
        assert_eq!(AccessToken::from(&read).expose_secret(), "s3cr3t");
        assert_eq!(RefreshToken::from(&read).expose_secret(), "s3cr3t");
        assert_eq!(read, "s3cr3t", "the caller keeps its string");
    }
}
