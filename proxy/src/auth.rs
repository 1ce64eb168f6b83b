//! Caller tokens: the short-lived HS256 JWTs SRM's server signs with the tenant's shared secret
//! (DESIGN.md, "Embedding contract"). Verified by hand with HMAC-SHA256 so exactly one algorithm
//! is ever accepted; `none`, HS512 and anything else are refused.
//!
//! [`Caller`] is the extractor every `/api` handler takes (it requires `xero:post`); [`Admin`]
//! additionally requires `xero:admin`.

use axum::extract::{FromRef, FromRequestParts};
use axum::http::header;
use axum::http::request::Parts;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac as _};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::clock::Clock;
use crate::error::AppError;

/// The scope every `/api` call needs.
pub const SCOPE_POST: &str = "xero:post";
/// The scope for connecting, disconnecting and changing the mapping.
pub const SCOPE_ADMIN: &str = "xero:admin";

/// The claims of a caller token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// SRM's user id.
    pub sub: String,
    /// The user's name, recorded on what they change.
    pub name: String,
    /// Expiry, seconds since the epoch.
    pub exp: i64,
    /// Space-separated scopes.
    #[serde(default)]
    pub scope: String,
}

/// Who is calling, once their token checked out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// SRM's user id.
    pub sub: String,
    /// The user's name.
    pub name: String,
    /// Granted scopes.
    pub scopes: Vec<String>,
}

impl Caller {
    /// Whether the token grants `scope`.
    pub fn has(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == scope)
    }
}

/// A caller with `xero:admin`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Admin(pub Caller);

/// A caller whose token may also come as `?token=` (only for server-sent events: EventSource
/// cannot send headers).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventCaller(pub Caller);

/// Why a token was refused (each becomes a 401 with its own message).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// No `Authorization: Bearer` header.
    #[error("a caller token is required (Authorization: Bearer …)")]
    Missing,
    /// Not three base64url parts of JSON.
    #[error("the caller token is malformed")]
    Malformed,
    /// `alg` other than HS256.
    #[error("the caller token must be signed with HS256")]
    WrongAlgorithm,
    /// The signature does not match the shared secret.
    #[error("the caller token's signature is not valid")]
    BadSignature,
    /// `exp` has passed.
    #[error("the caller token has expired")]
    Expired,
}

#[derive(Deserialize)]
struct Header {
    alg: String,
}

type HmacSha256 = Hmac<Sha256>;

fn mac(secret: &str) -> HmacSha256 {
    HmacSha256::new_from_slice(secret.as_bytes()).expect("HMAC accepts keys of any length")
}

/// Signs `claims` as an HS256 JWT (SRM's side; the demo and tests use it).
pub fn mint(secret: &str, claims: &Claims) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
    let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).expect("claims serialise"));
    let signing_input = format!("{header}.{payload}");
    let mut mac = mac(secret);
    mac.update(signing_input.as_bytes());
    let signature = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
    format!("{signing_input}.{signature}")
}

/// Checks a token: HS256 only, the signature, then expiry at `now`.
pub fn verify(secret: &str, token: &str, now: DateTime<Utc>) -> Result<Claims, TokenError> {
    let mut parts = token.split('.');
    let (Some(header), Some(payload), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(TokenError::Malformed);
    };
    let decode = |part: &str| {
        URL_SAFE_NO_PAD
            .decode(part)
            .map_err(|_| TokenError::Malformed)
    };
    let head: Header =
        serde_json::from_slice(&decode(header)?).map_err(|_| TokenError::Malformed)?;
    if head.alg != "HS256" {
        return Err(TokenError::WrongAlgorithm);
    }
    let mut mac = mac(secret);
    mac.update(header.as_bytes());
    mac.update(b".");
    mac.update(payload.as_bytes());
    mac.verify_slice(&decode(signature)?)
        .map_err(|_| TokenError::BadSignature)?;
    let claims: Claims =
        serde_json::from_slice(&decode(payload)?).map_err(|_| TokenError::Malformed)?;
    if claims.exp <= now.timestamp() {
        return Err(TokenError::Expired);
    }
    Ok(claims)
}

/// What the extractors need from the application state.
#[derive(Clone)]
pub struct CallerKey {
    /// The shared HS256 secret.
    pub secret: secrecy::SecretString,
    /// The time tokens are judged at.
    pub clock: Clock,
}

