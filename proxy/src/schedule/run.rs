//! One run of the close: the days to read, SRM's feed page by page into a draft of the
//! schedule's own, and Accept of every postable journal through the same path as a person's
//! Accept ([`crate::exports::accept`]): the same planning one run of dates at a time, the same
//! ledger, which already refuses a posting another export holds. Memory does not grow with the
//! close: each page is stored as it arrives.

use chrono::NaiveDate;
use srm_xero_shared::api::{ConnectionState, OrganisationRef, PIECE_POSTINGS, RunOutcome};

use super::cron::last_closed_day;
use super::runs::Finished;
use crate::AppState;
use crate::error::AppError;
use crate::exports::accept::{self, Owner, Stored};
use crate::exports::replan::Wanted;
use crate::ledger::read;

/// Who the schedule is in the ledger (exports "created by schedule").
pub fn schedule() -> Owner {
    Owner {
        name: "schedule".into(),
        sub: "schedule".into(),
    }
}

/// Why a run could not run, in words for people.
type Why = String;

/// The organisation posting goes to, if posting can happen now.
async fn ready(state: &AppState) -> Result<OrganisationRef, Why> {
    let status = state
        .connections()
        .status()
        .await
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
async fn days(
    state: &AppState,
    organisation: &OrganisationRef,
    cutoff: Option<NaiveDate>,
) -> Result<Result<(NaiveDate, NaiveDate), Why>, AppError> {
    let tenant = organisation.tenant_id.clone();
    let last = state
        .db()
        .read(move |c| read::exported(c, Some(&tenant), &[]))
        .await?
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

/// Runs the close once (the caller holds the run lock).
pub async fn close(state: &AppState) -> Finished {
    let Some(feed) = state.feed() else {
        return Finished::failed(None, crate::feed::FeedReadError::NotConfigured.to_string());
    };
    let organisation = match ready(state).await {
        Ok(organisation) => organisation,
        Err(why) => return Finished::failed(None, why),
    };
    let cutoff = match crate::mapping::current(state).await {
        Ok(mapping) => mapping.settings.cutoff_date,
        Err(e) => return Finished::failed(None, e.to_string()),
    };
    let (from, to) = match days(state, &organisation, cutoff).await {
        Ok(Ok(days)) => days,
        Ok(Err(why)) => return Finished::nothing(None, why),
        Err(e) => return Finished::failed(None, e.to_string()),
    };
    let span = Some((from, to));
    let by = schedule();
    let token = match accept::open(state, &by, from).await {
        Ok((token, _)) => token,
        Err(e) => return Finished::failed(span, e.to_string()),
    };
    let finished = match store_feed(state, feed, &by, &token, from, to).await {
        Ok(0) => Finished::nothing(
            span,
            format!("nothing to post: SRM's feed has no postings from {from} to {to}"),
        ),
        Ok(_) => accept_valid(state, &by, &token, (from, to)).await,
        Err(why) => Finished::failed(span, why),
    };
    if finished.export.is_none()
        && let Err(e) = accept::discard_of(state, &by.sub, &token).await
    {
        tracing::error!(error = %e, "cannot drop the close's draft");
    }
    finished
}

/// Reads SRM's feed for `from..=to` into draft `token`, a page (in pieces) at a time: the
/// postings the draft holds.
async fn store_feed(
    state: &AppState,
    feed: &crate::feed::FeedReader,
    by: &Owner,
    token: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<u64, Why> {
    let mut pages = feed.pages(from, to);
    let mut received = 0;
    while let Some(page) = pages.next().await.map_err(|e| e.to_string())? {
        let mut postings = page.postings;
        while !postings.is_empty() {
            let rest = postings.split_off(postings.len().min(PIECE_POSTINGS));
            received = accept::add_postings(state, &by.sub, token, postings)
                .await
                .map_err(|e| format!("SRM's G/L feed, page {}: {e}", pages.read))?;
            postings = rest;
        }
    }
    Ok(received)
}

/// Accepts every postable journal of the draft as one export, leaving the others for a person.
async fn accept_valid(
    state: &AppState,
    by: &Owner,
    token: &str,
    (from, to): (NaiveDate, NaiveDate),
) -> Finished {
    let span = Some((from, to));
    let stored = match accept::accept_as(state, by.clone(), token, Wanted::Postable, None).await {
        Ok(stored) => stored,
        Err(e) => return Finished::failed(span, format!("Accept refused the journals: {e}")),
    };
    let Stored {
        number,
        journals,
        held_back,
    } = stored;
    let (accepted, held_back) = (
        u32::try_from(journals).unwrap_or(u32::MAX),
        u32::try_from(held_back).unwrap_or(u32::MAX),
    );
    let Some(number) = number else {
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
    };
    let left = if held_back > 0 {
        format!("; {held_back} with problems left for a person")
    } else {
        String::new()
    };
    Finished {
        outcome: RunOutcome::Posted,
        days: span,
        export: Some(number),
        accepted,
        held_back,
        message: Some(format!(
            "export #{number}: {accepted} journals from {from} to {to}{left}"
        )),
    }
}
