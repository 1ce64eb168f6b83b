//! Creating and acting on exports. The browser is trusted with nothing: the postings it sends
//! are planned again with `shared` against the tenant's current mapping, the reference data
//! (lock dates re-read from Xero) and the ledger's exported set; every accepted journal must come
//! out of that plan and be postable. The export is stored in one transaction before the answer.

use std::collections::{HashMap, HashSet};

use srm_xero_shared::api::{
    ExportDetail, ExportStatus, ExportSummary, JournalDetail, JournalProblems, JournalState,
    NewExport, OrganisationRef, Progress, RetryRequest, Waiting,
};
use srm_xero_shared::{JournalKey, PlanRequest, PlannedJournal, Posting, plan};

use secrecy::ExposeSecret as _;
use srm_xero_shared::xero::{ManualJournal, ManualJournalStatus, ManualJournals};

use crate::AppState;
use crate::auth::Caller;
use crate::error::AppError;
use crate::ledger::read;
use crate::ledger::write::{self, Actor, NewExportRow, Refused};
use crate::xero::{Fetched, XeroError};

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

/// Plans `postings` as export `number` for `tenant` and picks the `wanted` journals; refuses
/// (422, per journal) any that is missing or not postable, and (409) any whose postings are live
/// in another export of that organisation.
#[allow(clippy::too_many_arguments)] // Everything planning needs, each named.
fn replan(
    conn: &rusqlite::Connection,
    tenant: &str,
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
    if let Some(problem) = settings.check().first() {
        return Err(AppError::Invalid(format!(
            "the mapping cannot be used until an admin fixes it: {problem}"
        )));
    }
    let live = write::live_exports(conn, Some(tenant), postings.iter().map(|p| p.id.as_str()))?;
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

/// Accept by a person: validates, stores export #N with its journals durably, and wakes the
/// worker.
pub async fn create(
    state: &AppState,
    caller: &Caller,
    request: NewExport,
) -> Result<u64, AppError> {
    accept(
        state,
        Actor {
            name: &caller.name,
            sub: &caller.sub,
        },
        request,
    )
    .await
}

/// Accept by `by` (a person, or the schedule): the journals named are planned again from the
/// postings sent, checked, and stored as export #N in one transaction; the worker is woken.
pub async fn accept(state: &AppState, by: Actor<'_>, request: NewExport) -> Result<u64, AppError> {
    accept_with(state, by, request, |_, _| Ok(Vec::new()), |_, _| Ok(())).await
}

/// A journal's state moved in the ledger: (export, from, to).
pub type Moved = (u64, JournalState, JournalState);

/// [`accept`], with `first` run in the same transaction before the postings are planned again
/// and `then` once the export is stored, each given the new export's number (a re-post frees
/// the postings of the journal it replaces first, and notes both journals' histories): what
/// they change and the new export are committed together, or none of it is.
pub async fn accept_with(
    state: &AppState,
    by: Actor<'_>,
    request: NewExport,
    first: impl FnOnce(&rusqlite::Transaction<'_>, u64) -> Result<Vec<Moved>, AppError>,
    then: impl FnOnce(&rusqlite::Transaction<'_>, u64) -> Result<(), AppError>,
) -> Result<u64, AppError> {
    let settings = crate::mapping::current(state)?.settings;
    let reference = reference_for_export(state).await?;
    let organisation = connected(state)?;
    let now = state.now();
    let number = state.db().with(|conn| {
        let tx = conn.transaction()?;
        let outcome = (|| {
            let number = write::next_number(&tx)?;
            let moved = first(&tx, number)?;
            let replanned = replan(
                &tx,
                &organisation.tenant_id,
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
                    by,
                    at: now,
                    organisation: &organisation,
                    journals: replanned.journals,
                    postings,
                },
            )?;
            then(&tx, number)?;
            Ok::<_, AppError>((number, moved))
        })();
        match outcome {
            Ok((number, moved)) => {
                tx.commit()?;
                for (export, from, to) in moved {
                    state.hub().tally().moved(export, from, to, 1);
                }
                Ok(Ok(number))
            }
            Err(e) => Ok(Err(e)),
        }
    })??;
    tracing::info!(number, by = %by.name, organisation = %organisation.name, "export accepted");
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
    let organisation = bound_and_connected(state, summary.organisation.as_ref())?;
    let reference = reference_for_export(state).await?;
    let now = state.now();
    state.db().with(|conn| {
        let outcome = (|| {
            let replanned = replan(
                conn,
                &organisation.tenant_id,
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

/// The organisation connected now, which an export accepted now is bound to.
fn connected(state: &AppState) -> Result<OrganisationRef, AppError> {
    state.connections().organisation()?.ok_or_else(|| {
        AppError::NotConnected("not connected to Xero: an admin must connect first".into())
    })
}

/// The organisation an export is bound to, which must be the one connected now.
pub(crate) fn bound_and_connected(
    state: &AppState,
    bound: Option<&OrganisationRef>,
) -> Result<OrganisationRef, AppError> {
    let now = connected(state)?;
    match bound {
        Some(bound) if bound.tenant_id != now.tenant_id => Err(AppError::Conflict(format!(
            "{}; connect {} again first",
            elsewhere(bound, &now),
            bound.name
        ))),
        _ => Ok(now),
    }
}

/// Why journals of `bound` do not go to `now`.
fn elsewhere(bound: &OrganisationRef, now: &OrganisationRef) -> String {
    format!("accepted for {}; now connected to {}", bound.name, now.name)
}

/// Why an export bound to `bound` waits, if it is not the organisation connected now.
fn waiting_for_organisation(state: &AppState, bound: Option<&OrganisationRef>) -> Option<Waiting> {
    let now = state.hub().organisation()?;
    let bound = bound.filter(|b| b.tenant_id != now.tenant_id)?;
    Some(Waiting {
        reason: format!(
            "{}: its journals wait until {} is connected again, or are voided",
            elsewhere(bound, &now),
            bound.name
        ),
        until: None,
    })
}

/// Void: a pending, failed or needs-attention journal, with a reason.
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

/// Resolve: a journal that needs attention, found in Xero by a person. The id is checked in
/// Xero first — in the export's organisation, carrying the journal's key, not voided — then the
/// journal is marked posted with it.
pub async fn resolve(
    state: &AppState,
    caller: &Caller,
    number: u64,
    key: &JournalKey,
    manual_journal_id: &str,
) -> Result<(), AppError> {
    let id = manual_journal_id.trim();
    if id.is_empty() || id.len() > 64 || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    {
        return Err(AppError::Invalid(format!(
            "{id:?} is not a ManualJournalID: copy the journal's id from Xero (e.g. 0a1b2c3d-…)"
        )));
    }
    let (summary, journal) = export_journal(state, number, key)?;
    if journal.row.state != JournalState::NeedsAttention {
        return Err(AppError::Conflict(format!(
            "journal {key} is {}: only a journal that needs attention is marked posted by hand",
            journal.row.state
        )));
    }
    let organisation = bound_and_connected(state, summary.organisation.as_ref())?;
    let theirs = fetch_journal(state, &organisation, id).await?;
    let carries_key = theirs.narration == journal.journal.narration
        || JournalKey::last_in(&theirs.narration).as_ref() == Some(key);
    if !carries_key {
        return Err(AppError::Invalid(format!(
            "manual journal {id} in {} is \"{}\": it is not journal {key} (its narration does not end with \"{}\")",
            organisation.name,
            theirs.narration,
            key.marker()
        )));
    }
    if let Some(status @ (ManualJournalStatus::Voided | ManualJournalStatus::Deleted)) =
        theirs.status
    {
        return Err(AppError::Invalid(format!(
            "manual journal {id} is {status:?} in Xero: find the copy that stands, or void this journal here",
        )));
    }
    let checked = format!(
        "checked in {}: its narration carries the journal's key",
        organisation.name
    );
    let now = state.now();
    state.db().with(|c| {
        Ok(write::resolve(
            c,
            state.hub().tally(),
            number,
            key.as_str(),
            id,
            &checked,
            Actor {
                name: &caller.name,
                sub: &caller.sub,
            },
            now,
        ))
    })??;
    tracing::info!(number, %key, xero_id = id, by = %caller.name, "journal marked posted by hand");
    state.hub().changed();
    Ok(())
}

/// Export `number` and its journal `key` (404 when either is not there).
pub(crate) fn export_journal(
    state: &AppState,
    number: u64,
    key: &JournalKey,
) -> Result<(ExportSummary, JournalDetail), AppError> {
    let (summary, journal) = state
        .db()
        .with(|c| Ok((read::summary(c, number)?, read::journal(c, number, key)?)))?;
    let summary =
        summary.ok_or_else(|| AppError::NotFound(format!("there is no export #{number}")))?;
    let journal = journal
        .ok_or_else(|| AppError::NotFound(format!("export #{number} has no journal {key}")))?;
    Ok((summary, journal))
}

/// `GET /ManualJournals/{id}` in `organisation`, paced with every other call to Xero.
pub(crate) async fn fetch_journal(
    state: &AppState,
    organisation: &OrganisationRef,
    id: &str,
) -> Result<ManualJournal, AppError> {
    let (access, tenant) = state.connections().access().await?;
    if tenant != organisation.tenant_id {
        return Err(AppError::Conflict(format!(
            "{} is no longer connected",
            organisation.name
        )));
    }
    state.hub().pacer().slot(state).await;
    let path = format!("/api.xro/2.0/ManualJournals/{id}");
    let fetched = state
        .xero()
        .get(&path, access.expose_secret(), Some(&tenant), None)
        .await;
    let not_found = || {
        AppError::Invalid(format!(
            "Xero has no manual journal {id} in {}",
            organisation.name
        ))
    };
    match fetched {
        Ok(Fetched::Body(body)) => serde_json::from_slice::<ManualJournals>(&body)
            .map_err(|e| AppError::XeroUnavailable(format!("Xero's answer does not parse: {e}")))?
            .manual_journals
            .into_iter()
            .next()
            .ok_or_else(not_found),
        Ok(Fetched::NotModified) => Err(not_found()),
        Err(XeroError::Other(status)) if status.starts_with("404") => Err(not_found()),
        Err(e) => Err(e.into()),
    }
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
    let remaining = u64::from(counts.remaining());
    let open = standing.status == ExportStatus::Open && remaining > 0;
    let waiting = open
        .then(|| {
            waiting_for_organisation(state, standing.organisation.as_ref())
                .or_else(|| state.hub().waiting())
        })
        .flatten();
    Ok(Progress {
        number,
        status: standing.status,
        counts,
        waiting,
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
    let waiting = (summary.status == ExportStatus::Open && summary.counts.remaining() > 0)
        .then(|| {
            waiting_for_organisation(state, summary.organisation.as_ref())
                .or_else(|| state.hub().waiting())
        })
        .flatten();
    Ok(ExportDetail {
        summary,
        journals,
        waiting,
    })
}
