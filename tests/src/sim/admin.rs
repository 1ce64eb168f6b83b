//! The simulator's own control endpoints under `/_sim` (used by the binary's users, the demo and
//! browser tests): faults, releasing held calls, the clock, inspection, and what a person does to
//! a journal in Xero (void, delete, edit).

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::faults::Fault;
use super::inspect;
use super::model::StoredJournal;
use super::person::{self, JournalEdit, LineEdit, Refusal};
use super::state::{Shared, SimState};

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

/// A person's change to journal `id` (in whichever organisation holds it): 204, or 422 with
/// Xero's words.
fn as_a_person(
    sim: &Shared,
    id: &str,
    change: impl FnOnce(&mut SimState, &str, chrono::DateTime<chrono::Utc>) -> Result<(), Refusal>,
) -> Response {
    let now = sim.clock.now();
    let done = {
        let mut state = sim.lock();
        let tenant = state
            .journals
            .iter()
            .find(|j| j.manual_journal_id.eq_ignore_ascii_case(id))
            .map(|j| j.tenant_id.clone());
        match tenant {
            Some(tenant) => change(&mut state, &tenant, now),
            None => Err(vec![format!("ManualJournal '{id}' could not be found.")]),
        }
    };
    sim.bump();
    match done {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(messages) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            Json(json!({ "messages": messages })),
        )
            .into_response(),
    }
}

/// `POST /_sim/journals/{id}/void`: a person voids a posted journal.
pub async fn void(State(sim): State<Arc<Shared>>, Path(id): Path<String>) -> Response {
    as_a_person(&sim, &id, |state, tenant, now| {
        person::void(state, tenant, &id, now)
    })
}

/// `POST /_sim/journals/{id}/delete`: a person deletes a draft.
pub async fn delete(State(sim): State<Arc<Shared>>, Path(id): Path<String>) -> Response {
    as_a_person(&sim, &id, |state, tenant, now| {
        person::delete(state, tenant, &id, now)
    })
}

/// Body of `POST /_sim/journals/{id}/edit`: the journal as saved (amounts as decimal text).
#[derive(Debug, Deserialize)]
pub struct EditBody {
    pub date: chrono::NaiveDate,
    pub lines: Vec<EditLineBody>,
}

/// One line of an [`EditBody`].
#[derive(Debug, Deserialize)]
pub struct EditLineBody {
    pub account_code: String,
    pub line_amount: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub tracking: Vec<EditTrackingBody>,
}

/// A tracking option on an [`EditLineBody`].
#[derive(Debug, Deserialize)]
pub struct EditTrackingBody {
    pub name: String,
    pub option: String,
}

/// `POST /_sim/journals/{id}/edit`: a person edits a journal and saves it.
pub async fn edit(
    State(sim): State<Arc<Shared>>,
    Path(id): Path<String>,
    Json(body): Json<EditBody>,
) -> Response {
    let mut lines = Vec::new();
    for line in body.lines {
        let Ok(line_amount) = line.line_amount.trim().parse() else {
            return (
                StatusCode::BAD_REQUEST,
                Json(json!({ "messages": [format!("'{}' is not an amount", line.line_amount)] })),
            )
                .into_response();
        };
        lines.push(LineEdit {
            account_code: line.account_code,
            line_amount,
            description: line.description,
            tracking: line
                .tracking
                .into_iter()
                .map(|t| (t.name, t.option))
                .collect(),
        });
    }
    let edit = JournalEdit {
        date: body.date,
        lines,
    };
    as_a_person(&sim, &id, |state, tenant, now| {
        person::edit(state, tenant, &id, &edit, now)
    })
}
