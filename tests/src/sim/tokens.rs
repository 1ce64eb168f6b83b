//! The identity store: pending consents, authorization codes, token sets (grants), access and
//! refresh tokens, and connections. Pure logic over `now`; the HTTP side is in `identity.rs`.

use std::collections::HashMap;

use base64::Engine as _;
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use sha2::{Digest as _, Sha256};

use super::config::Settings;
use crate::rng::SplitMix64;

/// An authorize request waiting for the person to press "Allow access".
#[derive(Debug, Clone)]
pub struct Pending {
    pub redirect_uri: String,
    pub scopes: Vec<String>,
    pub state: String,
    pub code_challenge: Option<String>,
}

#[derive(Debug, Clone)]
struct Code {
    scopes: Vec<String>,
    auth_event_id: String,
    redirect_uri: String,
    code_challenge: Option<String>,
    expires: DateTime<Utc>,
    used: bool,
}

#[derive(Debug, Clone)]
struct Grant {
    scopes: Vec<String>,
    /// The consent that created it: the access tokens carry it, `/connections` filters by it.
    auth_event_id: String,
    revoked: bool,
}

#[derive(Debug, Clone)]
struct Access {
    grant: String,
    expires: DateTime<Utc>,
}

#[derive(Debug, Clone)]
struct Refresh {
    grant: String,
    issued: DateTime<Utc>,
    /// When this token was rotated away; it is still honoured for the grace period after.
    superseded: Option<DateTime<Utc>>,
}

/// A connection between the (single simulated) user's app authorisation and one organisation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connection {
    pub id: String,
    pub tenant_id: String,
    pub auth_event_id: String,
    pub created: DateTime<Utc>,
    pub updated: DateTime<Utc>,
}

/// The token endpoint's success answer (`AccessToken` schema plus `scope`).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct TokenAnswer {
    pub access_token: String,
    pub expires_in: i64,
    pub token_type: String,
    pub refresh_token: String,
    pub scope: String,
}

/// Why a bearer token was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BearerError {
    Unknown,
    Expired(DateTime<Utc>),
}

/// OAuth error codes the token endpoint answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GrantError {
    InvalidGrant,
}

/// All identity state.
#[derive(Debug, Default)]
pub struct IdentityStore {
    pending: HashMap<String, Pending>,
    codes: HashMap<String, Code>,
    grants: HashMap<String, Grant>,
    access: HashMap<String, Access>,
    refresh: HashMap<String, Refresh>,
    pub connections: Vec<Connection>,
}

