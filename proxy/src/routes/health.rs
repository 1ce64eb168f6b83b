//! `GET /health`: whether the process is up, and which build it is.

use axum::Json;
use serde::Serialize;

/// The body of a health answer.
#[derive(Debug, Serialize)]
pub struct Health {
    /// Always `ok` while the process answers at all.
    pub status: &'static str,
    /// The proxy's crate version.
    pub version: &'static str,
}

/// Answers 200 with [`Health`].
#[utoipa::path(get, path = "/health", tag = "meta",
    responses((status = 200, description = "{status: ok, version}", body = serde_json::Value)))]
pub async fn health() -> Json<Health> {
    Json(Health {
        status: "ok",
        version: env!("CARGO_PKG_VERSION"),
    })
}
