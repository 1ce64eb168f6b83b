//! The per-tenant proxy between SRM's page and Xero.
//!
//! For now it answers `GET /health`; caller authentication, Xero OAuth, the export ledger and the
//! posting worker arrive in later issues, each as its own module. [`router`] is the whole HTTP
//! surface, testable without a socket; `main.rs` only reads [`config`] and serves it.

pub mod config;
mod health;

use axum::Router;
use axum::routing::get;

/// Every route the proxy answers.
pub fn router() -> Router {
    Router::new().route("/health", get(health::health))
}
