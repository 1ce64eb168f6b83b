//! Calls to Xero (`PUT /ManualJournals`), each stored before it is first sent: its
//! Idempotency-Key, the organisation, the exact bytes, and when and how often it was sent. An
//! unknown outcome is settled from this record: the identical request again under the same key
//! while Xero remembers the key, a look-up in Xero after that.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, params};
use srm_xero_shared::api::JournalState;

use super::Claimed;
use super::names::Named;

/// One call as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    /// The row id.
    pub id: i64,
    /// Its Idempotency-Key.
    pub key: String,
    /// The organisation (tenant id) it is sent to, and nowhere else.
    pub tenant: String,
    /// The exact request body (`None` once the call is settled).
    pub body: Option<Vec<u8>>,
    /// When it was first sent (`None`: never, so the key was never seen by Xero).
    pub first_sent_at: Option<DateTime<Utc>>,
    /// When it was last sent.
    pub last_sent_at: Option<DateTime<Utc>>,
    /// How often it was sent.
    pub attempts: u32,
    /// When Xero's answer to it was read.
    pub answered_at: Option<DateTime<Utc>>,
}

/// A call with the journals it carries that are still `posting`.
#[derive(Debug, Clone)]
pub struct Work {
    /// The call.
    pub call: Call,
    /// Its journals still waiting for an outcome.
    pub journals: Vec<Claimed>,
}

const CALL_COLUMNS: &str =
    "id, idempotency_key, tenant_id, body, first_sent_at, last_sent_at, attempts, answered_at";

fn call_of(r: &rusqlite::Row<'_>) -> rusqlite::Result<Call> {
    Ok(Call {
        id: r.get(0)?,
        key: r.get(1)?,
        tenant: r.get(2)?,
        body: r.get(3)?,
        first_sent_at: r.get(4)?,
        last_sent_at: r.get(5)?,
        attempts: u32::try_from(r.get::<_, i64>(6)?).unwrap_or(u32::MAX),
        answered_at: r.get(7)?,
    })
}

/// Stores a new call (never sent yet); answers its row id.
pub fn insert(
    conn: &Connection,
    key: &str,
    tenant: &str,
    body: &[u8],
    at: DateTime<Utc>,
) -> rusqlite::Result<i64> {
    conn.execute(
        "INSERT INTO calls (idempotency_key, tenant_id, body, created_at) VALUES (?1, ?2, ?3, ?4)",
        params![key, tenant, body, at],
    )?;
    Ok(conn.last_insert_rowid())
}

/// Records that call `id` goes out now — committed before the bytes leave ([`sent`] is the
/// same record in memory).
pub fn sending(conn: &Connection, id: i64, at: DateTime<Utc>) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE calls SET attempts = attempts + 1, last_sent_at = ?2,
           first_sent_at = COALESCE(first_sent_at, ?2) WHERE id = ?1",
        params![id, at],
    )?;
    Ok(())
}

/// Notes in `call` the send [`sending`] recorded at `at`.
pub fn sent(call: &mut Call, at: DateTime<Utc>) {
    call.attempts += 1;
    call.last_sent_at = Some(at);
    call.first_sent_at.get_or_insert(at);
}

/// Takes back the record of call `id`'s only send: Xero turned it away at the door (a 429, a
/// refused token) before its key was seen, so the key's life has not started ([`forget_send`]
/// is the same in memory). Only for a call sent once.
pub fn turned_away(conn: &Connection, id: i64) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE calls SET attempts = 0, first_sent_at = NULL, last_sent_at = NULL
         WHERE id = ?1 AND attempts = 1",
        [id],
    )?;
    Ok(())
}

/// `call` once [`turned_away`] took its only send back.
pub fn forget_send(call: &mut Call) {
    call.attempts = 0;
    call.first_sent_at = None;
    call.last_sent_at = None;
}

/// Records that Xero's answer to the call was read.
pub fn answered(conn: &Connection, id: i64, at: DateTime<Utc>) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE calls SET answered_at = COALESCE(answered_at, ?2) WHERE id = ?1",
        params![id, at],
    )?;
    Ok(())
}

/// Drops the body of a call none of whose journals is `posting` any more (the bytes are only
/// kept to send the identical request again).
pub fn close_if_settled(conn: &Connection, id: i64) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE calls SET body = NULL WHERE id = ?1 AND NOT EXISTS (
             SELECT 1 FROM journals WHERE call = ?1 AND state = ?2)",
        params![id, Named(JournalState::Posting)],
    )?;
    Ok(())
}

/// The journals of call `id` still `posting`.
pub fn journals_of(conn: &Connection, id: i64) -> rusqlite::Result<Vec<Claimed>> {
    super::posting::claimed_rows(
        conn,
        "SELECT id, export, planned, keys_used FROM journals
         WHERE call = ?1 AND state = ?2 ORDER BY id",
        params![id, Named(JournalState::Posting)],
    )
}

/// Calls some journal of which is still `posting` (left by a proxy that stopped), oldest first.
pub fn open(conn: &Connection) -> rusqlite::Result<Vec<Work>> {
    let mut statement = conn.prepare(&format!(
        "SELECT {CALL_COLUMNS} FROM calls c WHERE EXISTS (
             SELECT 1 FROM journals j WHERE j.call = c.id AND j.state = ?1)
         ORDER BY c.id"
    ))?;
    let calls = statement
        .query_map([Named(JournalState::Posting)], call_of)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    calls
        .into_iter()
        .map(|call| {
            let journals = journals_of(conn, call.id)?;
            Ok(Work { call, journals })
        })
        .collect()
}
