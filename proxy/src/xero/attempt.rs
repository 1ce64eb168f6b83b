//! Started connections waiting for Xero's callback (`connection_attempt` rows), bound to the
//! admin's browser.
//!
//! `POST /api/connection/start` stores an attempt: its `state`, its PKCE verifier (sealed, bound
//! to the state) and Xero's authorize URL, and answers a proxy link for it. The popup opens that
//! link once: [`bind`] marks the attempt with the hash of a random secret that goes into a
//! cookie of that browser, and the popup is sent on to Xero. The callback then needs both the
//! `state` and that cookie ([`take`]), so someone who obtains an unused authorize URL cannot
//! finish the connection with their own organisation. Attempts live [`PENDING_LIFETIME`] and
//! survive a restart of the proxy.

use chrono::{DateTime, Duration, Utc};
use rusqlite::{OptionalExtension as _, params};
use secrecy::{ExposeSecret as _, SecretString};
use sha2::{Digest as _, Sha256};

use super::oauth::Authorization;
use crate::config::random_text;
use crate::crypto::Sealer;
use crate::db::Db;

/// How long a started authorization may wait for its callback.
pub const PENDING_LIFETIME: Duration = Duration::minutes(15);

/// The associated data of a started attempt's sealed PKCE verifier: bound to its `state`, so a
/// verifier cannot be moved to another attempt's row.
fn verifier_purpose(state: &str) -> String {
    format!("srm-xero connection_attempt.verifier v1 {state}")
}

/// What is stored of the browser's secret: its SHA-256, so the database alone cannot forge it.
fn browser_hash(secret: &str) -> Vec<u8> {
    Sha256::digest(secret.as_bytes()).to_vec()
}

/// A started authorization, taken for its callback.
pub struct Pending {
    /// The PKCE verifier.
    pub verifier: SecretString,
    /// Who started it.
    pub started_by: String,
}

/// Why an attempt cannot be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AttemptError {
    /// No such attempt, expired, or (for [`bind`]) opened already.
    #[error(
        "this connection link is unknown, already opened or expired; press Connect again on the page"
    )]
    Unknown,
    /// The attempt exists but this browser did not open its link (no cookie, or another one).
    #[error(
        "this connection was started in another browser window, or this browser refused its cookie; press Connect again on the page, in this browser"
    )]
    OtherBrowser,
    /// The database failed (logged).
    #[error("internal error")]
    Internal,
}

fn internal(e: &rusqlite::Error) -> AttemptError {
    tracing::error!(error = %e, "a connection attempt could not be read or written");
    AttemptError::Internal
}

/// Stores a new attempt by `started_by`; old ones are pruned.
pub async fn store(
    db: &Db,
    sealer: &Sealer,
    authorization: &Authorization,
    started_by: &str,
    now: DateTime<Utc>,
) -> rusqlite::Result<()> {
    let sealed = sealer.seal(
        &verifier_purpose(&authorization.state),
        authorization.verifier.expose_secret().as_bytes(),
    );
    let (state, url, started_by) = (
        authorization.state.clone(),
        authorization.url.clone(),
        started_by.to_owned(),
    );
    db.write(move |c| {
        c.execute(
            "DELETE FROM connection_attempt WHERE started_at < ?1",
            params![now - PENDING_LIFETIME],
        )?;
        c.execute(
            "INSERT INTO connection_attempt (state, verifier, started_by, started_at, authorize_url)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            params![state, sealed, started_by, now, url],
        )
    })
    .await?;
    Ok(())
}

/// Xero's authorize URL of an attempt that no browser has opened yet.
pub async fn unopened(db: &Db, attempt: &str, now: DateTime<Utc>) -> Result<String, AttemptError> {
    let attempt = attempt.to_owned();
    let url: Option<String> = db
        .read(move |c| {
            c.query_row(
                "SELECT authorize_url FROM connection_attempt
                 WHERE state = ?1 AND browser IS NULL AND started_at > ?2 AND authorize_url <> ''",
                params![attempt, now - PENDING_LIFETIME],
                |r| r.get(0),
            )
            .optional()
        })
        .await
        .map_err(|e| internal(&e))?;
    url.ok_or(AttemptError::Unknown)
}

/// Binds the attempt to the browser opening its link, once: answers the secret for its cookie.
pub async fn bind(db: &Db, attempt: &str, now: DateTime<Utc>) -> Result<String, AttemptError> {
    let secret = random_text::<32>();
    let (attempt, hash) = (attempt.to_owned(), browser_hash(&secret));
    let bound = db
        .write(move |c| {
            c.execute(
                "UPDATE connection_attempt SET browser = ?1
                 WHERE state = ?2 AND browser IS NULL AND started_at > ?3",
                params![hash, attempt, now - PENDING_LIFETIME],
            )
        })
        .await
        .map_err(|e| internal(&e))?;
    if bound == 1 {
        Ok(secret)
    } else {
        Err(AttemptError::Unknown)
    }
}

/// Takes the attempt for `state` (each is used once) when `browser` is the secret of the
/// browser that opened it and it has not expired.
pub async fn take(
    db: &Db,
    sealer: &Sealer,
    state: &str,
    browser: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Pending, AttemptError> {
    let asked = state.to_owned();
    let bound: Option<Option<Vec<u8>>> = db
        .read(move |c| {
            c.query_row(
                "SELECT browser FROM connection_attempt WHERE state = ?1 AND started_at > ?2",
                params![asked, now - PENDING_LIFETIME],
                |r| r.get(0),
            )
            .optional()
        })
        .await
        .map_err(|e| internal(&e))?;
    let Some(bound) = bound else {
        return Err(AttemptError::Unknown);
    };
    // A state without this browser's cookie is left alone: whoever sent it cannot use it, and
    // the admin's own callback may still come.
    let hash = browser.map(browser_hash);
    if bound.is_none() || bound != hash {
        return Err(AttemptError::OtherBrowser);
    }
    let asked = state.to_owned();
    let (sealed, started_by): (Vec<u8>, String) = db
        .write(move |c| {
            c.query_row(
                "DELETE FROM connection_attempt WHERE state = ?1 AND browser = ?2
                 RETURNING verifier, started_by",
                params![asked, hash],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
        })
        .await
        .map_err(|e| internal(&e))?
        .ok_or(AttemptError::Unknown)?;
    let verifier = sealer
        .open(&verifier_purpose(state), &sealed)
        .map_err(|_| AttemptError::Unknown)?;
    Ok(Pending {
        verifier: SecretString::from(
            String::from_utf8(verifier).map_err(|_| AttemptError::Unknown)?,
        ),
        started_by,
    })
}
