//! The simulator's own control endpoints under `/_sim` (used by the binary's users, the demo and
//! browser tests): faults, releasing held calls, the clock, and inspection.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::faults::Fault;
use super::inspect;
use super::model::StoredJournal;
use super::state::Shared;

/// `POST /_sim/faults` with a [`Fault`] as JSON, e.g. `{"kind":"status","status":503,"count":2}`.
pub async fn add_fault(State(sim): State<Arc<Shared>>, Json(fault): Json<Fault>) -> StatusCode {
    sim.lock().faults.push(fault);
    StatusCode::NO_CONTENT
}

/// `GET /_sim/faults`: the faults not yet used up.
pub async fn list_faults(State(sim): State<Arc<Shared>>) -> Response {
    Json(sim.lock().faults.pending()).into_response()
}

/// `DELETE /_sim/faults`
pub async fn clear_faults(State(sim): State<Arc<Shared>>) -> StatusCode {
    sim.lock().faults.clear();
    StatusCode::NO_CONTENT
}

/// `POST /_sim/release`: lets every held call go on.
pub async fn release(State(sim): State<Arc<Shared>>) -> StatusCode {
    let _state = sim.lock();
    sim.release.send_modify(|g| *g += 1);
    StatusCode::NO_CONTENT
}

/// Body of `POST /_sim/clock`.
#[derive(Debug, Deserialize)]
pub struct ClockMove {
    pub advance_secs: Option<i64>,
    pub set: Option<chrono::DateTime<chrono::Utc>>,
}

/// `POST /_sim/clock` — `{"advance_secs":360}` or `{"set":"2019-08-20T09:00:00Z"}`.
pub async fn clock(State(sim): State<Arc<Shared>>, Json(m): Json<ClockMove>) -> Response {
    if let Some(at) = m.set {
        sim.clock.set(at);
    }
    if let Some(secs) = m.advance_secs {
        sim.clock.shift(chrono::Duration::seconds(secs));
    }
    Json(json!({ "now": sim.clock.now() })).into_response()
}

/// A stored journal as admin JSON (amounts as exact decimal strings).
pub fn journal_json(j: &StoredJournal) -> Value {
    json!({
        "tenant_id": j.tenant_id,
        "manual_journal_id": j.manual_journal_id,
        "narration": j.narration,
        "date": j.date,
        "status": j.status,
        "idempotency_key": j.idempotency_key,
        "lines": j.lines.iter().map(|l| json!({
            "account_code": l.account_code,
            "line_amount": l.line_amount.to_string(),
            "description": l.description,
            "tax_type": l.tax_type,
            "tracking": l.tracking.iter().map(|t| json!({"name": t.name, "option": t.option})).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
    })
}

/// `GET /_sim/journals`
pub async fn journals(State(sim): State<Arc<Shared>>) -> Response {
    let list: Vec<Value> = sim.lock().journals.iter().map(journal_json).collect();
    Json(list).into_response()
}

/// `GET /_sim/calls`
pub async fn calls(State(sim): State<Arc<Shared>>) -> Response {
    let list: Vec<Value> = sim
        .lock()
        .calls
        .iter()
        .map(|c| {
            json!({"at": c.at, "method": c.method, "path": c.path, "headers": c.headers, "body": c.body,
                   "status": c.status, "rate_limit_problem": c.rate_limit_problem})
        })
        .collect();
    Json(list).into_response()
}

/// `GET /_sim/counts`
pub async fn counts(State(sim): State<Arc<Shared>>) -> Response {
    let counts = inspect::counts(&sim.lock());
    let map: serde_json::Map<String, Value> = counts
        .into_iter()
        .map(|(t, c)| (t, json!({"calls": c.calls, "journals": c.journals})))
        .collect();
    Json(map).into_response()
}
