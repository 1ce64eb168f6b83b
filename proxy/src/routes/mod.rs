//! The HTTP surface, one file per resource. Every `/api` route takes a [`crate::auth::Caller`]
//! (or [`crate::auth::Admin`]) but the event stream, which takes a single-use ticket
//! ([`crate::tickets`]); answers are `shared::api` types; errors are [`crate::error::AppError`],
//! a route asked with another method included.

pub mod callback;
pub mod connection;
pub mod drafts;
pub mod exports;
pub mod health;
pub mod mapping;
pub mod openapi;
pub mod reconciliation;
pub mod reference;
pub mod schedule;
pub mod tickets;

use axum::Router;
use axum::routing::{get, post};

use crate::AppState;
use crate::error::AppError;

/// The `/api` routes (state still to be given).
pub fn api() -> Router<AppState> {
    Router::new()
        .route(
            "/api/connection",
            get(connection::status).delete(connection::disconnect),
        )
        .route("/api/connection/start", post(connection::start))
        .route("/api/connection/organisation", post(connection::choose))
        .route("/api/reference", get(reference::read))
        .route("/api/reference/refresh", post(reference::refresh))
        .route("/api/mapping", get(mapping::read).put(mapping::change))
        .route("/api/mapping/history", get(mapping::history))
        .route("/api/exported", post(exports::exported))
        .route("/api/drafts", post(drafts::create))
        .route(
            "/api/drafts/{draft}",
            axum::routing::delete(drafts::discard),
        )
        .route("/api/drafts/{draft}/postings", post(drafts::add))
        .route("/api/drafts/{draft}/accept", post(drafts::accept))
        .route("/api/exports", get(exports::list))
        .route("/api/exports/{n}", get(exports::detail))
        .route("/api/exports/{n}/progress", get(exports::progress))
        .route("/api/stream-tickets", post(tickets::create))
        .route("/api/exports/{n}/events", get(exports::events))
        .route("/api/exports/{n}/retry", post(exports::retry))
        .route("/api/exports/{n}/journals/{key}", get(exports::journal))
        .route("/api/exports/{n}/journals/{key}/void", post(exports::void))
        .route(
            "/api/exports/{n}/journals/{key}/resolve",
            post(exports::resolve),
        )
        .route(
            "/api/exports/{n}/journals/{key}/repost",
            post(exports::repost),
        )
        .route("/api/reconciliation", get(reconciliation::reconciliation))
        .route("/api/schedule", get(schedule::status))
        .route("/api/schedule/run", post(schedule::run))
        .route("/api/openapi.json", get(openapi::document))
        .route("/api/{*rest}", axum::routing::any(api_not_found))
        .method_not_allowed_fallback(api_method_not_allowed)
}

async fn api_not_found() -> AppError {
    AppError::NotFound("no such API route".into())
}

/// A route that exists, asked with another method (axum adds the `Allow` header).
async fn api_method_not_allowed(method: axum::http::Method) -> AppError {
    AppError::MethodNotAllowed(format!("{method} is not answered here; see Allow"))
}