impl std::fmt::Debug for CallerKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CallerKey([REDACTED])")
    }
}

fn bearer(parts: &Parts) -> Option<&str> {
    parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
        .filter(|t| !t.is_empty())
}

fn query_token(parts: &Parts) -> Option<&str> {
    parts.uri.query()?.split('&').find_map(|pair| {
        pair.strip_prefix("token=")
            .filter(|t| !t.is_empty() && !t.contains('%'))
    })
}

impl Caller {
    /// Checks the request's bearer token and the `xero:post` scope.
    fn from_parts(parts: &Parts, key: &CallerKey) -> Result<Self, AppError> {
        let token =
            bearer(parts).ok_or_else(|| AppError::Unauthorized(TokenError::Missing.to_string()))?;
        Caller::from_token(token, key)
    }

    fn from_token(token: &str, key: &CallerKey) -> Result<Self, AppError> {
        use secrecy::ExposeSecret as _;
        let claims = verify(key.secret.expose_secret(), token, (key.clock)())
            .map_err(|e| AppError::Unauthorized(e.to_string()))?;
        let caller = Caller {
            sub: claims.sub,
            name: claims.name,
            scopes: claims.scope.split_whitespace().map(String::from).collect(),
        };
        if !caller.has(SCOPE_POST) {
            return Err(AppError::Forbidden(format!(
                "the caller token lacks the {SCOPE_POST} scope"
            )));
        }
        Ok(caller)
    }
}

impl<S> FromRequestParts<S> for Caller
where
    CallerKey: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = AppError;

    fn from_request_parts(
        parts: &mut Parts,
        state: &S,
    ) -> impl Future<Output = Result<Self, Self::Rejection>> + Send {
        std::future::ready(Caller::from_parts(parts, &CallerKey::from_ref(state)))
    }
}

impl<S> FromRequestParts<S> for EventCaller
where
    CallerKey: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = AppError;

    fn from_request_parts(
        parts: &mut Parts,
        state: &S,
    ) -> impl Future<Output = Result<Self, Self::Rejection>> + Send {
        let key = CallerKey::from_ref(state);
        let token = bearer(parts)
            .or_else(|| query_token(parts))
            .ok_or_else(|| AppError::Unauthorized(TokenError::Missing.to_string()));
        std::future::ready(token.and_then(|t| Caller::from_token(t, &key).map(EventCaller)))
    }
}

impl<S> FromRequestParts<S> for Admin
where
    CallerKey: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let caller = Caller::from_request_parts(parts, state).await?;
        if !caller.has(SCOPE_ADMIN) {
            return Err(AppError::Forbidden(format!(
                "only a {SCOPE_ADMIN} caller may do this"
            )));
        }
        Ok(Admin(caller))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "0123456789abcdef0123456789abcdef";

    fn claims(exp: i64) -> Claims {
        Claims {
            sub: "u1".into(),
            name: "Pat".into(),
            exp,
            scope: "xero:post".into(),
        }
    }

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_700_000_000, 0).unwrap()
    }

    #[test]
    fn a_minted_token_verifies_until_it_expires() {
        let token = mint(SECRET, &claims(1_700_000_060));
        assert_eq!(
            verify(SECRET, &token, now()).unwrap(),
            claims(1_700_000_060)
        );
        let later = now() + chrono::Duration::seconds(60);
        assert_eq!(verify(SECRET, &token, later), Err(TokenError::Expired));
    }

    #[test]
    fn another_secret_or_a_changed_payload_fails_the_signature() {
        let token = mint(SECRET, &claims(1_700_000_060));
        assert_eq!(
            verify("another secret of enough length!!", &token, now()),
            Err(TokenError::BadSignature)
        );
        let forged = mint(SECRET, &claims(1_800_000_000));
        let mixed: Vec<&str> = token.split('.').collect();
        let other: Vec<&str> = forged.split('.').collect();
        let tampered = format!("{}.{}.{}", mixed[0], other[1], mixed[2]);
        assert_eq!(
            verify(SECRET, &tampered, now()),
            Err(TokenError::BadSignature)
        );
    }

    #[test]
    fn garbage_is_malformed() {
        for bad in ["", "a.b", "a.b.c.d", "!!.!!.!!"] {
            assert_eq!(
                verify(SECRET, bad, now()),
                Err(TokenError::Malformed),
                "{bad}"
            );
        }
    }
}
