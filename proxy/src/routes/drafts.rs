//! `/api/drafts`: Accept in pieces — open a draft, send its postings in pieces that each fit the
//! body limit, then accept the journals (the export is made there), or delete the draft.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use srm_xero_shared::api::{
    ApiError, DraftAccept, DraftCreated, DraftPiece, DraftReceived, ExportCreated, NewDraft,
};

use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiJson, ApiPath, AppError};
use crate::exports::accept;

/// Begins an Accept: a draft that receives the postings in pieces.
#[utoipa::path(post, path = "/api/drafts", tag = "exports",
    security(("caller_token" = [])),
    request_body(content = NewDraft, description = "NewDraft: from (the Sync from date)"),
    responses(
        (status = 201, description = "DraftCreated: draft (its id), piece_postings, max_postings, expires_at", body = DraftCreated)))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(request): ApiJson<NewDraft>,
) -> Result<(StatusCode, Json<DraftCreated>), AppError> {
    let created = accept::create(&state, &caller, request).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// One piece of a draft's postings, stored at once. Sending a piece again is harmless.
#[utoipa::path(post, path = "/api/drafts/{draft}/postings", tag = "exports",
    security(("caller_token" = [])),
    params(("draft" = String, Path, description = "The draft's id (DraftCreated.draft)")),
    request_body(content = DraftPiece, description = "DraftPiece: postings (at most 5,000)"),
    responses(
        (status = 200, description = "DraftReceived: the distinct postings the draft holds now", body = DraftReceived),
        (status = 404, description = "ApiError: no such draft of this caller, or expired, or accepted", body = ApiError),
        (status = 409, description = "ApiError: a posting sent before with other content (named), or the draft is being accepted", body = ApiError),
        (status = 422, description = "ApiError: a posting that does not read (named), more postings than a piece or an export may hold", body = ApiError)))]
pub async fn add(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(draft): ApiPath<String>,
    ApiJson(piece): ApiJson<DraftPiece>,
) -> Result<Json<DraftReceived>, AppError> {
    Ok(Json(accept::add(&state, &caller, &draft, piece).await?))
}

/// Accept: plans the draft's postings again, stores export #N durably, answers at once.
#[utoipa::path(post, path = "/api/drafts/{draft}/accept", tag = "exports",
    security(("caller_token" = [])),
    params(("draft" = String, Path, description = "The draft's id (DraftCreated.draft)")),
    request_body(content = DraftAccept, description = "DraftAccept: journals (keys)"),
    responses(
        (status = 201, description = "ExportCreated: number", body = ExportCreated),
        (status = 404, description = "ApiError: no such draft of this caller, or expired, or accepted", body = ApiError),
        (status = 409, description = "ApiError: names the export that already holds a posting, the draft is being accepted, or not connected", body = ApiError),
        (status = 422, description = "ApiError with per-journal problems, a journal that does not re-plan, or a draft without postings", body = ApiError),
        (status = 502, description = "ApiError: Xero could not be asked for the lock dates", body = ApiError)))]
pub async fn accept(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(draft): ApiPath<String>,
    ApiJson(request): ApiJson<DraftAccept>,
) -> Result<(StatusCode, Json<ExportCreated>), AppError> {
    let number = accept::accept(&state, &caller, &draft, request).await?;
    Ok((StatusCode::CREATED, Json(ExportCreated { number })))
}

/// Deletes a draft not accepted (its postings are dropped shortly after).
#[utoipa::path(delete, path = "/api/drafts/{draft}", tag = "exports",
    security(("caller_token" = [])),
    params(("draft" = String, Path, description = "The draft's id (DraftCreated.draft)")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "ApiError: no such draft of this caller, or expired, or accepted", body = ApiError),
        (status = 409, description = "ApiError: the draft is being accepted", body = ApiError)))]
pub async fn discard(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(draft): ApiPath<String>,
) -> Result<StatusCode, AppError> {
    accept::discard(&state, &caller, &draft).await?;
    Ok(StatusCode::NO_CONTENT)
}
