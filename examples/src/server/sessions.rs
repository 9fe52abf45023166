// Input: verified claims of tokens presented to the server, and revocation requests.
// Output: new token pairs (login, rotation), reuse detection, and which tokens are revoked.

use std::collections::HashMap;
use std::time::Duration;

use super::tokens::{Claims, Signer, TokenType};

/// A freshly issued access token and refresh token.
pub(crate) struct TokenPair {
    pub(crate) access_token: String,
    pub(crate) refresh_token: String,
    /// The scope granted at login (OAuth logins only), kept by every rotation.
    pub(crate) scope: Option<String>,
}

/// Why a verified refresh token is refused.
#[derive(Debug)]
pub(crate) enum RefreshError {
    /// Its family was revoked (logout, an admin, or an earlier reuse), or it is unknown.
    /// Checked first: a reuse in a revoked family is not detected again.
    Revoked,
    /// It was used before: its family is now revoked.
    Reused,
    /// It was issued to another OAuth client (or to none, for `/auth/login` sessions):
    /// refused without revoking anything, since the caller is not its holder.
    OtherClient,
    /// Signing the new tokens failed.
    Signing(jsonwebtoken::errors::Error),
}

/// What an RFC 7009 revocation did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Revocation {
    /// The token (and, for a refresh token, its session) is revoked now, or was already.
    Revoked,
    /// No live token of this server has that id: nothing to do.
    Unknown,
    /// The token was issued to another client (or to none): left alone.
    OtherClient,
}

/// Every unexpired token the server issued, and what has been revoked. Each login starts a
/// refresh family; each refresh spends one refresh token of a family and adds the next.
#[derive(Debug, Default)]
pub(crate) struct Sessions {
    access: HashMap<String, AccessRecord>,
    refresh: HashMap<String, RefreshRecord>,
    families: HashMap<String, Family>,
}

#[derive(Debug)]
struct AccessRecord {
    user: String,
    /// The OAuth client it was issued to; `None` for `/auth/login` sessions.
    client: Option<String>,
    family: String,
    exp: u64,
    revoked: bool,
}

#[derive(Debug)]
struct RefreshRecord {
    family: String,
    exp: u64,
    used: bool,
}

#[derive(Debug)]
struct Family {
    user: String,
    /// The OAuth client the login was for; `None` for `/auth/login`.
    client: Option<String>,
    /// The scope granted at login.
    scope: Option<String>,
    /// The resource (RFC 8707) granted at login: the `aud` of its access tokens.
    resource: Option<String>,
    /// The `exp` of its newest refresh token: after it, the family can be forgotten.
    exp: u64,
    revoked: bool,
}

impl Sessions {
    /// Starts a new family for `user` and issues its first pair (`/auth/login`).
    pub(crate) fn login(
        &mut self,
        signer: &Signer,
        user: &str,
    ) -> Result<TokenPair, jsonwebtoken::errors::Error> {
        self.login_as(signer, user, None, None)
    }

    /// Starts a new family for `user`, issued to OAuth `client` with `scope`, and issues
    /// its first pair.
    pub(crate) fn login_as(
        &mut self,
        signer: &Signer,
        user: &str,
        client: Option<&str>,
        scope: Option<&str>,
    ) -> Result<TokenPair, jsonwebtoken::errors::Error> {
        self.login_for(signer, user, client, scope, None)
    }

    /// [`login_as`](Self::login_as), for the protected `resource` (RFC 8707): the `aud` of
    /// every access token of the family.
    pub(crate) fn login_for(
        &mut self,
        signer: &Signer,
        user: &str,
        client: Option<&str>,
        scope: Option<&str>,
        resource: Option<&str>,
    ) -> Result<TokenPair, jsonwebtoken::errors::Error> {
        self.prune(signer.now());
        let family = signer.new_id();
        self.families.insert(
            family.clone(),
            Family {
                user: user.to_owned(),
                client: client.map(str::to_owned),
                scope: scope.map(str::to_owned),
                resource: resource.map(str::to_owned),
                exp: 0,
                revoked: false,
            },
        );
        self.issue_pair(signer, user, &family, None)
    }

    /// Issues an access token alone for `user` and OAuth `client` with `scope` (grants that
    /// give no refresh token, such as a JWT bearer assertion). Logout and revocation treat
    /// it like any access token; it belongs to no family.
    pub(crate) fn issue_access_only(
        &mut self,
        signer: &Signer,
        user: &str,
        client: &str,
        scope: Option<&str>,
    ) -> Result<String, jsonwebtoken::errors::Error> {
        self.prune(signer.now());
        let (access_token, access) =
            signer.issue_with(TokenType::Access, user, None, scope, None)?;
        self.access.insert(
            access.jti,
            AccessRecord {
                user: user.to_owned(),
                client: Some(client.to_owned()),
                family: signer.new_id(),
                exp: access.exp,
                revoked: false,
            },
        );
        Ok(access_token)
    }

