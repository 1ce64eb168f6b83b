//! One run of the close: the days to read, SRM's feed, planning with `shared` exactly as the
//! component plans, and Accept of the valid journals only, through the same path as a person's
//! Accept ([`crate::exports::accept`]): the same re-planning, the same ledger, which already
//! refuses a posting another export holds.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use srm_xero_shared::api::{ConnectionState, NewExport, OrganisationRef, RunOutcome};
use srm_xero_shared::{PlanRequest, PlannedJournal, Posting, plan};

use super::cron::last_closed_day;
use super::runs::Finished;
use crate::AppState;
use crate::error::AppError;
use crate::ledger::read;
use crate::ledger::write::{Actor, live_exports};

/// Who the schedule is in the ledger (exports "created by schedule").
pub const SCHEDULE: Actor<'static> = Actor {
    name: "schedule",
    sub: "schedule",
};

/// Why a run could not run, in words for people.
type Why = String;

/// The organisation posting goes to, if posting can happen now.
fn ready(state: &AppState) -> Result<OrganisationRef, Why> {
    let status = state
        .connections()
        .status()
        .map_err(|e| format!("the connection cannot be read ({e})"))?;
    match (status.state, status.organisation) {
        (ConnectionState::Connected, Some(organisation)) => Ok(organisation),
        (ConnectionState::ReconnectNeeded, _) => {
            Err("Xero refused the connection's tokens: an admin must connect to Xero again".into())
        }
        _ => Err("not connected to Xero: an admin must connect first".into()),
    }
}

/// The days a run reads: from the day after the last exported posting date (nothing exported
/// yet: the mapping's cut-off date) to yesterday in the close's time zone. `Err` says why there
/// is nothing to read.
fn days(
    state: &AppState,
    organisation: &OrganisationRef,
    cutoff: Option<NaiveDate>,
) -> Result<Result<(NaiveDate, NaiveDate), String>, AppError> {
    let last = state
        .db()
        .with(|c| read::exported(c, Some(&organisation.tenant_id), &[]))?
        .last_exported_date;
    let to = last_closed_day(state.now(), state.config().close.zone);
    let from = match (last.and_then(|d| d.succ_opt()), cutoff) {
        (Some(after_last), _) => after_last,
        (None, Some(cutoff)) => cutoff,
        (None, None) => {
            return Ok(Err(
                "nothing has been exported to this organisation yet and the mapping has no \
                 cut-off date: make the first export by hand, or set the cut-off date in the \
                 mapping"
                    .into(),
            ));
        }
    };
    if from > to {
        return Ok(Err(format!(
            "nothing to read: everything up to {to} (yesterday) is exported"
        )));
    }
    Ok(Ok((from, to)))
}

/// Plans `postings` as the component does: today's mapping, the cached reference data and the
/// postings already exported to `organisation`.
async fn plan_like_the_component(
    state: &AppState,
    organisation: &OrganisationRef,
    postings: &[Posting],
    from: NaiveDate,
) -> Result<Vec<PlannedJournal>, AppError> {
    let settings = crate::mapping::current(state)?.settings;
    let reference = crate::reference::snapshot(state, false).await?.reference;
    let exported: HashMap<String, u64> = state.db().with(|c| {
        live_exports(
            c,
            Some(&organisation.tenant_id),
            postings.iter().map(|p| p.id.as_str()),
        )
    })?;
    Ok(plan(&PlanRequest {
        postings,
        settings: &settings,
        exported: &exported,
        from,
        export_number: None,
        reference: &reference,
    })
    .journals)
}

/// Runs the close once (the caller holds the run lock).
pub async fn close(state: &AppState) -> Finished {
    match read(state).await {
        Ok((organisation, (from, to), postings)) => {
            accept_valid(state, &organisation, (from, to), &postings).await
        }
        Err(finished) => finished,
    }
}

/// The organisation, the days to close and SRM's postings of those days; or how the run ends
/// without them.
async fn read(
    state: &AppState,
) -> Result<(OrganisationRef, (NaiveDate, NaiveDate), Vec<Posting>), Finished> {
    let Some(feed) = state.feed() else {
        return Err(Finished::failed(
            None,
            crate::feed::FeedReadError::NotConfigured.to_string(),
        ));
    };
    let organisation = ready(state).map_err(|why| Finished::failed(None, why))?;
    let cutoff = crate::mapping::current(state)
        .map_err(|e| Finished::failed(None, e.to_string()))?
        .settings
        .cutoff_date;
    let (from, to) = match days(state, &organisation, cutoff) {
        Ok(Ok(days)) => days,
        Ok(Err(why)) => return Err(Finished::nothing(None, why)),
        Err(e) => return Err(Finished::failed(None, e.to_string())),
    };
    let read = feed
        .read(from, to)
        .await
        .map_err(|e| Finished::failed(Some((from, to)), e.to_string()))?;
    Ok((organisation, (from, to), read.postings))
}

/// Plans `postings` and accepts the valid journals as one export, leaving the others.
async fn accept_valid(
    state: &AppState,
    organisation: &OrganisationRef,
    (from, to): (NaiveDate, NaiveDate),
    postings: &[Posting],
) -> Finished {
    let span = Some((from, to));
    // Twice at most: an Accept of someone else's, or a lock date moved, between planning and
    // this Accept makes it refuse; planned again, the journals it refused are left out.
    let mut refused_once = false;
    loop {
        let journals = match plan_like_the_component(state, organisation, postings, from).await {
            Ok(journals) => journals,
            Err(e) => return Finished::failed(span, e.to_string()),
        };
        let (valid, problems): (Vec<&PlannedJournal>, Vec<&PlannedJournal>) =
            journals.iter().partition(|j| j.is_postable());
        let held_back = u32::try_from(problems.len()).unwrap_or(u32::MAX);
        if valid.is_empty() {
            let why = if held_back == 0 {
                format!("nothing to post: no posting from {from} to {to} is left to export")
            } else {
                format!(
                    "{held_back} journals from {from} to {to} have problems and were left for a \
                     person; none could be posted"
                )
            };
            return Finished {
                held_back,
                ..Finished::nothing(span, why)
            };
        }
        let accepted = u32::try_from(valid.len()).unwrap_or(u32::MAX);
        match crate::exports::accept(state, SCHEDULE, request(from, &valid, postings)).await {
            Ok(number) => {
                let left = if held_back > 0 {
                    format!("; {held_back} with problems left for a person")
                } else {
                    String::new()
                };
                let message =
                    format!("export #{number}: {accepted} journals from {from} to {to}{left}");
                return Finished {
                    outcome: RunOutcome::Posted,
                    days: span,
                    export: Some(number),
                    accepted,
                    held_back,
                    message: Some(message),
                };
            }
            Err(AppError::Conflict(_) | AppError::InvalidJournals { .. }) if !refused_once => {
                refused_once = true;
            }
            Err(e) => return Finished::failed(span, format!("Accept refused the journals: {e}")),
        }
    }
}

/// Accept of the `valid` journals, with only their postings.
fn request(from: NaiveDate, valid: &[&PlannedJournal], postings: &[Posting]) -> NewExport {
    let used: HashSet<&str> = valid
        .iter()
        .flat_map(|j| j.postings.iter().map(String::as_str))
        .collect();
    NewExport {
        from,
        postings: postings
            .iter()
            .filter(|p| used.contains(p.id.as_str()))
            .cloned()
            .collect(),
        journals: valid.iter().map(|j| j.key.clone()).collect(),
    }
}
