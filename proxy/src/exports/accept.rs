//! Accept of a close of any size. The component opens a draft, sends the postings in pieces
//! that each fit the body limit (stored as they arrive), then names the journals it accepts.
//! The proxy plans the draft again one run of posting dates at a time ([`STEP_POSTINGS`]
//! postings a run, read from SQLite; a journal never spans two dates), stages the accepted
//! journals as it goes, and stores the export in one short final transaction: its memory does
//! not grow with the close, and every step is a short read or write, so progress answers and the
//! worker's claims never wait for a whole Accept. One Accept plans at a time: the number it plans
//! with (the narrations carry it) is the number it stores.
//!
//! The schedule and a re-post go through the same path with a draft of their own: the schedule
//! takes every postable journal ([`Wanted::Postable`]), a re-post names the journal it replaces
//! ([`Replacing`]), voided here in the transaction that stores the new export.

use std::collections::HashSet;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use srm_xero_shared::JournalKey;
use srm_xero_shared::api::JournalState;

use srm_xero_shared::api::{
    DraftAccept, DraftCreated, DraftPiece, DraftReceived, MAX_POSTINGS_PER_EXPORT, NewDraft,
    PIECE_POSTINGS,
};

use super::replan::{self, Planning, Verdict, Wanted};
use crate::AppState;
use crate::auth::Caller;
use crate::config::random_text;
use crate::error::AppError;
use crate::ledger::drafts::{self, Accepted, Draft, Replaces};
use crate::ledger::write::{Actor, next_number};

/// Postings Accept plans in one step (whole days: a day with more is a step of its own).
pub const STEP_POSTINGS: u64 = 5_000;

/// Accepted journals staged in one write, at most (and at most [`STEP_POSTINGS`] postings).
const STAGE_JOURNALS: usize = 500;

fn unknown(token: &str) -> AppError {
    AppError::NotFound(format!(
        "draft {token} is unknown, expired or already accepted: press Accept again"
    ))
}

/// Who accepts: a person (a caller token's name and sub), or the schedule.
#[derive(Debug, Clone)]
pub struct Owner {
    /// The name the ledger records.
    pub name: String,
    /// The sub a draft is bound to.
    pub sub: String,
}

impl Owner {
    /// The caller's.
    pub fn of(caller: &Caller) -> Owner {
        Owner {
            name: caller.name.clone(),
            sub: caller.sub.clone(),
        }
    }

    fn actor(&self) -> Actor<'_> {
        Actor {
            name: &self.name,
            sub: &self.sub,
        }
    }
}

/// A re-post: journal `key` of export `export`, gone from Xero, whose postings the new export
/// takes over (they are planned as free; the journal is voided here as the export is stored).
#[derive(Debug, Clone)]
pub struct Replacing {
    /// Its export.
    pub export: u64,
    /// Its key.
    pub key: JournalKey,
    /// Its postings' ids.
    pub postings: HashSet<String>,
    /// What happened in Xero, for both histories ("voided in Xero (ManualJournalID …)").
    pub what: String,
}

/// An Accept that stored an export, or found nothing to store ([`Wanted::Postable`] only).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stored {
    /// The new export's number; `None` when no journal was postable.
    pub number: Option<u64>,
    /// Journals it holds.
    pub journals: usize,
    /// Journals with problems left for a person.
    pub held_back: usize,
}

/// `POST /api/drafts`: a new draft for `caller`.
pub async fn create(
    state: &AppState,
    caller: &Caller,
    request: NewDraft,
) -> Result<DraftCreated, AppError> {
    let (token, expires_at) = open(state, &Owner::of(caller), request.from).await?;
    // Drafts left behind go now, a step at a time.
    tokio::spawn(sweep(state.clone()));
    Ok(DraftCreated {
        draft: token,
        piece_postings: u32::try_from(PIECE_POSTINGS).unwrap_or(u32::MAX),
        max_postings: MAX_POSTINGS_PER_EXPORT,
        expires_at,
    })
}

/// A new draft of `by`, synced from `from`: its token and when it expires.
pub async fn open(
    state: &AppState,
    by: &Owner,
    from: NaiveDate,
) -> Result<(String, DateTime<Utc>), AppError> {
    let token = random_text::<32>();
    let (by, at, draft) = (by.clone(), state.now(), token.clone());
    let expires_at = state
        .db()
        .write(move |c| drafts::create(c, &draft, from, by.actor(), at))
        .await?;
    Ok((token, expires_at))
}

