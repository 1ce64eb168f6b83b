//! The gate every `/api.xro/2.0` call passes: bearer token (401), `xero-tenant-id` (403), scope
//! (401), rate limits (429), then any queued fault. What passes holds an in-flight slot until the
//! answer is sent (or the connection dropped).

use std::sync::Arc;

use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::faults::FaultKind;
use super::limits::Remaining;
use super::state::Shared;
use super::tokens::BearerError;
use super::wire::{self, header_text};

/// Scopes that allow a call; any one suffices.
#[derive(Debug, Clone, Copy)]
pub enum Need {
    SettingsRead,
    JournalsRead,
    JournalsWrite,
}

impl Need {
    fn accepts(self) -> &'static [&'static str] {
        match self {
            Need::SettingsRead => &["accounting.settings", "accounting.settings.read"],
            Need::JournalsRead => &[
                "accounting.manualjournals",
                "accounting.manualjournals.read",
                "accounting.transactions",
                "accounting.transactions.read",
            ],
            Need::JournalsWrite => &["accounting.manualjournals", "accounting.transactions"],
        }
    }
}

/// A call that passed the gate.
#[derive(Debug)]
pub struct Admitted {
    pub tenant: String,
    pub remaining: Remaining,
    /// Handle normally, then drop the connection.
    pub drop_after: bool,
    slot: InFlight,
}

impl Admitted {
    /// Adds the rate headers to an answer and, for a drop fault, abandons the connection.
    pub fn finish(self, mut response: Response) -> Response {
        wire::add_remaining(response.headers_mut(), self.remaining);
        if self.drop_after {
            drop(self.slot);
            // Unwinding out of the handler ends the connection task without writing a response:
            // the client sees the connection close, the journals are already stored.
            // `resume_unwind` skips the panic hook, so nothing is printed.
            std::panic::resume_unwind(Box::new("simulated dropped connection"));
        }
        response
    }
}

#[derive(Debug)]
struct InFlight {
    sim: Arc<Shared>,
    tenant: String,
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.sim.lock().limits.finish(&self.tenant);
        self.sim.bump();
    }
}

#[allow(clippy::result_large_err)] // The error is the finished answer, sent as is.
/// Checks the bearer token only (for `/connections`).
pub fn bearer(sim: &Shared, headers: &HeaderMap, instance: &str) -> Result<Vec<String>, Response> {
    let token = header_text(headers, header::AUTHORIZATION.as_str())
        .and_then(|h| h.strip_prefix("Bearer "))
        .unwrap_or_default();
    let now = sim.clock.now();
    match sim.lock().identity.bearer(token, now) {
        Ok(scopes) => Ok(scopes),
        Err(BearerError::Expired(at)) => Err(wire::problem(
            StatusCode::UNAUTHORIZED,
            &format!(
                "TokenExpired: token expired at {}",
                at.format("%m/%d/%Y %H:%M:%S")
            ),
            instance,
        )),
        Err(BearerError::Unknown) => Err(wire::problem(
            StatusCode::UNAUTHORIZED,
            "AuthenticationUnsuccessful",
            instance,
        )),
    }
}

/// Runs the whole gate for an accounting call.
#[allow(clippy::result_large_err)] // The error is the finished answer, sent as is.
pub async fn admit(
    sim: &Arc<Shared>,
    headers: &HeaderMap,
    method: &Method,
    need: Need,
) -> Result<Admitted, Response> {
    let instance = sim.lock().rng.uuid();
    let scopes = bearer(sim, headers, &instance)?;
    let tenant = header_text(headers, "xero-tenant-id")
        .unwrap_or_default()
        .to_owned();
    let (admitted, fault, hold_generation) = {
        let mut state = sim.lock();
        if state.org(&tenant).is_none() || !state.identity.is_connected(&tenant) {
            return Err(wire::problem(
                StatusCode::FORBIDDEN,
                "AuthenticationUnsuccessful",
                &instance,
            ));
        }
        if !need.accepts().iter().any(|s| scopes.iter().any(|g| g == s)) {
            return Err(wire::problem(
                StatusCode::UNAUTHORIZED,
                "AuthorizationUnsuccessful",
                &instance,
            ));
        }
        let now = sim.clock.now();
        let limits = state.settings.limits;
        let remaining = match state.limits.admit(&tenant, now, limits) {
            Ok(r) => r,
            Err(refusal) => {
                return Err(wire::too_many(
                    refusal.retry_after_secs,
                    refusal.problem.header_value(),
                    refusal.remaining,
                ));
            }
        };
        let fault = state.faults.take(method.as_str());
        let admitted = Admitted {
            tenant: tenant.clone(),
            remaining,
            drop_after: fault == Some(FaultKind::DropAfterSave),
            slot: InFlight {
                sim: Arc::clone(sim),
                tenant,
            },
        };
        (admitted, fault, *sim.release.borrow())
    };
    sim.bump();
    match fault {
        Some(FaultKind::Status {
            status,
            retry_after,
        }) => Err(fault_status(status, retry_after, admitted.remaining)),
        Some(FaultKind::Delay { ms }) => {
            tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
            Ok(admitted)
        }
        Some(FaultKind::Hold) => {
            let mut release = sim.release.subscribe();
            // Released calls proceed; a closed channel (simulator gone) releases too.
            let _ = release.wait_for(|g| *g > hold_generation).await;
            Ok(admitted)
        }
        Some(FaultKind::DropAfterSave) | None => Ok(admitted),
    }
}

fn fault_status(status: u16, retry_after: Option<u64>, remaining: Remaining) -> Response {
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if code == StatusCode::TOO_MANY_REQUESTS {
        let secs = i64::try_from(retry_after.unwrap_or(1)).unwrap_or(i64::MAX);
        return wire::too_many(secs, "minute", remaining);
    }
    let mut response = if code.is_server_error() && code != StatusCode::SERVICE_UNAVAILABLE {
        wire::problem(code, "An error occurred in Xero (simulated)", "simulated")
    } else {
        // 503 bodies are unconfirmed: plain text, so nobody parses them.
        (code, "Service Unavailable (simulated)").into_response()
    };
    response.headers_mut().insert(
        HeaderName::from_static("x-simulated-fault"),
        HeaderValue::from_static("1"),
    );
    wire::add_remaining(response.headers_mut(), remaining);
    response
}
