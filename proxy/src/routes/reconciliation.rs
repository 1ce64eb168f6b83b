//! `/api/reconciliation`: SRM against Xero for a range of days.

use axum::Json;
use axum::extract::State;
use srm_xero_shared::api::{ApiError, Reconciliation, ReconciliationQuery};

use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiQuery, AppError};

/// Per Xero account, tracking option and day, what this proxy posted against what the same
/// journals hold in Xero now, with every journal changed in Xero since (voided, deleted, edited)
/// and the differences; `differences` is empty when SRM and Xero agree. Xero is read in bulk,
/// paged, within the proxy's pacing of Xero's limits.
#[utoipa::path(get, path = "/api/reconciliation", tag = "reconciliation",
    security(("caller_token" = [])), params(ReconciliationQuery),
    responses(
        (status = 200, description = "Reconciliation: rows, changes, differences (empty when SRM and Xero agree)", body = Reconciliation),
        (status = 400, description = "ApiError: from or to missing or not YYYY-MM-DD", body = ApiError),
        (status = 409, description = "ApiError: not connected to Xero, or a reconnect is needed", body = ApiError),
        (status = 422, description = "ApiError: from after to, more than 366 days, or more than 10,000 journals in the range", body = ApiError),
        (status = 502, description = "ApiError: Xero could not be read now (its call limit is in use, or it did not answer)", body = ApiError)))]
pub async fn reconciliation(
    State(state): State<AppState>,
    _caller: Caller,
    ApiQuery(query): ApiQuery<ReconciliationQuery>,
) -> Result<Json<Reconciliation>, AppError> {
    Ok(Json(
        crate::reconcile::report(&state, query.from, query.to).await?,
    ))
}
