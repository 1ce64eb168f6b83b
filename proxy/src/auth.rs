//! Caller tokens: the short-lived HS256 JWTs SRM's server signs with the tenant's shared secret
//! (DESIGN.md, "Embedding contract"). Verified by hand with HMAC-SHA256 so exactly one algorithm
//! is ever accepted; `none`, HS512 and anything else are refused. A token must name this proxy
//! (`aud` = its public URL, so a token minted for another tenant's proxy that shares the secret
//! by mistake does not work here), say when it was issued (`iat`) and live no longer than the
//! setting; `exp`, `iat` and `nbf` are judged with a small clock leeway.
//!
//! [`Caller`] is the extractor every `/api` handler takes (it requires `xero:post` and counts the
//! request against the caller's rate); [`Admin`] additionally requires `xero:admin`.

use std::sync::Arc;

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
use crate::config::TokenRules;
use crate::error::AppError;
use crate::limits::RateLimit;

/// The scope every `/api` call needs.
pub const SCOPE_POST: &str = "xero:post";
/// The scope for connecting, disconnecting and changing the mapping.
pub const SCOPE_ADMIN: &str = "xero:admin";

/// The claims of a caller token, as SRM signs them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// SRM's user id.
    pub sub: String,
    /// The user's name, recorded on what they change.
    pub name: String,
    /// The proxy the token is for: its public URL (`SRM_XERO_PUBLIC_URL`).
    pub aud: String,
    /// Issued at, seconds since the epoch.
    pub iat: i64,
    /// Expiry, seconds since the epoch.
    pub exp: i64,
    /// Not before, seconds since the epoch (optional).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<i64>,
    /// Space-separated scopes.
    #[serde(default)]
    pub scope: String,
}

/// The claims as read, before they are checked (each may be missing).
#[derive(Deserialize)]
struct RawClaims {
    sub: String,
    name: String,
    #[serde(default)]
    aud: Option<Audience>,
    #[serde(default)]
    iat: Option<i64>,
    #[serde(default)]
    exp: Option<i64>,
    #[serde(default)]
    nbf: Option<i64>,
    #[serde(default)]
    scope: String,
}

/// RFC 7519 lets `aud` be one string or a list.
#[derive(Deserialize)]
#[serde(untagged)]
enum Audience {
    One(String),
    Many(Vec<String>),
}

impl Audience {
    fn names(&self, wanted: &str) -> bool {
        let same = |a: &str| a.trim_end_matches('/') == wanted.trim_end_matches('/');
        match self {
            Audience::One(a) => same(a),
            Audience::Many(list) => list.iter().any(|a| same(a)),
        }
    }
}

