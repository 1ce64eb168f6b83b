//! The gate every `/api.xro/2.0` call passes: bearer token (401), `xero-tenant-id` (403), scope
//! (401), rate limits (429), then any queued fault. What passes holds an in-flight slot until the
//! answer is sent (or the connection dropped, or — a call saved later — the call is done).

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
    /// The fault this call got, if any.
    pub fault: Option<FaultKind>,
    hold_generation: u64,
    sim: Arc<Shared>,
    slot: InFlight,
}

/// Ends the connection without writing a response. Unwinding out of the handler ends the
/// connection task; `resume_unwind` skips the panic hook, so nothing is printed.
pub fn drop_connection() -> ! {
    std::panic::resume_unwind(Box::new("simulated dropped connection"))
}

impl Admitted {
    /// Applies a delay or hold fault: the call goes on when it ends.
    pub async fn proceed(&self) {
        match self.fault {
            Some(FaultKind::Delay { ms }) => {
                tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
            }
            Some(FaultKind::Hold) => {
                let mut release = self.sim.release.subscribe();
                // Released calls proceed; a closed channel (simulator gone) releases too.
                let _ = release.wait_for(|g| *g > self.hold_generation).await;
            }
            _ => {}
        }
    }

    /// Adds the rate headers to an answer and, for a drop fault, abandons the connection (the
    /// journals are already stored).
    pub fn finish(self, mut response: Response) -> Response {
        wire::add_remaining(response.headers_mut(), self.remaining);
        if matches!(
            self.fault,
            Some(FaultKind::DropAfterSave | FaultKind::DropThenSave { .. })
        ) {
            drop(self.slot);
            drop_connection();
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

/// Runs the whole gate for an accounting call, delays and holds included.
#[allow(clippy::result_large_err)] // The error is the finished answer, sent as is.
pub async fn admit(
    sim: &Arc<Shared>,
    headers: &HeaderMap,
    method: &Method,
    need: Need,
) -> Result<Admitted, Response> {
    let admitted = check(sim, headers, method, need)?;
    admitted.proceed().await;
    Ok(admitted)
}

/// The gate's checks: the call is admitted (counted, in flight) with its fault, a delay or hold
/// still to be applied by [`Admitted::proceed`]; a status fault is the answer.
#[allow(clippy::result_large_err)] // The error is the finished answer, sent as is.
pub fn check(
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
    let admitted = {
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
        Admitted {
            tenant: tenant.clone(),
            remaining,
            fault: state.faults.take(method.as_str()),
            hold_generation: *sim.release.borrow(),
            sim: Arc::clone(sim),
            slot: InFlight {
                sim: Arc::clone(sim),
                tenant,
            },
        }
    };
    sim.bump();
    match admitted.fault {
        Some(FaultKind::Status {
            status,
            retry_after,
        }) => Err(fault_status(status, retry_after, admitted.remaining)),
        _ => Ok(admitted),
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
