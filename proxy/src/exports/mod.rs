//! Creating and acting on exports. The browser is trusted with nothing: Accept ([`accept`])
//! and Retry plan the postings the proxy stored again with `shared` against the tenant's current
//! mapping, the reference data (lock dates re-read from Xero) and the ledger's exported set
//! ([`replan`]); every accepted journal must come out of that plan and be postable. The export
//! is stored in one transaction before the answer. Progress says what changed since a number
//! ([`crate::sequence`]), so a popup of 10,000 journals patches its rows instead of reading them
//! all again.

pub mod accept;
pub mod replan;

use std::sync::Arc;

use srm_xero_shared::JournalKey;
use srm_xero_shared::api::{
    ExportDetail, ExportStatus, ExportSummary, JournalDetail, JournalState, OrganisationRef,
    Progress, RetryRequest, Waiting,
};

use secrecy::ExposeSecret as _;
use srm_xero_shared::xero::{ManualJournal, ManualJournalStatus, ManualJournals};

use crate::AppState;
use crate::auth::Caller;
use crate::error::AppError;
use crate::ledger::write::{self, Actor, Refused};
use crate::ledger::{drafts, read};
use crate::xero::{Fetched, XeroError};
use replan::{Planning, Verdict, Wanted};

impl From<Refused> for AppError {
    fn from(e: Refused) -> Self {
        match e {
            Refused::AlreadyLive { posting, export } => AppError::Conflict(format!(
                "posting {posting} is already in export #{export} (posted or being posted)"
            )),
            Refused::State(m) => AppError::Conflict(m),
            Refused::NotFound(m) => AppError::NotFound(m),
            Refused::Invalid(m) => AppError::Invalid(m),
            Refused::Db(e) => e.into(),
        }
    }
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

/// Retry: failed journals, planned again by the proxy with today's mapping from the postings
/// it stored with the export, validated again, pending once more.
pub async fn retry(
    state: &AppState,
    caller: &Caller,
    number: u64,
    request: RetryRequest,
) -> Result<(), AppError> {
    let wanted = Arc::new(Wanted::new(request.journals)?);
    let summary = state
        .db()
        .read(move |c| read::summary(c, number))
        .await?
        .ok_or_else(|| AppError::NotFound(format!("there is no export #{number}")))?;
    let settings = crate::mapping::current(state).await?.settings;
    let organisation = bound_and_connected(state, summary.organisation.as_ref()).await?;
    let reference = reference_for_export(state).await?;
    let planning = Planning {
        settings,
        reference,
        from: summary.from_date,
        number,
        tenant: organisation.tenant_id,
        freed: std::collections::HashSet::new(),
    };
    let asked = Arc::clone(&wanted);
    let picked = state
        .db()
        .read(move |c| {
            let mut ids = Vec::new();
            for key in asked.keys() {
                match read::planned(c, number, key)? {
                    Some((JournalState::Failed, journal)) => ids.extend(journal.postings),
                    Some((state, _)) => {
                        return Ok(Err(AppError::Conflict(format!(
                            "journal {key} is {state}: only failed journals can be retried"
                        ))));
                    }
                    None => {
                        return Ok(Err(AppError::NotFound(format!(
                            "export #{number} has no journal {key}"
                        ))));
                    }
                }
            }
            let postings = drafts::of_export(c, number, &ids)?;
            replan::pick(c, &planning, &postings, &asked, 0).map(Ok)
        })
        .await??;
    let mut verdict = Verdict::default();
    let journals: Vec<_> = verdict.add(picked).into_iter().map(|(_, j)| j).collect();
    verdict.judge(&wanted)?;
    let (name, sub, at) = (caller.name.clone(), caller.sub.clone(), state.now());
    let tally = state.hub().tally().clone();
    state
        .db()
        .change(move |c, seq| {
            write::retry(
                c,
                &tally,
                seq,
                number,
                &journals,
                Actor {
                    name: &name,
                    sub: &sub,
                },
                at,
            )
        })
        .await?;
    state.hub().wake();
    Ok(())
}

/// The organisation connected now, which an export accepted now is bound to.
async fn connected(state: &AppState) -> Result<OrganisationRef, AppError> {
    state.connections().organisation().await?.ok_or_else(|| {
        AppError::NotConnected("not connected to Xero: an admin must connect first".into())
    })
}

/// The organisation an export is bound to, which must be the one connected now.
pub(crate) async fn bound_and_connected(
    state: &AppState,
    bound: Option<&OrganisationRef>,
) -> Result<OrganisationRef, AppError> {
    let now = connected(state).await?;
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
pub async fn void(
    state: &AppState,
    caller: &Caller,
    number: u64,
    key: &JournalKey,
    reason: &str,
) -> Result<(), AppError> {
    let reason = reason.trim().to_owned();
    if reason.is_empty() {
        return Err(AppError::Invalid(
            "say why the journal is voided (a reason is required)".into(),
        ));
    }
    let (name, sub, at) = (caller.name.clone(), caller.sub.clone(), state.now());
    let (tally, key) = (state.hub().tally().clone(), key.clone());
    state
        .db()
        .change(move |c, seq| {
            write::void(
                c,
                &tally,
                seq,
                number,
                key.as_str(),
                Actor {
                    name: &name,
                    sub: &sub,
                },
                &reason,
                at,
            )
        })
        .await?;
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
    let (summary, journal) = export_journal(state, number, key).await?;
    if journal.row.state != JournalState::NeedsAttention {
        return Err(AppError::Conflict(format!(
            "journal {key} is {}: only a journal that needs attention is marked posted by hand",
            journal.row.state
        )));
    }
    let organisation = bound_and_connected(state, summary.organisation.as_ref()).await?;
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
    let (name, sub, at) = (caller.name.clone(), caller.sub.clone(), state.now());
    let (tally, asked, xero_id) = (state.hub().tally().clone(), key.clone(), id.to_owned());
    state
        .db()
        .change(move |c, seq| {
            write::resolve(
                c,
                &tally,
                seq,
                number,
                asked.as_str(),
                &xero_id,
                &checked,
                Actor {
                    name: &name,
                    sub: &sub,
                },
                at,
            )
        })
        .await?;
    tracing::info!(number, %key, xero_id = id, by = %caller.name, "journal marked posted by hand");
    Ok(())
}

/// Export `number` and its journal `key` (404 when either is not there).
pub(crate) async fn export_journal(
    state: &AppState,
    number: u64,
    key: &JournalKey,
) -> Result<(ExportSummary, JournalDetail), AppError> {
    let asked = key.clone();
    let (summary, journal) = state
        .db()
        .read(move |c| Ok((read::summary(c, number)?, read::journal(c, number, &asked)?)))
        .await?;
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

/// Where export `number` stands now (its counts from the hub's tally, not the ledger), and
/// with `since`, every journal of it that changed after that change (read from the ledger by
/// `journals.seq`; `complete` unless `since` is one this proxy has not reached).
pub async fn progress(
    state: &AppState,
    number: u64,
    since: Option<u64>,
) -> Result<Progress, AppError> {
    // First the number, then the rows: a change in flight now has a higher number and is in
    // the next answer.
    let sequence = state.hub().sequence();
    let standing = state
        .hub()
        .tally()
        .standing(state.db(), number)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("there is no export #{number}")))?;
    let (changes, complete) = match since {
        Some(since) if since <= sequence => {
            let changes = state
                .db()
                .read(move |c| read::changes(c, number, since))
                .await?;
            (changes, true)
        }
        _ => (Vec::new(), false),
    };
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
        sequence,
        changes,
        complete,
    })
}

/// One export with its journals, as of the change numbered in its `sequence`.
pub async fn detail(state: &AppState, number: u64) -> Result<ExportDetail, AppError> {
    let sequence = state.hub().sequence();
    let (summary, journals) = state
        .db()
        .read(move |c| Ok((read::summary(c, number)?, read::journals(c, number)?)))
        .await?;
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
        sequence,
    })
}
