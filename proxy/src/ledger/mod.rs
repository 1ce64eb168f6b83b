//! The export ledger in SQLite: exports (SRM's Export Transaction #), their journals and states,
//! which postings each journal holds, the source postings, and every journal's history.
//!
//! Everything here is synchronous and short, run on a connection [`crate::db::Db`] lends off the
//! async threads; the rules that keep "a posting in at most one live journal of an
//! organisation" are in the schema (`0002_exports.sql`, `0005_exactly_once.sql`) and in the
//! transactions below. [`read`] answers the API, [`drafts`] receives Accept's postings and
//! stores the export made of them, [`write`] records what people do, [`posting`] what the
//! worker does, [`calls`] keeps each call to Xero; [`names`] is how states are stored. Every
//! change to a journal stores its number in `journals.seq` ([`crate::sequence`]).

pub mod calls;
pub mod drafts;
pub mod names;
pub mod posting;
pub mod read;
pub mod tally;
pub mod write;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, params};
use srm_xero_shared::PlannedJournal;
use srm_xero_shared::api::{ExportStatus, JournalState};

use names::Named;

/// Who the worker is in histories.
pub const WORKER: &str = "srm-xero";

/// A journal the worker holds: its row id, export, the journal as planned, and how many
/// Idempotency-Keys it has used without a confirmed outcome (this one included).
#[derive(Debug, Clone)]
pub struct Claimed {
    /// The row id.
    pub id: i64,
    /// The export.
    pub export: u64,
    /// The journal as stored (its narration is what was sent).
    pub planned: PlannedJournal,
    /// Idempotency-Keys used so far.
    pub keys_used: u32,
}

/// A journal as stored in `journals.planned` (JSON), read from result column `column`.
pub fn planned_of(text: &str, column: usize) -> rusqlite::Result<PlannedJournal> {
    serde_json::from_str(text).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(column, rusqlite::types::Type::Text, Box::new(e))
    })
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
             SELECT 1 FROM journals WHERE export = ?1 AND state NOT IN (?2, ?3))
           THEN ?4 ELSE ?5 END
         WHERE number = ?1",
        params![
            i64_of(export),
            Named(JournalState::Posted),
            Named(JournalState::Voided),
            Named(ExportStatus::Open),
            Named(ExportStatus::Exported),
        ],
    )?;
    Ok(())
}

/// A journal's row id and state, found by export and key.
pub fn journal_row(
    conn: &Connection,
    export: u64,
    key: &str,
) -> rusqlite::Result<Option<(i64, JournalState)>> {
    use rusqlite::OptionalExtension as _;
    conn.query_row(
        "SELECT id, state FROM journals WHERE export = ?1 AND key = ?2",
        params![i64_of(export), key],
        |r| Ok((r.get(0)?, r.get::<_, Named<JournalState>>(1)?.0)),
    )
    .optional()
}
