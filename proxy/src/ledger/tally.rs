//! Each export's journals per state, kept in memory so progress polls (and progress events) do
//! not read the ledger. An export is counted from the database on its first read, on the writer
//! connection; after that, every change of a journal's state moves its count on that connection
//! (its writes are one at a time), so a read never sees a count the ledger did not have.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use srm_xero_shared::api::{Counts, ExportStatus, JournalState, OrganisationRef};

use crate::db::Db;

/// One export as progress reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Standing {
    /// Open or exported.
    pub status: ExportStatus,
    /// Journals per state.
    pub counts: Counts,
    /// The organisation it is bound to, when it is.
    pub organisation: Option<OrganisationRef>,
}

/// The counts of the exports read so far; one per proxy (in the worker's hub), cheap to clone.
#[derive(Debug, Default, Clone)]
pub struct Tally {
    exports: Arc<Mutex<HashMap<u64, Standing>>>,
}

impl Tally {
    fn exports(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Standing>> {
        self.exports.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Export `number` now: from memory, or counted in the database the first time.
    pub async fn standing(&self, db: &Db, number: u64) -> rusqlite::Result<Option<Standing>> {
        if let Some(known) = self.exports().get(&number) {
            return Ok(Some(known.clone()));
        }
        // On the writer: no change can land between the count and keeping it.
        let tally = self.clone();
        db.write(move |conn| {
            let Some((status, organisation)) = super::read::standing(conn, number)? else {
                return Ok(None);
            };
            let standing = Standing {
                status,
                counts: super::read::counts(conn, number)?,
                organisation,
            };
            tally.exports().insert(number, standing.clone());
            Ok(Some(standing))
        })
        .await
    }

    /// `n` journals of `export` moved from `from` to `to`, committed. Called on the writer
    /// connection; an export not read yet is counted from the database when it is.
    pub fn moved(&self, export: u64, from: JournalState, to: JournalState, n: u32) {
        if from == to || n == 0 {
            return;
        }
        let mut exports = self.exports();
        let Some(standing) = exports.get_mut(&export) else {
            return;
        };
        let source = standing.counts.of_mut(from);
        *source = source.saturating_sub(n);
        *standing.counts.of_mut(to) += n;
        // As `settle_status` decides: exported once every journal is posted or voided.
        let c = standing.counts;
        standing.status = if c.posted + c.voided == c.total() {
            ExportStatus::Exported
        } else {
            ExportStatus::Open
        };
    }

    /// Export `export` is now bound to `organisation` (its first journal was sent there).
    pub fn bound(&self, export: u64, organisation: &OrganisationRef) {
        if let Some(standing) = self.exports().get_mut(&export) {
            standing.organisation = Some(organisation.clone());
        }
    }
}
