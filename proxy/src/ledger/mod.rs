//! The export ledger in SQLite: exports (SRM's Export Transaction #), their journals and states,
//! which postings each journal holds, the source postings, and every journal's history.
//!
//! Everything here is synchronous and short, run under [`crate::db::Db::with`]; the rules that
//! keep "a posting in at most one live journal" are in the schema (`0002_exports.sql`) and in
//! the transactions below. [`read`] answers the API, [`write`] records what people and the
//! worker do.

pub mod read;
pub mod tally;
pub mod write;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, params};
use srm_xero_shared::PlannedJournal;
use srm_xero_shared::api::JournalState;

/// Who the worker is in histories.
pub const WORKER: &str = "srm-xero";

/// A journal's state as stored.
pub fn state_text(state: JournalState) -> &'static str {
    match state {
        JournalState::Pending => "pending",
        JournalState::Posting => "posting",
        JournalState::Posted => "posted",
        JournalState::Failed => "failed",
        JournalState::Voided => "voided",
    }
}

/// A stored state read back (an unknown text cannot be written: the schema checks it).
pub fn parse_state(text: &str) -> JournalState {
    match text {
        "posting" => JournalState::Posting,
        "posted" => JournalState::Posted,
        "failed" => JournalState::Failed,
        "voided" => JournalState::Voided,
        _ => JournalState::Pending,
    }
}

/// A journal the worker holds: its row id, export and the journal as planned.
#[derive(Debug, Clone)]
pub struct Claimed {
    /// The row id.
    pub id: i64,
    /// The export.
    pub export: u64,
    /// The journal as stored.
    pub planned: PlannedJournal,
}

/// `u64` from SQLite's `i64` (numbers we wrote are never negative).
pub fn u64_of(v: i64) -> u64 {
    u64::try_from(v).unwrap_or_default()
}

/// `i64` for SQLite.
pub fn i64_of(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// Records one history entry.
pub fn note(
    conn: &Connection,
    journal: i64,
    at: DateTime<Utc>,
    who: &str,
    what: &str,
) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO history (journal, at, who, what) VALUES (?1, ?2, ?3, ?4)",
        params![journal, at, who, what],
    )?;
    Ok(())
}

/// Marks the export exported when every journal is posted or voided (and open otherwise).
pub fn settle_status(conn: &Connection, export: u64) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE exports SET status = CASE WHEN EXISTS (
             SELECT 1 FROM journals WHERE export = ?1 AND state NOT IN ('posted', 'voided'))
           THEN 'open' ELSE 'exported' END
         WHERE number = ?1",
        params![i64_of(export)],
    )?;
    Ok(())
}
