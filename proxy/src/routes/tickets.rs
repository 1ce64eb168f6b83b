//! `POST /api/stream-tickets`: a single-use ticket that opens one progress event stream
//! (`EventSource` cannot send the caller token in a header; see [`crate::tickets`]).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use srm_xero_shared::api::{ApiError, StreamTicket};

use crate::AppState;
use crate::auth::Caller;

/// Trades the caller token (in the header) for a ticket: random, in memory only, good once
/// within 30 s. The stream it opens ends when this caller token expires.
#[utoipa::path(post, path = "/api/stream-tickets", tag = "exports",
    security(("caller_token" = [])),
    responses(
        (status = 201, description = "StreamTicket: ticket, expires_at (30 s); open GET /api/exports/{n}/events?ticket=… with it, once", body = StreamTicket),
        (status = 403, description = "ApiError: the token lacks xero:post", body = ApiError)))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
) -> (StatusCode, Json<StreamTicket>) {
    let (ticket, expires_at) = state.tickets().issue(&caller, state.now());
    (
        StatusCode::CREATED,
        Json(StreamTicket { ticket, expires_at }),
    )
}
