//! Accept of a close of any size. The component opens a draft, sends the postings in pieces
//! that each fit the body limit (stored as they arrive), then names the journals it accepts.
//! The proxy plans the draft again one run of posting dates at a time ([`STEP_POSTINGS`]
//! postings a run, read from SQLite; a journal never spans two dates), stages the accepted
//! journals as it goes, and stores the export in one short final transaction: its memory does
//! not grow with the close, and every step is a short read or write, so progress answers and the
//! worker's claims never wait for a whole Accept. One Accept plans at a time: the number it plans
//! with (the narrations carry it) is the number it stores.

use std::sync::Arc;

use srm_xero_shared::api::{
    DraftAccept, DraftCreated, DraftPiece, DraftReceived, MAX_POSTINGS_PER_EXPORT, NewDraft,
    PIECE_POSTINGS,
};

use super::replan::{self, Planning, Verdict, Wanted};
use crate::AppState;
use crate::auth::Caller;
use crate::config::random_text;
use crate::error::AppError;
use crate::ledger::drafts::{self, Accepted, Draft};
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

/// `POST /api/drafts`: a new draft for `caller`.
pub async fn create(
    state: &AppState,
    caller: &Caller,
    request: NewDraft,
) -> Result<DraftCreated, AppError> {
    let token = random_text::<32>();
    let (name, sub, at) = (caller.name.clone(), caller.sub.clone(), state.now());
    let draft = token.clone();
    let expires_at = state
        .db()
        .write(move |c| {
            drafts::create(
                c,
                &draft,
                request.from,
                Actor {
                    name: &name,
                    sub: &sub,
                },
                at,
            )
        })
        .await?;
    // Drafts left behind go now, a step at a time.
    tokio::spawn(sweep(state.clone()));
    Ok(DraftCreated {
        draft: token,
        piece_postings: u32::try_from(PIECE_POSTINGS).unwrap_or(u32::MAX),
        max_postings: MAX_POSTINGS_PER_EXPORT,
        expires_at,
    })
}

/// The caller's open draft `token`.
async fn find(state: &AppState, caller: &Caller, token: &str) -> Result<Draft, AppError> {
    let (key, sub, now) = (token.to_owned(), caller.sub.clone(), state.now());
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
    if piece.postings.len() > PIECE_POSTINGS {
        return Err(AppError::Invalid(format!(
            "a piece holds at most {PIECE_POSTINGS} postings; this one has {}: send them in smaller pieces",
            piece.postings.len()
        )));
    }
    let draft = find(state, caller, token).await?;
    let received = state
        .db()
        .write(move |c| drafts::add(c, draft.id, &piece.postings, MAX_POSTINGS_PER_EXPORT))
        .await?;
    Ok(DraftReceived { received })
}

/// `DELETE /api/drafts/{draft}`.
pub async fn discard(state: &AppState, caller: &Caller, token: &str) -> Result<(), AppError> {
    let draft = find(state, caller, token).await?;
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
/// It runs to its end even if the caller goes away meanwhile (a closed tab, a timeout): the
/// export is then stored whole or not at all, and the draft is never left half-accepted.
pub async fn accept(
    state: &AppState,
    caller: &Caller,
    token: &str,
    request: DraftAccept,
) -> Result<u64, AppError> {
    let wanted = Arc::new(Wanted::new(request.journals)?);
    let (state, caller, token) = (state.clone(), caller.clone(), token.to_owned());
    tokio::spawn(async move { accept_in_turn(&state, &caller, &token, wanted).await })
        .await
        .map_err(|e| AppError::internal(format!("Accept stopped: {e}")))?
}

async fn accept_in_turn(
    state: &AppState,
    caller: &Caller,
    token: &str,
    wanted: Arc<Wanted>,
) -> Result<u64, AppError> {
    let _turn = state.accept_turn().lock().await;
    let draft = find(state, caller, token).await?;
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
    let stored = plan_and_store(state, caller, &draft, wanted).await;
    if stored.is_err()
        && let Err(e) = state
            .db()
            .write(move |c| drafts::end_accepting(c, id))
            .await
    {
        tracing::error!(error = %e, "cannot reopen a draft after a refused Accept");
    }
    stored
}

async fn plan_and_store(
    state: &AppState,
    caller: &Caller,
    draft: &Draft,
    wanted: Arc<Wanted>,
) -> Result<u64, AppError> {
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
    });
    let (id, from) = (draft.id, draft.from);
    let steps = state
        .db()
        .read(move |c| drafts::steps(c, id, from, STEP_POSTINGS))
        .await?;
    let mut verdict = Verdict::default();
    let mut staged = Vec::new();
    for (first, last) in steps {
        let (planning, wanted) = (Arc::clone(&planning), Arc::clone(&wanted));
        let picked = state
            .db()
            .read(move |c| {
                let postings = drafts::postings_between(c, id, first, last)?;
                replan::pick(c, &planning, &postings, &wanted)
            })
            .await?;
        staged.extend(verdict.add(picked));
        // Staged by postings too: one journal of a big close can hold thousands of them.
        let held: usize = staged.iter().map(|(_, j)| j.postings.len()).sum();
        if staged.len() >= STAGE_JOURNALS || held as u64 >= STEP_POSTINGS {
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
    let journals = verdict.judge(&wanted)?;
    let (name, sub, at) = (caller.name.clone(), caller.sub.clone(), state.now());
    let bound = organisation.clone();
    state
        .db()
        .change(move |c, seq| {
            let accepted = Accepted {
                draft: id,
                number,
                from,
                by: Actor {
                    name: &name,
                    sub: &sub,
                },
                at,
                organisation: &bound,
            };
            drafts::commit(c, &accepted, seq)
        })
        .await?;
    tracing::info!(
        number,
        postings = draft.received,
        journals,
        by = %caller.name,
        organisation = %organisation.name,
        ms = started.elapsed().as_millis(),
        "export accepted"
    );
    state.hub().wake();
    Ok(number)
}