/// What a token must satisfy besides its signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expected {
    /// The `aud` it must name: this proxy's public URL.
    pub audience: String,
    /// Lifetime and leeway.
    pub rules: TokenRules,
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
    /// When the token expires (a stream it opened ends then).
    pub expires_at: DateTime<Utc>,
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
    /// A required claim is absent.
    #[error("the caller token has no {0} claim; SRM must set it")]
    MissingClaim(&'static str),
    /// `aud` is not this proxy.
    #[error("the caller token is for another proxy: its aud must be {0}")]
    WrongAudience(String),
    /// `exp` has passed.
    #[error("the caller token has expired")]
    Expired,
    /// `iat` or `nbf` is still ahead.
    #[error("the caller token is not valid yet (its {0} is in the future)")]
    NotYetValid(&'static str),
    /// `exp − iat` is above the setting.
    #[error("the caller token lives {lifetime} s (exp − iat); this proxy accepts at most {max} s")]
    TooLong {
        /// The token's lifetime, seconds.
        lifetime: i64,
        /// The setting, seconds.
        max: u64,
    },
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

/// Checks a token: HS256 only, the signature, then its claims against `expected` at `now`.
pub fn verify(
    secret: &str,
    token: &str,
    expected: &Expected,
    now: DateTime<Utc>,
) -> Result<Claims, TokenError> {
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
    let raw: RawClaims =
        serde_json::from_slice(&decode(payload)?).map_err(|_| TokenError::Malformed)?;
    check(raw, expected, now.timestamp())
}

/// The claims' rules, in the order a person fixing SRM's side would want them named.
fn check(raw: RawClaims, expected: &Expected, now: i64) -> Result<Claims, TokenError> {
    let aud = raw.aud.ok_or(TokenError::MissingClaim("aud"))?;
    if !aud.names(&expected.audience) {
        return Err(TokenError::WrongAudience(expected.audience.clone()));
    }
    let exp = raw.exp.ok_or(TokenError::MissingClaim("exp"))?;
    let iat = raw.iat.ok_or(TokenError::MissingClaim("iat"))?;
    let leeway = i64::try_from(expected.rules.leeway.as_secs()).unwrap_or(i64::MAX);
    if exp.saturating_add(leeway) <= now {
        return Err(TokenError::Expired);
    }
    if iat > now.saturating_add(leeway) {
        return Err(TokenError::NotYetValid("iat"));
    }
    if raw.nbf.is_some_and(|nbf| nbf > now.saturating_add(leeway)) {
        return Err(TokenError::NotYetValid("nbf"));
    }
    let max = expected.rules.max_lifetime.as_secs();
    let lifetime = exp.saturating_sub(iat);
    if u64::try_from(lifetime).map_or(true, |l| l > max) {
        return Err(TokenError::TooLong { lifetime, max });
    }
    let aud = match aud {
        Audience::One(a) => a,
        Audience::Many(_) => expected.audience.clone(),
    };
    Ok(Claims {
        sub: raw.sub,
        name: raw.name,
        aud,
        iat,
        exp,
        nbf: raw.nbf,
        scope: raw.scope,
    })
}

/// What the extractors need from the application state.
#[derive(Clone)]
pub struct CallerKey {
    /// The shared HS256 secret.
    pub secret: secrecy::SecretString,
    /// The time tokens are judged at.
    pub clock: Clock,
    /// What a token must say besides its signature.
    pub expected: Expected,
    /// Requests per caller.
    pub rate: Arc<RateLimit>,
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

impl Caller {
    /// Checks the request's bearer token and the `xero:post` scope, then counts the request
    /// against the caller's rate.
    fn from_parts(parts: &Parts, key: &CallerKey) -> Result<Self, AppError> {
        use secrecy::ExposeSecret as _;
        let token =
            bearer(parts).ok_or_else(|| AppError::Unauthorized(TokenError::Missing.to_string()))?;
        let claims = verify(
            key.secret.expose_secret(),
            token,
            &key.expected,
            (key.clock)(),
        )
        .map_err(|e| AppError::Unauthorized(e.to_string()))?;
        let caller = Caller {
            sub: claims.sub,
            name: claims.name,
            scopes: claims.scope.split_whitespace().map(String::from).collect(),
            expires_at: DateTime::from_timestamp(claims.exp, 0).unwrap_or(DateTime::<Utc>::MAX_UTC),
        };
        if !caller.has(SCOPE_POST) {
            return Err(AppError::Forbidden(format!(
                "the caller token lacks the {SCOPE_POST} scope"
            )));
        }
        key.rate.check(&caller.sub)?;
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
    use std::time::Duration;

    use super::*;

    const SECRET: &str = "0123456789abcdef0123456789abcdef";
    const PROXY: &str = "https://xero-proxy.tenant.example";
    const NOW: i64 = 1_700_000_000;

    fn claims(iat: i64, exp: i64) -> Claims {
        Claims {
            sub: "u1".into(),
            name: "Pat".into(),
            aud: PROXY.into(),
            iat,
            exp,
            nbf: None,
            scope: "xero:post".into(),
        }
    }

    fn expected() -> Expected {
        Expected {
            audience: PROXY.into(),
            rules: TokenRules::default(),
        }
    }

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(secs, 0).unwrap()
    }

    fn check_at(token: &str, now: i64) -> Result<Claims, TokenError> {
        verify(SECRET, token, &expected(), at(now))
    }

    /// A token signed with the right secret over any JSON payload.
    fn signed(payload: &serde_json::Value) -> String {
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
        let body = URL_SAFE_NO_PAD.encode(payload.to_string());
        let mut mac = mac(SECRET);
        mac.update(format!("{header}.{body}").as_bytes());
        let signature = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
        format!("{header}.{body}.{signature}")
    }

    #[test]
    fn a_minted_token_verifies_until_it_expires_give_or_take_the_leeway() {
        let token = mint(SECRET, &claims(NOW, NOW + 60));
        assert_eq!(check_at(&token, NOW).unwrap(), claims(NOW, NOW + 60));
        // Expired 59 s ago: inside the 60 s leeway.
        assert!(check_at(&token, NOW + 119).is_ok());
        assert_eq!(check_at(&token, NOW + 120), Err(TokenError::Expired));
    }

    #[test]
    fn iat_and_nbf_in_the_future_are_refused_beyond_the_leeway() {
        let early = mint(SECRET, &claims(NOW + 60, NOW + 600));
        assert!(check_at(&early, NOW).is_ok(), "SRM's clock 60 s ahead");
        assert_eq!(
            check_at(&early, NOW - 1),
            Err(TokenError::NotYetValid("iat"))
        );
        let mut later = claims(NOW, NOW + 600);
        later.nbf = Some(NOW + 300);
        let later = mint(SECRET, &later);
        assert_eq!(check_at(&later, NOW), Err(TokenError::NotYetValid("nbf")));
        assert!(check_at(&later, NOW + 240).is_ok());
        let strict = Expected {
            rules: TokenRules {
                leeway: Duration::ZERO,
                ..TokenRules::default()
            },
            ..expected()
        };
        let token = mint(SECRET, &claims(NOW, NOW + 60));
        assert_eq!(
            verify(SECRET, &token, &strict, at(NOW + 60)),
            Err(TokenError::Expired)
        );
    }

    #[test]
    fn the_audience_must_be_this_proxy() {
        let mut other = claims(NOW, NOW + 60);
        other.aud = "https://another-tenant.example".into();
        assert_eq!(
            check_at(&mint(SECRET, &other), NOW),
            Err(TokenError::WrongAudience(PROXY.into()))
        );
        // A trailing slash or a list naming this proxy is the same audience.
        let mut slash = claims(NOW, NOW + 60);
        slash.aud = format!("{PROXY}/");
        assert!(check_at(&mint(SECRET, &slash), NOW).is_ok());
        let list = signed(&serde_json::json!({
            "sub": "u1", "name": "Pat", "iat": NOW, "exp": NOW + 60,
            "aud": ["https://other.example", PROXY], "scope": "xero:post"}));
        assert_eq!(check_at(&list, NOW).unwrap().aud, PROXY);
    }

    #[test]
    fn aud_iat_and_exp_are_required() {
        for missing in ["aud", "iat", "exp"] {
            let mut payload = serde_json::json!({
                "sub": "u1", "name": "Pat", "aud": PROXY, "iat": NOW, "exp": NOW + 60,
                "scope": "xero:post"});
            payload.as_object_mut().unwrap().remove(missing);
            assert_eq!(
                check_at(&signed(&payload), NOW),
                Err(TokenError::MissingClaim(missing)),
                "{missing}"
            );
        }
    }

    #[test]
    fn a_lifetime_above_the_setting_is_refused() {
        let twelve_hours = 12 * 3600;
        assert!(check_at(&mint(SECRET, &claims(NOW, NOW + twelve_hours)), NOW).is_ok());
        assert_eq!(
            check_at(&mint(SECRET, &claims(NOW, NOW + twelve_hours + 1)), NOW),
            Err(TokenError::TooLong {
                lifetime: twelve_hours + 1,
                max: 43_200
            })
        );
        // exp before iat is no lifetime at all.
        assert!(matches!(
            check_at(&mint(SECRET, &claims(NOW, NOW - 1)), NOW - 30),
            Err(TokenError::TooLong { lifetime: -1, .. })
        ));
    }

    #[test]
    fn another_secret_or_a_changed_payload_fails_the_signature() {
        let token = mint(SECRET, &claims(NOW, NOW + 60));
        assert_eq!(
            verify(
                "another secret of enough length!!",
                &token,
                &expected(),
                at(NOW)
            ),
            Err(TokenError::BadSignature)
        );
        let forged = mint(SECRET, &claims(NOW, NOW + 600));
        let mixed: Vec<&str> = token.split('.').collect();
        let other: Vec<&str> = forged.split('.').collect();
        let tampered = format!("{}.{}.{}", mixed[0], other[1], mixed[2]);
        assert_eq!(check_at(&tampered, NOW), Err(TokenError::BadSignature));
    }

    #[test]
    fn garbage_is_malformed() {
        for bad in ["", "a.b", "a.b.c.d", "!!.!!.!!"] {
            assert_eq!(check_at(bad, NOW), Err(TokenError::Malformed), "{bad}");
        }
    }
}
