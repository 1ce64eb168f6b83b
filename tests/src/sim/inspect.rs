//! Inspection: every call received (method, path, headers without secrets, body with secrets
//! masked), recorded by a middleware before any other handling, with the status it was answered
//! (and a 429's rate-limit problem); plus per-tenant counts.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use chrono::{DateTime, Utc};

use super::state::Shared;

/// Headers never recorded: they carry credentials.
const SECRET_HEADERS: [&str; 3] = ["authorization", "cookie", "proxy-authorization"];
/// Form fields masked in recorded bodies.
const SECRET_FIELDS: [&str; 6] = [
    "client_secret",
    "refresh_token",
    "code",
    "code_verifier",
    "token",
    "access_token",
];
/// The largest body recorded or accepted (Xero's own limit is 3.5 MB).
pub const MAX_BODY: usize = 16 * 1024 * 1024;

/// One call as received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedCall {
    pub at: DateTime<Utc>,
    pub method: String,
    /// Path with query string.
    pub path: String,
    /// Header names in lower case, secrets left out.
    pub headers: Vec<(String, String)>,
    pub body: String,
    /// The answer's status; `None` while the call runs, or when no answer was sent (a dropped
    /// connection).
    pub status: Option<u16>,
    /// A 429's `X-Rate-Limit-Problem` (`minute`, `day`, `appminute`, `concurrent`).
    pub rate_limit_problem: Option<String>,
}

impl RecordedCall {
    /// A recorded header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The `xero-tenant-id` the call named.
    pub fn tenant(&self) -> Option<&str> {
        self.header("xero-tenant-id")
    }
}

/// Per-tenant totals.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TenantCounts {
    /// Calls that named this tenant.
    pub calls: usize,
    /// Journals stored for this tenant.
    pub journals: usize,
}

/// Builds the per-tenant counts from recorded calls and stored journals.
pub fn counts(state: &super::state::SimState) -> BTreeMap<String, TenantCounts> {
    let mut out: BTreeMap<String, TenantCounts> = BTreeMap::new();
    for call in &state.calls {
        if let Some(tenant) = call.tenant() {
            out.entry(tenant.to_owned()).or_default().calls += 1;
        }
    }
    for journal in &state.journals {
        out.entry(journal.tenant_id.clone()).or_default().journals += 1;
    }
    out
}

/// Middleware recording each call (admin calls under `/_sim` excepted).
pub async fn record(State(sim): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    if request.uri().path().starts_with("/_sim") {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_BODY).await else {
        return super::wire::json_answer(
            axum::http::StatusCode::PAYLOAD_TOO_LARGE,
            "{\"Message\":\"request body too large\"}".into(),
        );
    };
    let headers = parts
        .headers
        .iter()
        .filter(|(name, _)| !SECRET_HEADERS.contains(&name.as_str()))
        .map(|(name, value)| {
            (
                name.as_str().to_owned(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            )
        })
        .collect();
    let text = String::from_utf8_lossy(&bytes);
    let body_text = if parts.uri.path().starts_with("/connect/") {
        mask_form(&text)
    } else {
        text.into_owned()
    };
    let call = RecordedCall {
        at: sim.clock.now(),
        method: parts.method.as_str().to_owned(),
        path: parts
            .uri
            .path_and_query()
            .map_or_else(|| parts.uri.path().to_owned(), ToString::to_string),
        headers,
        body: body_text,
        status: None,
        rate_limit_problem: None,
    };
    let index = {
        let mut state = sim.lock();
        state.calls.push(call);
        state.calls.len() - 1
    };
    sim.bump();
    let response = next
        .run(Request::from_parts(parts, Body::from(bytes)))
        .await;
    // Calls are only ever appended, so the index still names this call.
    if let Some(call) = sim.lock().calls.get_mut(index) {
        call.status = Some(response.status().as_u16());
        call.rate_limit_problem =
            super::wire::header_text(response.headers(), "x-rate-limit-problem").map(str::to_owned);
    }
    sim.bump();
    response
}

fn mask_form(body: &str) -> String {
    body.split('&')
        .map(|pair| match pair.split_once('=') {
            Some((name, _)) if SECRET_FIELDS.contains(&name) => format!("{name}=[redacted]"),
            _ => pair.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("&")
}
