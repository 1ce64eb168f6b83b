//! Alerts in SQLite: raised once per kind and subject, each destination's delivery retried until
//! done or given up.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, params};

use super::payload::Payload;
use super::{Alert, Channel};

/// One delivery to make.
#[derive(Debug, Clone)]
pub struct Due {
    /// The alert's row id.
    pub alert: i64,
    /// Where to.
    pub channel: Channel,
    /// Tries so far.
    pub attempts: u32,
    /// When the alert was raised.
    pub raised_at: DateTime<Utc>,
    /// What to send: the payload's JSON as raised.
    pub payload: String,
}

/// Records `alert` (as `payload`) with a delivery per channel, due at `now`; `false` when an
/// alert of the same kind and subject was raised before (nothing is recorded then).
pub fn insert(
    conn: &mut Connection,
    alert: &Alert,
    payload: &Payload,
    channels: &[Channel],
    now: DateTime<Utc>,
) -> rusqlite::Result<bool> {
    let body = serde_json::to_string(payload)
        .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
    let tx = conn.transaction()?;
    let inserted = tx.execute(
        "INSERT OR IGNORE INTO alerts (kind, subject, payload, raised_at) VALUES (?1, ?2, ?3, ?4)",
        params![alert.kind.as_str(), alert.subject.to_string(), body, now],
    )?;
    if inserted == 0 {
        return Ok(false);
    }
    let id = tx.last_insert_rowid();
    for channel in channels {
        tx.execute(
            "INSERT INTO alert_deliveries (alert, channel, next_at) VALUES (?1, ?2, ?3)",
            params![id, channel.as_str(), now],
        )?;
    }
    tx.commit()?;
    Ok(true)
}

/// Deliveries due at `now`, oldest first (a few at a time).
pub fn due(conn: &Connection, now: DateTime<Utc>) -> rusqlite::Result<Vec<Due>> {
    let mut statement = conn.prepare_cached(
        "SELECT d.alert, d.channel, d.attempts, a.raised_at, a.payload
         FROM alert_deliveries d JOIN alerts a ON a.id = d.alert
         WHERE d.delivered_at IS NULL AND d.given_up_at IS NULL AND d.next_at <= ?1
         ORDER BY d.next_at, d.alert LIMIT 20",
    )?;
    let rows = statement.query_map([now], |r| {
        let channel = match r.get::<_, String>(1)?.as_str() {
            "email" => Channel::Email,
            _ => Channel::Webhook,
        };
        let payload: String = r.get(4)?;
        Ok((
            r.get::<_, i64>(0)?,
            channel,
            r.get::<_, u32>(2)?,
            r.get::<_, DateTime<Utc>>(3)?,
            payload,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (alert, channel, attempts, raised_at, payload) = row?;
        out.push(Due {
            alert,
            channel,
            attempts,
            raised_at,
            payload,
        });
    }
    Ok(out)
}

/// Deliveries still to be made (neither delivered nor given up).
pub fn undelivered(conn: &Connection) -> rusqlite::Result<u64> {
    conn.query_row(
        "SELECT COUNT(*) FROM alert_deliveries WHERE delivered_at IS NULL AND given_up_at IS NULL",
        [],
        |r| r.get::<_, i64>(0).map(crate::ledger::u64_of),
    )
}

/// `delivery` went through at `now`.
pub fn delivered(
    conn: &mut Connection,
    delivery: &Due,
    now: DateTime<Utc>,
) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE alert_deliveries SET attempts = attempts + 1, delivered_at = ?3, last_error = NULL
         WHERE alert = ?1 AND channel = ?2",
        params![delivery.alert, delivery.channel.as_str(), now],
    )?;
    Ok(())
}

/// `delivery` failed (`why`): tried again at `next`, or given up at `give_up`.
pub fn failed(
    conn: &mut Connection,
    delivery: &Due,
    why: &str,
    next: DateTime<Utc>,
    give_up: Option<DateTime<Utc>>,
) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE alert_deliveries SET attempts = attempts + 1, next_at = ?3, last_error = ?4,
           given_up_at = ?5
         WHERE alert = ?1 AND channel = ?2",
        params![
            delivery.alert,
            delivery.channel.as_str(),
            next,
            why,
            give_up
        ],
    )?;
    Ok(())
}