/// BASE64URL(SHA256(verifier)) without padding, as RFC 7636 S256 defines.
pub fn s256(verifier: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

impl IdentityStore {
    pub fn add_pending(&mut self, rng: &mut SplitMix64, pending: Pending) -> String {
        let id = rng.token(12);
        self.pending.insert(id.clone(), pending);
        id
    }

    pub fn take_pending(&mut self, id: &str) -> Option<Pending> {
        self.pending.remove(id)
    }

    /// Connects `tenants` (creating or refreshing connections) and issues a code for `pending`.
    pub fn approve(
        &mut self,
        rng: &mut SplitMix64,
        pending: &Pending,
        tenants: &[String],
        now: DateTime<Utc>,
        settings: &Settings,
    ) -> String {
        let auth_event_id = self.connect(rng, tenants, now);
        let code = rng.token(24);
        self.codes.insert(
            code.clone(),
            Code {
                scopes: pending.scopes.clone(),
                auth_event_id,
                redirect_uri: pending.redirect_uri.clone(),
                code_challenge: pending.code_challenge.clone(),
                expires: now + lifetime(settings.code_lifetime),
                used: false,
            },
        );
        code
    }

    /// Creates or refreshes the connections to `tenants` under one new auth event; answers its id.
    pub fn connect(
        &mut self,
        rng: &mut SplitMix64,
        tenants: &[String],
        now: DateTime<Utc>,
    ) -> String {
        let auth_event_id = rng.uuid();
        for tenant in tenants {
            if let Some(c) = self.connections.iter_mut().find(|c| &c.tenant_id == tenant) {
                c.updated = now;
                c.auth_event_id.clone_from(&auth_event_id);
            } else {
                self.connections.push(Connection {
                    id: rng.uuid(),
                    tenant_id: tenant.clone(),
                    auth_event_id: auth_event_id.clone(),
                    created: now,
                    updated: now,
                });
            }
        }
        auth_event_id
    }

    /// Exchanges a code: single use, unexpired, same redirect URI, PKCE verifier when challenged.
    pub fn exchange_code(
        &mut self,
        rng: &mut SplitMix64,
        code: &str,
        redirect_uri: &str,
        verifier: Option<&str>,
        now: DateTime<Utc>,
        settings: &Settings,
    ) -> Result<TokenAnswer, GrantError> {
        let entry = self.codes.get_mut(code).ok_or(GrantError::InvalidGrant)?;
        if entry.used || now >= entry.expires || entry.redirect_uri != redirect_uri {
            entry.used = true;
            return Err(GrantError::InvalidGrant);
        }
        entry.used = true;
        if let Some(challenge) = &entry.code_challenge
            && verifier.map(s256).as_deref() != Some(challenge.as_str())
        {
            return Err(GrantError::InvalidGrant);
        }
        let (scopes, auth_event_id) = (entry.scopes.clone(), entry.auth_event_id.clone());
        Ok(self.new_grant(rng, scopes, auth_event_id, now, settings))
    }

    /// Issues a token set directly (test helper and the code exchange's second half).
    pub fn new_grant(
        &mut self,
        rng: &mut SplitMix64,
        scopes: Vec<String>,
        auth_event_id: String,
        now: DateTime<Utc>,
        settings: &Settings,
    ) -> TokenAnswer {
        let grant = rng.uuid();
        self.grants.insert(
            grant.clone(),
            Grant {
                scopes,
                auth_event_id,
                revoked: false,
            },
        );
        self.issue(rng, &grant, now, settings)
    }

    fn issue(
        &mut self,
        rng: &mut SplitMix64,
        grant: &str,
        now: DateTime<Utc>,
        settings: &Settings,
    ) -> TokenAnswer {
        let life = lifetime(settings.access_token_lifetime);
        let access_token = access_jwt(
            &self.grants[grant].auth_event_id,
            now + life,
            &format!("sim-at-{}", rng.token(24)),
        );
        let refresh_token = format!("sim-rt-{}", rng.token(24));
        self.access.insert(
            access_token.clone(),
            Access {
                grant: grant.into(),
                expires: now + life,
            },
        );
        self.refresh.insert(
            refresh_token.clone(),
            Refresh {
                grant: grant.into(),
                issued: now,
                superseded: None,
            },
        );
        TokenAnswer {
            access_token,
            expires_in: life.num_seconds(),
            token_type: "Bearer".into(),
            refresh_token,
            scope: self.grants[grant].scopes.join(" "),
        }
    }

    /// Rotates a refresh token. The old one stays valid for the grace period, then `invalid_grant`;
    /// a token unused for the unused-expiry period is dead too.
    pub fn refresh(
        &mut self,
        rng: &mut SplitMix64,
        token: &str,
        now: DateTime<Utc>,
        settings: &Settings,
    ) -> Result<TokenAnswer, GrantError> {
        let entry = self.refresh.get(token).ok_or(GrantError::InvalidGrant)?;
        let grant = entry.grant.clone();
        let expired_unused = now >= entry.issued + lifetime(settings.refresh_unused_expiry);
        let past_grace = entry
            .superseded
            .is_some_and(|at| now >= at + lifetime(settings.refresh_grace));
        let revoked = self.grants.get(&grant).is_none_or(|g| g.revoked);
        if expired_unused || past_grace || revoked {
            return Err(GrantError::InvalidGrant);
        }
        if let Some(entry) = self.refresh.get_mut(token) {
            entry.superseded.get_or_insert(now);
        }
        Ok(self.issue(rng, &grant, now, settings))
    }

    /// Revokes the token set a refresh token belongs to and, as Xero does, removes all the
    /// user's connections to the app. Unknown tokens are accepted silently (RFC 7009).
    pub fn revoke(&mut self, token: &str) {
        let grant = self
            .refresh
            .get(token)
            .map(|r| r.grant.clone())
            .or_else(|| self.access.get(token).map(|a| a.grant.clone()));
        if let Some(grant) = grant {
            if let Some(g) = self.grants.get_mut(&grant) {
                g.revoked = true;
            }
            self.connections.clear();
        }
    }

    /// The scopes of a valid bearer token.
    pub fn bearer(&self, token: &str, now: DateTime<Utc>) -> Result<Vec<String>, BearerError> {
        let access = self.access.get(token).ok_or(BearerError::Unknown)?;
        let grant = self.grants.get(&access.grant).ok_or(BearerError::Unknown)?;
        if grant.revoked {
            return Err(BearerError::Unknown);
        }
        if now >= access.expires {
            return Err(BearerError::Expired(access.expires));
        }
        Ok(grant.scopes.clone())
    }

    /// Whether the user is connected to `tenant`.
    pub fn is_connected(&self, tenant: &str) -> bool {
        self.connections.iter().any(|c| c.tenant_id == tenant)
    }
}

/// An access token shaped as Xero's: a JWT whose payload names the consent
/// (`authentication_event_id`). The signature part is random; nothing here verifies it.
fn access_jwt(auth_event_id: &str, expires: DateTime<Utc>, signature: &str) -> String {
    let part = |value: serde_json::Value| {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(value.to_string())
    };
    let header = part(serde_json::json!({"alg": "RS256", "typ": "JWT"}));
    let payload = part(serde_json::json!({
        "authentication_event_id": auth_event_id,
        "exp": expires.timestamp(),
    }));
    format!("{header}.{payload}.{signature}")
}

fn lifetime(d: std::time::Duration) -> Duration {
    Duration::from_std(d).unwrap_or(Duration::MAX)
}
