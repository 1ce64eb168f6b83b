//! `GET /api/reconciliation`: do SRM and Xero agree? The journals this proxy posted to the
//! connected organisation, dated `from..=to`, as the ledger holds them, against the same
//! journals read back from Xero in bulk — never one call per journal:
//!
//! 1. the days' journals, `where Date >= DateTime(…) AND Date <= DateTime(…)`, paged;
//! 2. ours not among them (moved to another day, deleted, or no longer listed), by id,
//!    `where ManualJournalID == Guid(…) OR …` 50 at a time, `If-Modified-Since` their export's
//!    acceptance (they changed after that, if at all).
//!
//! Each page takes its slot of the pacer. The comparison itself is `shared`'s.

use std::collections::{HashMap, HashSet};

use chrono::{NaiveDate, TimeDelta};
use srm_xero_shared::reconcile::{Posted, Reconciliation, compare};
use srm_xero_shared::xero::ManualJournal;

use crate::AppState;
use crate::error::AppError;
use crate::ledger::read::{self, PostedRow};
use crate::xero::journals::{PAGE, read_all};

/// The most journals one reconciliation compares (about a hundred pages of Xero's).
pub const MAX_JOURNALS: usize = 10_000;
/// The longest range of days.
pub const MAX_DAYS: i64 = 366;
/// Ids named in one `where`.
const IDS_PER_READ: usize = 50;

/// `DateTime(2019,08,01)`, Xero's form of a day in a `where`.
fn xero_day(day: NaiveDate) -> String {
    day.format("DateTime(%Y,%m,%d)").to_string()
}

/// Keeps Xero's journals by id (in lower case: Xero compares ids without case).
fn keep(theirs: &mut HashMap<String, ManualJournal>, list: Vec<ManualJournal>) {
    for journal in list {
        if let Some(id) = &journal.manual_journal_id {
            theirs.insert(id.to_lowercase(), journal);
        }
    }
}

/// Reconciles `from..=to` in the organisation connected now.
pub async fn report(
    state: &AppState,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Reconciliation, AppError> {
    if from > to {
        return Err(AppError::Invalid(format!(
            "from ({from}) is after to ({to}): swap them"
        )));
    }
    if (to - from).num_days() >= MAX_DAYS {
        return Err(AppError::Invalid(format!(
            "{from} to {to} is more than {MAX_DAYS} days: reconcile a year or less at a time"
        )));
    }
    let organisation = state.connections().organisation().await?.ok_or_else(|| {
        AppError::NotConnected("not connected to Xero: an admin must connect first".into())
    })?;
    let tenant = organisation.tenant_id.clone();
    let ours: Vec<PostedRow> = state
        .db()
        .read(move |c| read::posted_between(c, &tenant, from, to, MAX_JOURNALS + 1))
        .await?;
    let too_many = |n: u32| {
        format!(
            "{from} to {to} holds more than {MAX_JOURNALS} journals ({n} in Xero): reconcile a \
             shorter range"
        )
    };
    if ours.len() > MAX_JOURNALS {
        return Err(AppError::Invalid(too_many(
            u32::try_from(ours.len()).unwrap_or(u32::MAX),
        )));
    }
    let read_at = state.now();
    let days = format!("Date >= {} AND Date <= {}", xero_day(from), xero_day(to));
    let max_pages = MAX_JOURNALS.div_ceil(PAGE);
    let mut theirs: HashMap<String, ManualJournal> = HashMap::new();
    if !ours.is_empty() {
        let listed = read_all(state, &organisation, Some(&days), None, max_pages, too_many).await?;
        keep(&mut theirs, listed);
    }
    let missing: Vec<&PostedRow> = {
        let seen: HashSet<&String> = theirs.keys().collect();
        ours.iter()
            .filter(|p| !seen.contains(&p.xero_id.to_lowercase()))
            .collect()
    };
    for batch in missing.chunks(IDS_PER_READ) {
        let clause = batch
            .iter()
            .map(|p| format!("ManualJournalID==Guid(\"{}\")", p.xero_id))
            .collect::<Vec<_>>()
            .join(" OR ");
        // Changed after it reached Xero, if at all; an hour's margin for the two clocks.
        let since = batch
            .iter()
            .map(|p| p.accepted_at)
            .min()
            .map(|t| t - TimeDelta::hours(1));
        let found = read_all(state, &organisation, Some(&clause), since, 1, too_many).await?;
        keep(&mut theirs, found);
    }
    let posted: Vec<Posted<'_>> = ours
        .iter()
        .map(|p| Posted {
            export: p.export,
            manual_journal_id: &p.xero_id,
            journal: &p.planned,
        })
        .collect();
    let (rows, changes, differences) = compare(from, to, &posted, &theirs, read::xero_url);
    tracing::info!(%from, %to, journals = posted.len(), changes = changes.len(), differences = differences.len(), "reconciled with Xero");
    Ok(Reconciliation {
        from,
        to,
        organisation,
        read_at,
        journals: u32::try_from(posted.len()).unwrap_or(u32::MAX),
        rows,
        changes,
        differences,
    })
}
