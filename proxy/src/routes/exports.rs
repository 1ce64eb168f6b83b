//! `/api/exports` and `/api/exported`: SRM's Export Transaction # — find, read, follow (plain
//! GET or server-sent events, each saying what changed since a number), retry, void, resolve a
//! journal that needs attention, and re-post one voided or deleted in Xero. Exports are made by
//! Accept of a draft (`routes/drafts.rs`).

use std::convert::Infallible;
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::Stream;
use srm_xero_shared::JournalKey;
use srm_xero_shared::api::{
    ApiError, EXPORTED_LOOKUP_IDS, ExportCreated, ExportDetail, ExportSearch, ExportSummary,
    ExportedLookup, ExportedPostings, JournalDetail, Progress, ResolveRequest, RetryRequest,
    VoidRequest,
};

use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiJson, ApiPath, ApiQuery, AppError};
use crate::ledger::read;
use crate::tickets::TicketError;

fn key_of(text: &str) -> Result<JournalKey, AppError> {
    JournalKey::parse(text)
        .ok_or_else(|| AppError::NotFound(format!("{text} is not a journal key")))
}

/// Which of these postings are already exported to the organisation connected now (in a posted,
/// in-flight or needs-attention journal of it); a big feed asks in pieces.
#[utoipa::path(post, path = "/api/exported", tag = "exports",
    security(("caller_token" = [])),
    request_body(content = ExportedLookup, description = "ExportedLookup: posting_ids (at most 20,000)"),
    responses(
        (status = 200, description = "ExportedPostings: posting id → export, last_exported_date", body = ExportedPostings),
        (status = 400, description = "ApiError: malformed JSON", body = ApiError),
        (status = 401, description = "ApiError", body = ApiError),
        (status = 422, description = "ApiError: more ids than one request may ask about", body = ApiError)))]
pub async fn exported(
    State(state): State<AppState>,
    _caller: Caller,
    ApiJson(lookup): ApiJson<ExportedLookup>,
) -> Result<Json<ExportedPostings>, AppError> {
    if lookup.posting_ids.len() > EXPORTED_LOOKUP_IDS {
        return Err(AppError::Invalid(format!(
            "ask about at most {EXPORTED_LOOKUP_IDS} postings a request (this one names {}): send the ids in pieces",
            lookup.posting_ids.len()
        )));
    }
    let organisation = state.connections().organisation().await?;
    let tenant = organisation.map(|o| o.tenant_id);
    let answer = state
        .db()
        .read(move |c| read::exported(c, tenant.as_deref(), &lookup.posting_ids))
        .await?;
    Ok(Json(answer))
}

/// Exports by number, by day or by a range of days (newest first; the latest 50 without any).
#[utoipa::path(get, path = "/api/exports", tag = "exports",
    security(("caller_token" = [])), params(ExportSearch),
    responses(
        (status = 200, description = "ExportSummary list", body = Vec<ExportSummary>),
        (status = 400, description = "ApiError: a day that is not YYYY-MM-DD, a number beyond 2^63 − 1, or from after to", body = ApiError)))]
pub async fn list(
    State(state): State<AppState>,
    _caller: Caller,
    ApiQuery(search): ApiQuery<ExportSearch>,
) -> Result<Json<Vec<ExportSummary>>, AppError> {
    if let Some(number) = search.number.filter(|n| i64::try_from(*n).is_err()) {
        return Err(AppError::BadRequest(format!(
            "number {number} is larger than any Export Transaction # can be ({})",
            i64::MAX
        )));
    }
    if let Some((Some(from), Some(to))) = search.days()
        && from > to
    {
        return Err(AppError::BadRequest(format!(
            "from ({from}) is after to ({to}): swap them"
        )));
    }
    Ok(Json(
        state.db().read(move |c| read::list(c, &search)).await?,
    ))
}

/// One export with its journals and their states, as of a change number (follow its progress
/// `?since=` that number).
#[utoipa::path(get, path = "/api/exports/{n}", tag = "exports",
    security(("caller_token" = [])), params(("n" = u64, Path, description = "Export Transaction #")),
    responses(
        (status = 200, description = "ExportDetail: summary, journals, waiting, sequence", body = ExportDetail),
        (status = 404, description = "ApiError", body = ApiError)))]
pub async fn detail(
    State(state): State<AppState>,
    _caller: Caller,
    ApiPath(n): ApiPath<u64>,
) -> Result<Json<ExportDetail>, AppError> {
    Ok(Json(crate::exports::detail(&state, n).await?))
}

/// One journal: lines, source postings, history.
#[utoipa::path(get, path = "/api/exports/{n}/journals/{key}", tag = "exports",
    security(("caller_token" = [])),
    params(("n" = u64, Path, description = "Export Transaction #"), ("key" = String, Path, description = "Journal key")),
    responses(
        (status = 200, description = "JournalDetail", body = JournalDetail),
        (status = 404, description = "ApiError", body = ApiError)))]
pub async fn journal(
    State(state): State<AppState>,
    _caller: Caller,
    ApiPath((n, key)): ApiPath<(u64, String)>,
) -> Result<Json<JournalDetail>, AppError> {
    let key = key_of(&key)?;
    journal_now(&state, n, key).await.map(Json)
}