    /// Issues an access token alone for `user` and OAuth `client` with `extra` claims (the
    /// token exchange grant), recorded like [`issue_access_only`](Self::issue_access_only)'s.
    pub(crate) fn issue_exchanged(
        &mut self,
        signer: &Signer,
        user: &str,
        client: &str,
        extra: serde_json::Map<String, serde_json::Value>,
    ) -> Result<String, jsonwebtoken::errors::Error> {
        self.prune(signer.now());
        let (access_token, jti, exp) = signer.issue_access_with(user, extra)?;
        self.access.insert(
            jti,
            AccessRecord {
                user: user.to_owned(),
                client: Some(client.to_owned()),
                family: signer.new_id(),
                exp,
                revoked: false,
            },
        );
        Ok(access_token)
    }

    /// Spends the refresh token with `claims` (verified by [`Signer::verify`]) and issues
    /// the next pair of its family (`/auth/refresh`: only families of `/auth/login`).
    pub(crate) fn refresh(
        &mut self,
        signer: &Signer,
        claims: &Claims,
    ) -> Result<TokenPair, RefreshError> {
        self.refresh_as(signer, claims, None, None)
    }

    /// Spends the refresh token with `claims` (verified by [`Signer::verify`]) for OAuth
    /// `client` (`None`: `/auth/refresh`) and issues the next pair of its family. A token
    /// spent before revokes the family. `narrower`: the scope of the new access token, within
    /// the login's (checked by the caller); `None`: the login's.
    pub(crate) fn refresh_as(
        &mut self,
        signer: &Signer,
        claims: &Claims,
        client: Option<&str>,
        narrower: Option<&str>,
    ) -> Result<TokenPair, RefreshError> {
        let (user, family_id) = self.unspent(signer, claims, client)?;
        if let Some(record) = self.refresh.get_mut(&claims.jti) {
            record.used = true;
        }
        self.issue_pair(signer, &user, &family_id, narrower)
            .map_err(RefreshError::Signing)
    }

    /// The user and family of the unspent refresh token with `claims`, issued to OAuth
    /// `client`; or why it is refused. Replaying a spent one revokes its whole family.
    fn unspent(
        &mut self,
        signer: &Signer,
        claims: &Claims,
        client: Option<&str>,
    ) -> Result<(String, String), RefreshError> {
        self.prune(signer.now());
        let Some(record) = self.refresh.get(&claims.jti) else {
            return Err(RefreshError::Revoked);
        };
        let Some(family) = self.families.get_mut(&record.family) else {
            return Err(RefreshError::Revoked);
        };
        if family.revoked || family.user != claims.sub {
            return Err(RefreshError::Revoked);
        }
        if family.client.as_deref() != client {
            return Err(RefreshError::OtherClient);
        }
        if record.used {
            family.revoked = true;
            return Err(RefreshError::Reused);
        }
        Ok((family.user.clone(), record.family.clone()))
    }

    /// Issues a new access token in the family of the refresh token with `claims` (verified
    /// by [`Signer::verify`]) for OAuth `client`, without spending the refresh token: APIs
    /// built on flask-jwt-extended keep one refresh token until its own expiry. A refresh
    /// token already spent by a rotation is refused as reused.
    pub(crate) fn renew_access(
        &mut self,
        signer: &Signer,
        claims: &Claims,
        client: Option<&str>,
    ) -> Result<String, RefreshError> {
        let (user, family_id) = self.unspent(signer, claims, client)?;
        self.issue_access(signer, &user, &family_id, None)
            .map(|(access_token, _)| access_token)
            .map_err(RefreshError::Signing)
    }

    /// The scope granted to the login the refresh token `jti` descends from.
    pub(crate) fn granted_scope(&self, jti: &str) -> Option<&str> {
        let family = self.refresh.get(jti)?.family.as_str();
        self.families.get(family)?.scope.as_deref()
    }

    /// The resource granted to the login the refresh token `jti` descends from.
    pub(crate) fn granted_resource(&self, jti: &str) -> Option<&str> {
        let family = self.refresh.get(jti)?.family.as_str();
        self.families.get(family)?.resource.as_deref()
    }

