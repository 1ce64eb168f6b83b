//! Re-posting a journal that was voided or deleted in Xero after it was posted (the Reconcile
//! view offers it): Xero is asked first — the journal must be voided, deleted or gone there, so
//! its postings are never in two standing journals — then its own postings go into a draft and
//! are accepted as a new export through the same Accept as every export
//! ([`crate::exports::accept`]). In the transaction that stores it the old journal is voided here
//! (its history says where its postings went) and the new journals' histories say where they
//! came from.
//!
//! A journal edited in Xero still stands there: it is re-posted once a person voided the edited
//! copy in Xero (the view says so).

use std::collections::{HashMap, HashSet};

use srm_xero_shared::api::{JournalProblems, JournalState};
use srm_xero_shared::reconcile::Change;
use srm_xero_shared::xero::ManualJournalStatus;
use srm_xero_shared::{JournalKey, PlanRequest, plan};

use crate::AppState;
use crate::auth::Caller;
use crate::error::AppError;
use crate::exports::accept::{self, Owner, Replacing};
use crate::exports::replan::Wanted;
use crate::exports::{bound_and_connected, export_journal, fetch_journal};

/// Re-posts journal `key` of export `number`; answers the new export's number.
pub async fn repost(
    state: &AppState,
    caller: &Caller,
    number: u64,
    key: &JournalKey,
) -> Result<u64, AppError> {
    let (summary, journal) = export_journal(state, number, key).await?;
    let (JournalState::Posted, Some(xero_id)) = (journal.row.state, journal.row.xero_id.clone())
    else {
        return Err(AppError::Conflict(format!(
            "journal {key} is {}: only a posted journal that was voided or deleted in Xero is \
             re-posted",
            journal.row.state
        )));
    };
    let organisation = bound_and_connected(state, summary.organisation.as_ref()).await?;
    let change = match fetch_journal(state, &organisation, &xero_id).await {
        Ok(theirs) => match theirs.status {
            Some(ManualJournalStatus::Voided) => Change::Voided,
            Some(ManualJournalStatus::Deleted) => Change::Deleted,
            status => {
                return Err(AppError::Conflict(format!(
                    "journal {key} still stands in Xero ({}, ManualJournalID {xero_id}): if it \
                     was edited there, void it in Xero first, then re-post it here",
                    status.map_or_else(|| "no status".to_owned(), |s| format!("{s:?}"))
                )));
            }
        },
        // Xero has no such journal: deleted.
        Err(AppError::Invalid(_)) => Change::Deleted,
        Err(e) => return Err(e),
    };
    let keys = planned_keys(state, &journal).await?;
    let by = Owner::of(caller);
    let replacing = Replacing {
        export: number,
        key: key.clone(),
        postings: journal.postings.iter().map(|p| p.id.clone()).collect(),
        what: format!("{change} in Xero (ManualJournalID {xero_id})"),
    };
    let (token, _) = accept::open(state, &by, journal.journal.date).await?;
    let stored = async {
        accept::add_postings(state, &by.sub, &token, journal.postings.clone()).await?;
        accept::accept_as(
            state,
            by.clone(),
            &token,
            Wanted::new(keys)?,
            Some(replacing),
        )
        .await
    }
    .await;
    let new = match stored {
        Ok(accept::Stored {
            number: Some(new), ..
        }) => new,
        outcome => {
            if let Err(e) = accept::discard_of(state, &by.sub, &token).await {
                tracing::error!(error = %e, "cannot drop a re-post's draft");
            }
            return Err(outcome
                .err()
                .unwrap_or_else(|| AppError::internal("a re-post stored no export")));
        }
    };
    tracing::info!(number, %key, new, by = %caller.name, %change, "journal re-posted");
    Ok(new)
}

/// The keys the journal's own postings plan into with today's mapping; refused (422, with the
/// problems) when any cannot be posted, or a posting no longer plans at all (a cut-off date).
async fn planned_keys(
    state: &AppState,
    journal: &srm_xero_shared::api::JournalDetail,
) -> Result<Vec<JournalKey>, AppError> {
    let settings = crate::mapping::current(state).await?.settings;
    let reference = crate::reference::snapshot(state, false).await?.reference;
    let planned = plan(&PlanRequest {
        postings: &journal.postings,
        settings: &settings,
        exported: &HashMap::new(),
        from: journal.journal.date,
        export_number: None,
        reference: &reference,
    });
    let problems: Vec<JournalProblems> = planned
        .journals
        .iter()
        .filter(|j| !j.is_postable())
        .map(|j| JournalProblems {
            key: j.key.clone(),
            problems: j.problems.clone(),
        })
        .collect();
    if !problems.is_empty() {
        return Err(AppError::InvalidJournals {
            message: format!(
                "with today's mapping, journal {} cannot be posted as it is: fix the mapping, \
                 then re-post",
                journal.row.key
            ),
            journals: problems,
        });
    }
    let planned_ids: HashSet<&str> = planned
        .journals
        .iter()
        .flat_map(|j| j.postings.iter().map(String::as_str))
        .collect();
    if journal.postings.is_empty()
        || journal
            .postings
            .iter()
            .any(|p| !planned_ids.contains(p.id.as_str()))
    {
        return Err(AppError::Invalid(format!(
            "the postings of journal {} no longer plan into a journal (a cut-off date, or they \
             are missing from the export): they cannot be re-posted",
            journal.row.key
        )));
    }
    Ok(planned.journals.into_iter().map(|j| j.key).collect())
}
