//! `/api/schedule`: the unattended close — when it runs, its latest runs, and a run at once.

use axum::Json;
use axum::extract::State;
use srm_xero_shared::api::{ApiError, ScheduleRun, ScheduleStatus};

use crate::AppState;
use crate::auth::{Admin, Caller};
use crate::error::AppError;

/// The schedule, the latest runs (when, export, accepted, left with problems, or why it could
/// not run) and the next one.
#[utoipa::path(get, path = "/api/schedule", tag = "schedule",
    security(("caller_token" = [])),
    responses(
        (status = 200, description = "ScheduleStatus: expression, timezone, feed, next_run, running, runs (newest first)", body = ScheduleStatus)))]
pub async fn status(
    State(state): State<AppState>,
    _caller: Caller,
) -> Result<Json<ScheduleStatus>, AppError> {
    Ok(Json(crate::schedule::status(&state).await?))
}

/// Runs the close now (admin): after a run in progress, if any; answers the run when it ended.
/// A run that found nothing, or could not run, is still a 200: its outcome and message say so.
#[utoipa::path(post, path = "/api/schedule/run", tag = "schedule",
    security(("caller_token" = [])),
    responses(
        (status = 200, description = "ScheduleRun: the run as recorded (outcome posted, nothing or failed, with its message)", body = ScheduleRun),
        (status = 403, description = "ApiError: only xero:admin may start a run", body = ApiError),
        (status = 409, description = "ApiError: the proxy has no SRM feed to read (SRM_XERO_FEED_URL)", body = ApiError)))]
pub async fn run(
    State(state): State<AppState>,
    Admin(caller): Admin,
) -> Result<Json<ScheduleRun>, AppError> {
    Ok(Json(crate::schedule::run_now(&state, &caller.name).await?))
}
