//! Creating and acting on exports. The browser is trusted with nothing: the postings it sends
//! are planned again with `shared` against the tenant's current mapping, the reference data
//! (lock dates re-read from Xero) and the ledger's exported set; every accepted journal must come
//! out of that plan and be postable. The export is stored in one transaction before the answer.

use std::collections::{HashMap, HashSet};

use srm_xero_shared::api::{
    ExportDetail, ExportStatus, JournalProblems, NewExport, Progress, RetryRequest,
};
use srm_xero_shared::{JournalKey, PlanRequest, PlannedJournal, Posting, plan};

use crate::AppState;
use crate::auth::Caller;
use crate::error::AppError;
use crate::ledger::read;
use crate::ledger::write::{self, Actor, NewExportRow, Refused};

impl From<Refused> for AppError {
    fn from(e: Refused) -> Self {
        match e {
            Refused::AlreadyLive { posting, export } => AppError::Conflict(format!(
                "posting {posting} is already in export #{export} (posted or being posted)"
            )),
            Refused::State(m) => AppError::Conflict(m),
            Refused::NotFound(m) => AppError::NotFound(m),
            Refused::Db(e) => e.into(),
        }
    }
}

/// What planning the sent postings again gives for the accepted keys.
struct Replanned {
    journals: Vec<PlannedJournal>,
}

/// Plans `postings` as export `number` and picks the `wanted` journals; refuses (422, per
/// journal) any that is missing or not postable, and (409) any whose postings are live elsewhere.
fn replan(
    conn: &rusqlite::Connection,
    postings: &[Posting],
    wanted: &[JournalKey],
    from: chrono::NaiveDate,
    number: u64,
    settings: &srm_xero_shared::MappingSettings,
    reference: &srm_xero_shared::ReferenceData,
) -> Result<Replanned, AppError> {
    if wanted.is_empty() {
        return Err(AppError::Invalid("no journals were accepted".into()));
    }
    let position: HashMap<&JournalKey, usize> =
        wanted.iter().enumerate().map(|(i, k)| (k, i)).collect();
    if position.len() != wanted.len() {
        return Err(AppError::Invalid("a journal is named twice".into()));
    }
    let live = write::live_exports(conn, postings.iter().map(|p| p.id.as_str()))?;
    let request = |exported: &HashMap<String, u64>| {
        plan(&PlanRequest {
            postings,
            settings,
            exported,
            from,
            export_number: Some(number),
            reference,
        })
    };
    // The wanted journals are kept in the plan's own list, put in the order accepted, not
    // copied: an export can hold 10,000, and Accept's memory is the proxy's peak.
    let mut journals = request(&live).journals;
    journals.retain(|j| position.contains_key(&j.key));
    journals.sort_unstable_by_key(|j| position[&j.key]);
    drop(position);
    if journals.len() < wanted.len() {
        let found: HashSet<&JournalKey> = journals.iter().map(|j| &j.key).collect();
        let missing: Vec<&JournalKey> = wanted.iter().filter(|k| !found.contains(k)).collect();
        // Planned without the ledger's exported set, a missing key may be a journal whose
        // postings another export already holds: that is a conflict, not bad input.
        let everything = request(&HashMap::new());
        for journal in everything
            .journals
            .iter()
            .filter(|j| missing.contains(&&j.key))
        {
            if let Some((posting, export)) = journal
                .postings
                .iter()
                .find_map(|p| live.get(p).map(|e| (p, *e)))
            {
                return Err(Refused::AlreadyLive {
                    posting: posting.clone(),
                    export,
                }
                .into());
            }
        }
        let names: Vec<String> = missing.iter().map(ToString::to_string).collect();
        return Err(AppError::Invalid(format!(
            "journal {} does not come out of planning the sent postings with the current mapping; preview again",
            names.join(", ")
        )));
    }
    if !journals.iter().all(PlannedJournal::is_postable) {
        let problems: Vec<JournalProblems> = journals
            .into_iter()
            .filter(|j| !j.is_postable())
            .map(|j| JournalProblems {
                key: j.key,
                problems: j.problems,
            })
            .collect();
        return Err(AppError::InvalidJournals {
            message: format!(
                "{} of the accepted journals cannot be posted as they are",
                problems.len()
            ),
            journals: problems,
        });
    }
    Ok(Replanned { journals })
}

/// The reference data to check against, with the lock dates re-read from Xero through the
/// worker's pacer, so that read never costs the export a 429. When Xero's limit keeps the read
/// waiting longer than [`LOCK_DATE_WAIT`], the cached lock dates are used (Xero still refuses a
/// journal inside a lock date; it then fails with Xero's message and can be retried).
async fn reference_for_export(
    state: &AppState,
) -> Result<srm_xero_shared::ReferenceData, AppError> {
    // The read takes its pacer slot as it goes (`reference`); here it only waits for room.
    let paced = tokio::time::timeout(LOCK_DATE_WAIT, state.hub().pacer().room(state)).await;
    let snapshot = if paced.is_ok() {
        crate::reference::for_export(state).await?
    } else {
        tracing::warn!("Xero's call limit is in use: checking against the cached lock dates");
        crate::reference::snapshot(state, false).await?
    };
    Ok(snapshot.reference)
}