    /// Whether the access token with `claims` (verified by [`Signer::verify`]) is still
    /// honoured: issued here and not revoked.
    pub(crate) fn access_is_live(&self, claims: &Claims) -> bool {
        self.access
            .get(&claims.jti)
            .is_some_and(|record| !record.revoked && record.user == claims.sub)
    }

    /// Revokes the access token `jti` and the refresh family it was issued in.
    pub(crate) fn logout(&mut self, jti: &str) {
        if let Some(record) = self.access.get_mut(jti) {
            record.revoked = true;
            if let Some(family) = self.families.get_mut(&record.family) {
                family.revoked = true;
            }
        }
    }

    /// RFC 7009 for the refresh token `jti`, asked by OAuth `client`: revokes its family
    /// and every access token issued in it.
    pub(crate) fn revoke_refresh_token(&mut self, jti: &str, client: &str) -> Revocation {
        let Some(family_id) = self.refresh.get(jti).map(|record| record.family.clone()) else {
            return Revocation::Unknown;
        };
        let Some(family) = self.families.get_mut(&family_id) else {
            return Revocation::Unknown;
        };
        if family.client.as_deref() != Some(client) {
            return Revocation::OtherClient;
        }
        family.revoked = true;
        for record in self.access.values_mut() {
            if record.family == family_id {
                record.revoked = true;
            }
        }
        Revocation::Revoked
    }

    /// RFC 7009 for the access token `jti`, asked by OAuth `client`: revokes that token
    /// only; its refresh token keeps working.
    pub(crate) fn revoke_access_token(&mut self, jti: &str, client: &str) -> Revocation {
        match self.access.get_mut(jti) {
            None => Revocation::Unknown,
            Some(record) if record.client.as_deref() != Some(client) => Revocation::OtherClient,
            Some(record) => {
                record.revoked = true;
                Revocation::Revoked
            }
        }
    }

    /// Revokes every access token issued to `user` so far; returns how many were live.
    pub(crate) fn revoke_access_of(&mut self, user: &str) -> usize {
        let mut revoked = 0;
        for record in self.access.values_mut() {
            if record.user == user && !record.revoked {
                record.revoked = true;
                revoked += 1;
            }
        }
        revoked
    }

    /// Revokes every refresh family of `user`; returns how many were live.
    pub(crate) fn revoke_refresh_of(&mut self, user: &str) -> usize {
        let mut revoked = 0;
        for family in self.families.values_mut() {
            if family.user == user && !family.revoked {
                family.revoked = true;
                revoked += 1;
            }
        }
        revoked
    }

    fn issue_pair(
        &mut self,
        signer: &Signer,
        user: &str,
        family: &str,
        narrower: Option<&str>,
    ) -> Result<TokenPair, jsonwebtoken::errors::Error> {
        let (access_token, scope) = self.issue_access(signer, user, family, narrower)?;
        let (refresh_token, refresh) = signer.issue(TokenType::Refresh, user, Some(family))?;
        if let Some(family) = self.families.get_mut(family) {
            family.exp = family.exp.max(refresh.exp);
        }
        self.refresh.insert(
            refresh.jti,
            RefreshRecord {
                family: family.to_owned(),
                exp: refresh.exp,
                used: false,
            },
        );
        Ok(TokenPair {
            access_token,
            refresh_token,
            scope,
        })
    }

    /// Issues an access token of `family` for `user`, with the `narrower` scope or the
    /// login's; answers it and its scope.
    fn issue_access(
        &mut self,
        signer: &Signer,
        user: &str,
        family: &str,
        narrower: Option<&str>,
    ) -> Result<(String, Option<String>), jsonwebtoken::errors::Error> {
        let resource = self
            .families
            .get(family)
            .and_then(|family| family.resource.clone());
        let (client, granted) = self
            .families
            .get(family)
            .map(|family| (family.client.clone(), family.scope.clone()))
            .unwrap_or_default();
        let scope = narrower.map(str::to_owned).or(granted);
        let (access_token, access) = signer.issue_with(
            TokenType::Access,
            user,
            None,
            scope.as_deref(),
            resource.as_deref(),
        )?;
        self.access.insert(
            access.jti,
            AccessRecord {
                user: user.to_owned(),
                client,
                family: family.to_owned(),
                exp: access.exp,
                revoked: false,
            },
        );
        Ok((access_token, scope))
    }

    /// Forgets expired tokens and families: their `exp` rejects them without a record.
    fn prune(&mut self, now: Duration) {
        let live = |exp: u64| now < Duration::from_secs(exp);
        self.access.retain(|_, record| live(record.exp));
        self.refresh.retain(|_, record| live(record.exp));
        self.families.retain(|_, family| live(family.exp));
    }
}