/// The open draft `token` of `sub`.
async fn find(state: &AppState, sub: &str, token: &str) -> Result<Draft, AppError> {
    let (key, sub, now) = (token.to_owned(), sub.to_owned(), state.now());
    state
        .db()
        .read(move |c| drafts::find(c, &key, &sub, now))
        .await?
        .ok_or_else(|| unknown(token))
}

/// `POST /api/drafts/{draft}/postings`: one piece, stored at once.
pub async fn add(
    state: &AppState,
    caller: &Caller,
    token: &str,
    piece: DraftPiece,
) -> Result<DraftReceived, AppError> {
    let received = add_postings(state, &caller.sub, token, piece.postings).await?;
    Ok(DraftReceived { received })
}

/// Stores `postings` in the open draft `token` of `sub`: the distinct postings it holds now.
pub async fn add_postings(
    state: &AppState,
    sub: &str,
    token: &str,
    postings: Vec<srm_xero_shared::Posting>,
) -> Result<u64, AppError> {
    if postings.len() > PIECE_POSTINGS {
        return Err(AppError::Invalid(format!(
            "a piece holds at most {PIECE_POSTINGS} postings; this one has {}: send them in smaller pieces",
            postings.len()
        )));
    }
    let draft = find(state, sub, token).await?;
    Ok(state
        .db()
        .write(move |c| drafts::add(c, draft.id, &postings, MAX_POSTINGS_PER_EXPORT))
        .await?)
}

/// `DELETE /api/drafts/{draft}`.
pub async fn discard(state: &AppState, caller: &Caller, token: &str) -> Result<(), AppError> {
    discard_of(state, &caller.sub, token).await
}

/// Deletes the open draft `token` of `sub` (its rows go with the sweep).
pub async fn discard_of(state: &AppState, sub: &str, token: &str) -> Result<(), AppError> {
    let draft = find(state, sub, token).await?;
    let now = state.now();
    if !state
        .db()
        .write(move |c| drafts::discard(c, draft.id, now))
        .await?
    {
        return Err(AppError::Conflict(
            "this draft is being accepted: it cannot be deleted now".into(),
        ));
    }
    tokio::spawn(sweep(state.clone()));
    Ok(())
}

/// Deletes what expired drafts left, one short write at a time.
pub async fn sweep(state: AppState) {
    loop {
        let now = state.now();
        match state.db().write(move |c| drafts::sweep(c, now)).await {
            Ok(0) => return,
            Ok(_) => {}
            Err(e) => {
                tracing::error!(error = %e, "cannot drop expired drafts");
                return;
            }
        }
    }
}

/// `POST /api/drafts/{draft}/accept`: plans the draft, stores export #N, wakes the worker.
pub async fn accept(
    state: &AppState,
    caller: &Caller,
    token: &str,
    request: DraftAccept,
) -> Result<u64, AppError> {
    let wanted = Wanted::new(request.journals)?;
    accept_as(state, Owner::of(caller), token, wanted, None)
        .await?
        .number
        .ok_or_else(|| AppError::internal("an Accept of named journals stored nothing"))
}

/// Accept of draft `token` by `by`: the `wanted` journals, replacing `replacing` when a re-post.
/// It runs to its end even if the caller goes away meanwhile (a closed tab, a timeout): the
/// export is then stored whole or not at all, and the draft is never left half-accepted.
pub async fn accept_as(
    state: &AppState,
    by: Owner,
    token: &str,
    wanted: Wanted,
    replacing: Option<Replacing>,
) -> Result<Stored, AppError> {
    let wanted = Arc::new(wanted);
    let (state, token) = (state.clone(), token.to_owned());
    tokio::spawn(async move { accept_in_turn(&state, &by, &token, wanted, replacing).await })
        .await
        .map_err(|e| AppError::internal(format!("Accept stopped: {e}")))?
}

async fn accept_in_turn(
    state: &AppState,
    by: &Owner,
    token: &str,
    wanted: Arc<Wanted>,
    replacing: Option<Replacing>,
) -> Result<Stored, AppError> {
    let _turn = state.accept_turn().lock().await;
    let draft = find(state, &by.sub, token).await?;
    if draft.received == 0 {
        return Err(AppError::Invalid(
            "the draft holds no postings: send them before Accept".into(),
        ));
    }
    let id = draft.id;
    if !state
        .db()
        .write(move |c| drafts::begin_accepting(c, id))
        .await?
    {
        return Err(AppError::Conflict(
            "this draft is already being accepted".into(),
        ));
    }
    let stored = plan_and_store(state, by, &draft, wanted, replacing).await;
    if !matches!(
        stored,
        Ok(Stored {
            number: Some(_),
            ..
        })
    ) && let Err(e) = state
        .db()
        .write(move |c| drafts::end_accepting(c, id))
        .await
    {
        tracing::error!(error = %e, "cannot reopen a draft after a refused Accept");
    }
    stored
}