/// The longest Accept waits for a call to re-read the lock dates.
const LOCK_DATE_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

/// Accept: validates, stores export #N with its journals durably, and wakes the worker.
pub async fn create(
    state: &AppState,
    caller: &Caller,
    request: NewExport,
) -> Result<u64, AppError> {
    let settings = crate::mapping::current(state)?.settings;
    let reference = reference_for_export(state).await?;
    let now = state.now();
    let number = state.db().with(|conn| {
        let tx = conn.transaction()?;
        let outcome = (|| {
            let number = write::next_number(&tx)?;
            let replanned = replan(
                &tx,
                &request.postings,
                &request.journals,
                request.from,
                number,
                &settings,
                &reference,
            )?;
            let postings: Vec<Posting> = {
                let used: HashSet<&str> = replanned
                    .journals
                    .iter()
                    .flat_map(|j| j.postings.iter().map(String::as_str))
                    .collect();
                request
                    .postings
                    .into_iter()
                    .filter(|p| used.contains(p.id.as_str()))
                    .collect()
            };
            write::create(
                &tx,
                NewExportRow {
                    number,
                    from: request.from,
                    by: Actor {
                        name: &caller.name,
                        sub: &caller.sub,
                    },
                    at: now,
                    journals: replanned.journals,
                    postings,
                },
            )?;
            Ok::<_, AppError>(number)
        })();
        match outcome {
            Ok(number) => tx.commit().map(|()| Ok(number)),
            Err(e) => Ok(Err(e)),
        }
    })??;
    tracing::info!(number, by = %caller.name, "export accepted");
    state.hub().changed();
    state.hub().wake();
    Ok(number)
}

/// Retry: failed journals, re-planned by the component with today's mapping, validated again.
pub async fn retry(
    state: &AppState,
    caller: &Caller,
    number: u64,
    request: RetryRequest,
) -> Result<(), AppError> {
    let summary = state
        .db()
        .with(|c| read::summary(c, number))?
        .ok_or_else(|| AppError::NotFound(format!("there is no export #{number}")))?;
    let settings = crate::mapping::current(state)?.settings;
    let reference = reference_for_export(state).await?;
    let now = state.now();
    state.db().with(|conn| {
        let outcome = (|| {
            let replanned = replan(
                conn,
                &request.postings,
                &request.journals,
                summary.from_date,
                number,
                &settings,
                &reference,
            )?;
            write::retry(
                conn,
                state.hub().tally(),
                number,
                &replanned.journals,
                &request.postings,
                Actor {
                    name: &caller.name,
                    sub: &caller.sub,
                },
                now,
            )?;
            Ok::<_, AppError>(())
        })();
        Ok(outcome)
    })??;
    state.hub().changed();
    state.hub().wake();
    Ok(())
}

/// Void: a pending or failed journal, with a reason.
pub fn void(
    state: &AppState,
    caller: &Caller,
    number: u64,
    key: &JournalKey,
    reason: &str,
) -> Result<(), AppError> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(AppError::Invalid(
            "say why the journal is voided (a reason is required)".into(),
        ));
    }
    let now = state.now();
    state.db().with(|c| {
        Ok(write::void(
            c,
            state.hub().tally(),
            number,
            key.as_str(),
            Actor {
                name: &caller.name,
                sub: &caller.sub,
            },
            reason,
            now,
        ))
    })??;
    state.hub().changed();
    Ok(())
}

/// Where export `number` stands now (from the hub's tally: polls and events do not read the
/// ledger).
pub fn progress(state: &AppState, number: u64) -> Result<Progress, AppError> {
    let standing = state
        .hub()
        .tally()
        .standing(state.db(), number)?
        .ok_or_else(|| AppError::NotFound(format!("there is no export #{number}")))?;
    let counts = standing.counts;
    let remaining = u64::from(counts.pending + counts.posting);
    let open = standing.status == ExportStatus::Open && remaining > 0;
    Ok(Progress {
        number,
        status: standing.status,
        counts,
        waiting: if open { state.hub().waiting() } else { None },
        eta_seconds: state.hub().eta_seconds(state.now(), remaining),
        sequence: state.hub().sequence(),
    })
}

/// One export with its journals.
pub fn detail(state: &AppState, number: u64) -> Result<ExportDetail, AppError> {
    let (summary, journals) = state
        .db()
        .with(|c| Ok((read::summary(c, number)?, read::journals(c, number)?)))?;
    let summary =
        summary.ok_or_else(|| AppError::NotFound(format!("there is no export #{number}")))?;
    let waiting = (summary.status == ExportStatus::Open
        && summary.counts.pending + summary.counts.posting > 0)
        .then(|| state.hub().waiting())
        .flatten();
    Ok(ExportDetail {
        summary,
        journals,
        waiting,
    })
}
