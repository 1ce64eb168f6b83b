//! `/api/mapping`: the tenant's mapping settings.

use axum::Json;
use axum::extract::State;
use srm_xero_shared::api::{ApiError, MappingChange, MappingDocument, MappingHistoryEntry};

use crate::AppState;
use crate::auth::{Admin, Caller};
use crate::error::{ApiJson, AppError};

/// The current settings.
#[utoipa::path(get, path = "/api/mapping", tag = "mapping",
    security(("caller_token" = [])),
    responses(
        (status = 200, description = "MappingDocument: settings, version, updated_by, updated_at", body = MappingDocument),
        (status = 401, description = "ApiError", body = ApiError),
        (status = 403, description = "ApiError: the token lacks xero:post", body = ApiError)))]
pub async fn read(
    State(state): State<AppState>,
    _caller: Caller,
) -> Result<Json<MappingDocument>, AppError> {
    Ok(Json(crate::mapping::current(&state).await?))
}

/// Changes the settings (admin), checked against the live reference data.
#[utoipa::path(put, path = "/api/mapping", tag = "mapping",
    security(("caller_token" = [])),
    request_body(content = MappingChange, description = "MappingChange: settings and the version they were edited from"),
    responses(
        (status = 200, description = "MappingDocument as saved", body = MappingDocument),
        (status = 400, description = "ApiError: malformed JSON", body = ApiError),
        (status = 403, description = "ApiError: only xero:admin may change the mapping", body = ApiError),
        (status = 409, description = "ApiError: stale version, or not connected", body = ApiError),
        (status = 413, description = "ApiError: body too large", body = ApiError),
        (status = 422, description = "ApiError: names each unknown account, tax type or tracking option", body = ApiError)))]
pub async fn change(
    State(state): State<AppState>,
    Admin(caller): Admin,
    ApiJson(change): ApiJson<MappingChange>,
) -> Result<Json<MappingDocument>, AppError> {
    Ok(Json(
        crate::mapping::change(&state, &caller, change.settings, change.version).await?,
    ))
}

/// Every saved version with who saved it and when, newest first.
#[utoipa::path(get, path = "/api/mapping/history", tag = "mapping",
    security(("caller_token" = [])),
    responses((status = 200, description = "MappingHistoryEntry list", body = Vec<MappingHistoryEntry>)))]
pub async fn history(
    State(state): State<AppState>,
    _caller: Caller,
) -> Result<Json<Vec<MappingHistoryEntry>>, AppError> {
    Ok(Json(crate::mapping::history(&state).await?))
}
