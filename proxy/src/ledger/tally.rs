//! Each export's journals per state, kept in memory so progress polls (and progress events) do
//! not read the ledger. An export is counted from the database on its first read; after that,
//! every change of a journal's state in [`super::write`] moves its count, under the same lock
//! as the change itself (the database's), so a read never sees a count the ledger did not have.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use rusqlite::OptionalExtension as _;
use srm_xero_shared::api::{Counts, ExportStatus, JournalState};

use super::i64_of;
use crate::db::Db;

/// One export as progress reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Standing {
    /// Open or exported.
    pub status: ExportStatus,
    /// Journals per state.
    pub counts: Counts,
}

/// The counts of the exports read so far; one per proxy (in the worker's hub).
#[derive(Debug, Default)]
pub struct Tally {
    exports: Mutex<HashMap<u64, Standing>>,
}

fn slot(counts: &mut Counts, state: JournalState) -> &mut u32 {
    match state {
        JournalState::Pending => &mut counts.pending,
        JournalState::Posting => &mut counts.posting,
        JournalState::Posted => &mut counts.posted,
        JournalState::Failed => &mut counts.failed,
        JournalState::Voided => &mut counts.voided,
    }
}

impl Tally {
    fn exports(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Standing>> {
        self.exports.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Export `number` now: from memory, or counted in the database the first time.
    pub fn standing(&self, db: &Db, number: u64) -> rusqlite::Result<Option<Standing>> {
        if let Some(known) = self.exports().get(&number) {
            return Ok(Some(*known));
        }
        // Under the database's lock: no change can land between the count and keeping it.
        db.with(|conn| {
            let Some(status) = conn
                .query_row(
                    "SELECT status FROM exports WHERE number = ?1",
                    [i64_of(number)],
                    |r| r.get::<_, String>(0),
                )
                .optional()?
            else {
                return Ok(None);
            };
            let standing = Standing {
                status: super::read::status_of(&status),
                counts: super::read::counts(conn, number)?,
            };
            self.exports().insert(number, standing);
            Ok(Some(standing))
        })
    }

    /// `n` journals of `export` moved from `from` to `to`, committed. Called with the database's
    /// lock held; an export not read yet is counted from the database when it is.
    pub fn moved(&self, export: u64, from: JournalState, to: JournalState, n: u32) {
        if from == to || n == 0 {
            return;
        }
        let mut exports = self.exports();
        let Some(standing) = exports.get_mut(&export) else {
            return;
        };
        let source = slot(&mut standing.counts, from);
        *source = source.saturating_sub(n);
        *slot(&mut standing.counts, to) += n;
        // As `settle_status` decides: exported once every journal is posted or voided.
        let c = standing.counts;
        standing.status = if c.pending + c.posting + c.failed == 0 {
            ExportStatus::Exported
        } else {
            ExportStatus::Open
        };
    }
}