/// Journal `key` of export `n` as the ledger has it now.
async fn journal_now(state: &AppState, n: u64, key: JournalKey) -> Result<JournalDetail, AppError> {
    let asked = key.clone();
    state
        .db()
        .read(move |c| read::journal(c, n, &asked))
        .await?
        .ok_or_else(|| AppError::NotFound(format!("export #{n} has no journal {key}")))
}

/// `/progress` parameters.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProgressQuery {
    /// A change number (an export's or a progress's `sequence`): the answer lists every journal
    /// that changed after it (`complete`); without it, or with one the proxy has not reached,
    /// `changes` is empty and `complete` false (read the export again).
    since: Option<u64>,
}

/// Progress, for polling.
#[utoipa::path(get, path = "/api/exports/{n}/progress", tag = "exports",
    security(("caller_token" = [])),
    params(("n" = u64, Path, description = "Export Transaction #"), ProgressQuery),
    responses(
        (status = 200, description = "Progress: counts, waiting, eta_seconds, sequence, changes since `since`, complete", body = Progress),
        (status = 400, description = "ApiError: the path or query does not read", body = ApiError),
        (status = 404, description = "ApiError", body = ApiError)))]
pub async fn progress(
    State(state): State<AppState>,
    _caller: Caller,
    ApiPath(n): ApiPath<u64>,
    ApiQuery(query): ApiQuery<ProgressQuery>,
) -> Result<Json<Progress>, AppError> {
    Ok(Json(
        crate::exports::progress(&state, n, query.since).await?,
    ))
}

/// `/events` parameters.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EventsQuery {
    /// A ticket from `POST /api/stream-tickets`: single use, good for 30 s.
    ticket: Option<String>,
    /// A change number: the first event lists every journal that changed after it (as
    /// `/progress?since=` does); each later event, those changed after the event before.
    since: Option<u64>,
}

/// How often an open stream looks at the clock for its caller token's expiry.
const EXPIRY_TICK: Duration = Duration::from_secs(1);

/// Progress as server-sent events: one now, then one per change, each with the journals that
/// changed since the one before. Opened with a stream ticket (`EventSource` cannot send the
/// caller token); the stream ends when the caller token that got the ticket expires.
#[utoipa::path(get, path = "/api/exports/{n}/events", tag = "exports",
    params(("n" = u64, Path, description = "Export Transaction #"), EventsQuery),
    responses(
        (status = 200, description = "text/event-stream of Progress (JSON data, events named progress: the first with the changes since `since`, each later one with those since the event before); ends when the caller token that got the ticket expires", content_type = "text/event-stream"),
        (status = 400, description = "ApiError: the path or query does not read", body = ApiError),
        (status = 401, description = "ApiError: no ticket, or one that is unknown, used or expired", body = ApiError),
        (status = 404, description = "ApiError: no such export", body = ApiError),
        (status = 429, description = "ApiError: the most progress streams this proxy keeps are open (Retry-After)", body = ApiError,
            headers(("Retry-After" = u64, description = "Seconds to wait")))))]
pub async fn events(
    State(state): State<AppState>,
    ApiPath(n): ApiPath<u64>,
    ApiQuery(query): ApiQuery<EventsQuery>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, AppError> {
    let caller = state
        .tickets()
        .redeem(query.ticket.as_deref(), state.now())
        .map_err(|e: TicketError| AppError::Unauthorized(e.to_string()))?;
    // Watching starts before the first answer is read: a change written while it is read then
    // wakes the stream. Subscribed after it, that change would count as seen and the stream
    // would wait for the next one, which the last change of an export never has.
    let changes = state.hub().subscribe();
    let first = crate::exports::progress(&state, n, query.since).await?;
    let permit = state.guards().stream()?;
    let expires_at = caller.expires_at;
    let stream = futures_util::stream::unfold(
        (state, changes, Some(first), None::<Progress>, permit),
        move |(state, mut changes, mut next, mut last, permit)| async move {
            loop {
                let progress = if let Some(p) = next.take() {
                    p
                } else {
                    // The stream lives as long as the caller token that opened it.
                    loop {
                        if state.now() >= expires_at {
                            return None;
                        }
                        tokio::select! {
                            changed = changes.changed() => break changed.ok()?,
                            () = tokio::time::sleep(EXPIRY_TICK) => {}
                        }
                    }
                    if state.now() >= expires_at {
                        return None;
                    }
                    let since = last.as_ref().map(|l| l.sequence);
                    crate::exports::progress(&state, n, since).await.ok()?
                };
                let same = last.as_ref().is_some_and(|l| {
                    progress.changes.is_empty()
                        && l.counts == progress.counts
                        && l.waiting == progress.waiting
                        && l.status == progress.status
                });
                if !same {
                    let event = Event::default()
                        .event("progress")
                        .json_data(&progress)
                        .unwrap_or_default();
                    last = Some(progress);
                    return Some((Ok(event), (state, changes, None, last, permit)));
                }
            }
        },
    );
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}

/// Retry failed journals, planned again by the proxy with today's mapping from the postings it
/// stored with the export.
#[utoipa::path(post, path = "/api/exports/{n}/retry", tag = "exports",
    security(("caller_token" = [])), params(("n" = u64, Path, description = "Export Transaction #")),
    request_body(content = RetryRequest, description = "RetryRequest: journals (keys of failed journals)"),
    responses(
        (status = 200, description = "ExportDetail after the retry was recorded", body = ExportDetail),
        (status = 400, description = "ApiError: malformed JSON", body = ApiError),
        (status = 404, description = "ApiError: no such export or journal", body = ApiError),
        (status = 409, description = "ApiError: not failed, a posting already in another export, or not connected", body = ApiError),
        (status = 422, description = "ApiError with per-journal problems, or a journal that does not re-plan", body = ApiError),
        (status = 502, description = "ApiError: Xero could not be asked for the lock dates", body = ApiError)))]
