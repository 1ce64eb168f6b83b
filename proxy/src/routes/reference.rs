//! `/api/reference`: Xero's reference data for the component's preview and mapping screen.

use axum::Json;
use axum::extract::State;
use srm_xero_shared::api::{ApiError, ReferenceSnapshot};

use crate::AppState;
use crate::auth::Caller;
use crate::error::AppError;

/// The cached reference data (read from Xero the first time).
#[utoipa::path(get, path = "/api/reference", tag = "reference",
    security(("caller_token" = [])),
    responses(
        (status = 200, description = "ReferenceSnapshot: accounts, tax rates, tracking categories, organisation (lock dates), fetched_at", body = ReferenceSnapshot),
        (status = 409, description = "ApiError: not connected, or reconnect needed", body = ApiError),
        (status = 502, description = "ApiError: Xero did not answer", body = ApiError)))]
pub async fn read(
    State(state): State<AppState>,
    _caller: Caller,
) -> Result<Json<ReferenceSnapshot>, AppError> {
    Ok(Json(crate::reference::snapshot(&state, false).await?))
}

/// Re-reads the reference data from Xero (`If-Modified-Since`: unchanged data costs little).
/// Each of its four Xero calls waits for a slot of the proxy's pacer, and each caller may ask
/// only a few times a minute (`SRM_XERO_REFRESH_LIMIT`).
#[utoipa::path(post, path = "/api/reference/refresh", tag = "reference",
    security(("caller_token" = [])),
    responses(
        (status = 200, description = "ReferenceSnapshot", body = ReferenceSnapshot),
        (status = 429, description = "ApiError: too many refreshes (or requests) from this caller (Retry-After)", body = ApiError,
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
        (status = 409, description = "ApiError: not connected, or reconnect needed", body = ApiError),
        (status = 502, description = "ApiError: Xero did not answer", body = ApiError)))]
pub async fn refresh(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<ReferenceSnapshot>, AppError> {
    state.guards().refresh.check(&caller.sub)?;
    Ok(Json(crate::reference::snapshot(&state, true).await?))
}