/// Plans draft `draft` a run of dates at a time, staging its postable wanted journals.
async fn plan_steps(
    state: &AppState,
    draft: &Draft,
    planning: Arc<Planning>,
    wanted: &Arc<Wanted>,
) -> Result<Verdict, AppError> {
    let (id, from) = (draft.id, draft.from);
    let steps = state
        .db()
        .read(move |c| drafts::steps(c, id, from, STEP_POSTINGS))
        .await?;
    let mut verdict = Verdict::default();
    let mut staged = Vec::new();
    // Staged by postings too: one journal of a big close can hold thousands of them.
    let mut held = 0;
    for (first, last) in steps {
        let (planning, wanted) = (Arc::clone(&planning), Arc::clone(wanted));
        let before = verdict.postable();
        let picked = state
            .db()
            .read(move |c| {
                let postings = drafts::postings_between(c, id, first, last)?;
                replan::pick(c, &planning, &postings, &wanted, before)
            })
            .await?;
        let added = verdict.add(picked);
        held += added.iter().map(|(_, j)| j.postings.len()).sum::<usize>();
        staged.extend(added);
        if staged.len() >= STAGE_JOURNALS || held as u64 >= STEP_POSTINGS {
            held = 0;
            let batch = std::mem::take(&mut staged);
            state
                .db()
                .write(move |c| drafts::stage(c, id, &batch))
                .await?;
        }
    }
    if !staged.is_empty() {
        state
            .db()
            .write(move |c| drafts::stage(c, id, &staged))
            .await?;
    }
    Ok(verdict)
}

async fn plan_and_store(
    state: &AppState,
    by: &Owner,
    draft: &Draft,
    wanted: Arc<Wanted>,
    replacing: Option<Replacing>,
) -> Result<Stored, AppError> {
    let started = std::time::Instant::now();
    let settings = crate::mapping::current(state).await?.settings;
    if let Some(problem) = settings.check().first() {
        return Err(AppError::Invalid(format!(
            "the mapping cannot be used until an admin fixes it: {problem}"
        )));
    }
    let reference = super::reference_for_export(state).await?;
    let organisation = super::connected(state).await?;
    let number = state.db().read(next_number).await?;
    let planning = Arc::new(Planning {
        settings,
        reference,
        from: draft.from,
        number,
        tenant: organisation.tenant_id.clone(),
        freed: replacing
            .as_ref()
            .map(|r| r.postings.clone())
            .unwrap_or_default(),
    });
    let (id, from) = (draft.id, draft.from);
    let verdict = plan_steps(state, draft, planning, &wanted).await?;
    let held_back = verdict.held_back();
    let journals = verdict.judge(&wanted)?;
    if journals == 0 {
        return Ok(Stored {
            number: None,
            journals,
            held_back,
        });
    }
    let (owner, at) = (by.clone(), state.now());
    let bound = organisation.clone();
    let replaced = replacing.as_ref().map(|r| r.export);
    state
        .db()
        .change(move |c, seq| {
            let replaces = replacing.as_ref().map(|r| Replaces {
                export: r.export,
                key: r.key.as_str(),
                why: format!("{}; its postings are re-posted in export #{number}", r.what),
                note: format!(
                    "re-post of journal {} of export #{}, {}",
                    r.key, r.export, r.what
                ),
            });
            let accepted = Accepted {
                draft: id,
                number,
                from,
                by: owner.actor(),
                at,
                organisation: &bound,
                replaces,
            };
            drafts::commit(c, &accepted, seq)
        })
        .await?;
    if let Some(export) = replaced {
        state
            .hub()
            .tally()
            .moved(export, JournalState::Posted, JournalState::Voided, 1);
    }
    tracing::info!(
        number,
        postings = draft.received,
        journals,
        held_back,
        by = %by.name,
        organisation = %organisation.name,
        ms = started.elapsed().as_millis(),
        "export accepted"
    );
    state.hub().wake();
    Ok(Stored {
        number: Some(number),
        journals,
        held_back,
    })
}