pub async fn retry(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(n): ApiPath<u64>,
    ApiJson(request): ApiJson<RetryRequest>,
) -> Result<Json<ExportDetail>, AppError> {
    crate::exports::retry(&state, &caller, n, request).await?;
    Ok(Json(crate::exports::detail(&state, n).await?))
}

/// Void a pending, failed or needs-attention journal, with a reason.
#[utoipa::path(post, path = "/api/exports/{n}/journals/{key}/void", tag = "exports",
    security(("caller_token" = [])),
    params(("n" = u64, Path, description = "Export Transaction #"), ("key" = String, Path, description = "Journal key")),
    request_body(content = VoidRequest, description = "VoidRequest: reason (required)"),
    responses(
        (status = 200, description = "JournalDetail after voiding", body = JournalDetail),
        (status = 404, description = "ApiError", body = ApiError),
        (status = 409, description = "ApiError: posting now, already posted or voided", body = ApiError),
        (status = 422, description = "ApiError: no reason", body = ApiError)))]
pub async fn void(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((n, key)): ApiPath<(u64, String)>,
    ApiJson(request): ApiJson<VoidRequest>,
) -> Result<Json<JournalDetail>, AppError> {
    let key = key_of(&key)?;
    crate::exports::void(&state, &caller, n, &key, &request.reason).await?;
    journal_now(&state, n, key).await.map(Json)
}

/// Mark a journal that needs attention posted, with the ManualJournalID found in Xero: checked in
/// Xero first (the export's organisation, a narration carrying the journal's key, not voided).
#[utoipa::path(post, path = "/api/exports/{n}/journals/{key}/resolve", tag = "exports",
    security(("caller_token" = [])),
    params(("n" = u64, Path, description = "Export Transaction #"), ("key" = String, Path, description = "Journal key")),
    request_body(content = ResolveRequest, description = "ResolveRequest: manual_journal_id (found in Xero)"),
    responses(
        (status = 200, description = "JournalDetail after marking it posted", body = JournalDetail),
        (status = 400, description = "ApiError: malformed JSON", body = ApiError),
        (status = 404, description = "ApiError: no such export or journal", body = ApiError),
        (status = 409, description = "ApiError: the journal does not need attention, or its organisation is not connected", body = ApiError),
        (status = 422, description = "ApiError: not a ManualJournalID, not in Xero, voided there, or not this journal", body = ApiError),
        (status = 502, description = "ApiError: Xero could not be asked", body = ApiError)))]
pub async fn resolve(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((n, key)): ApiPath<(u64, String)>,
    ApiJson(request): ApiJson<ResolveRequest>,
) -> Result<Json<JournalDetail>, AppError> {
    let key = key_of(&key)?;
    crate::exports::resolve(&state, &caller, n, &key, &request.manual_journal_id).await?;
    journal_now(&state, n, key).await.map(Json)
}

/// Re-post a journal that was voided or deleted in Xero after it was posted: Xero is asked
/// first; its postings, planned again with today's mapping, become a new export, recorded in
/// both journals' histories (the old one is voided here).
#[utoipa::path(post, path = "/api/exports/{n}/journals/{key}/repost", tag = "exports",
    security(("caller_token" = [])),
    params(("n" = u64, Path, description = "Export Transaction #"), ("key" = String, Path, description = "Journal key")),
    responses(
        (status = 201, description = "ExportCreated: the new export's number", body = ExportCreated),
        (status = 404, description = "ApiError: no such export or journal", body = ApiError),
        (status = 409, description = "ApiError: not posted here, still standing in Xero (void an edited copy there first), its organisation not connected, or its postings held by another export", body = ApiError),
        (status = 422, description = "ApiError: with today's mapping its postings cannot be posted (per-journal problems)", body = ApiError),
        (status = 502, description = "ApiError: Xero could not be asked", body = ApiError)))]
pub async fn repost(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((n, key)): ApiPath<(u64, String)>,
) -> Result<(StatusCode, Json<ExportCreated>), AppError> {
    let key = key_of(&key)?;
    let number = crate::repost::repost(&state, &caller, n, &key).await?;
    Ok((StatusCode::CREATED, Json(ExportCreated { number })))
}
