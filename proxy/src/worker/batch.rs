//! One call: `PUT /ManualJournals?summarizeErrors=false` with up to 50 journals and one
//! Idempotency-Key, reused for its quick retries (429, 5xx, one 401 after a refresh). When the
//! outcome is unknown (the connection dropped, a timeout, retries used up), its journals are
//! looked up in Xero instead of being sent again.

use axum::http::StatusCode;
use secrecy::{ExposeSecret as _, SecretString};
use srm_xero_shared::api::Waiting;
use srm_xero_shared::xero::ManualJournals;

use super::pacing::wait_until;
use super::{Ctx, outcome, recovery};
use crate::ledger::Claimed;
use crate::ledger::write::Outcome;
use crate::xero::{XeroError, classify};

/// What became of one send.
enum Sent {
    /// Xero answered.
    Answer(StatusCode, axum::http::HeaderMap, axum::body::Bytes),
    /// No answer: the call may or may not have been handled.
    Lost { timed_out: bool, cause: String },
}

async fn send(ctx: &Ctx, access: &SecretString, tenant: &str, key: &str, body: &[u8]) -> Sent {
    let xero = ctx.state.xero();
    let response = xero
        .http()
        .put(format!(
            "{}/api.xro/2.0/ManualJournals?summarizeErrors=false",
            xero.api_url()
        ))
        .bearer_auth(access.expose_secret())
        .header("xero-tenant-id", tenant)
        .header("idempotency-key", key)
        .header("accept", "application/json")
        .header("content-type", "application/json")
        .timeout(ctx.settings.call_timeout)
        .body(body.to_vec())
        .send()
        .await;
    let lost = |e: reqwest::Error| Sent::Lost {
        timed_out: e.is_timeout(),
        cause: e.without_url().to_string(),
    };
    match response {
        Ok(response) => {
            let status = response.status();
            let headers = response.headers().clone();
            match response.bytes().await {
                Ok(bytes) => Sent::Answer(status, headers, bytes),
                Err(e) => lost(e),
            }
        }
        Err(e) => lost(e),
    }
}

/// Posts `batch` (already `posting` with `key` in the ledger) and records what became of it.
pub(crate) async fn post(
    ctx: &Ctx,
    batch: Vec<Claimed>,
    key: String,
    access: SecretString,
    tenant: String,
) {
    let body = ManualJournals {
        manual_journals: batch.iter().map(|c| c.planned.to_xero()).collect(),
        ..ManualJournals::default()
    };
    let body = match serde_json::to_vec(&body) {
        Ok(b) => b,
        Err(e) => {
            let why = vec![format!("the journal cannot be written as JSON: {e}")];
            outcome::record(ctx, &batch, |_| Outcome::Failed(why.clone()));
            return;
        }
    };
    let (mut access, mut tenant) = (access, tenant);
    let mut failures = 0u32;
    let mut refreshed = false;
    loop {
        match send(ctx, &access, &tenant, &key, &body).await {
            Sent::Answer(status, headers, bytes) => {
                if let Some(left) = headers
                    .get("x-daylimit-remaining")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.trim().parse().ok())
                {
                    ctx.pacer().day_remaining(left);
                }
                if status.is_success() {
                    ctx.hub().set_waiting(None);
                    let unknown = outcome::apply(ctx, &batch, &bytes);
                    if !unknown.is_empty() {
                        recovery::resolve(ctx, unknown).await;
                    }
                    return;
                }
                match classify(status, &headers, &bytes) {
                    XeroError::RateLimited {
                        retry_after,
                        problem,
                    } => {
                        let until = ctx.state.now()
                            + chrono::TimeDelta::from_std(retry_after)
                                .unwrap_or(chrono::TimeDelta::seconds(60));
                        ctx.pacer()
                            .hold_until(until, format!("Xero's rate limit ({problem})"));
                    }
                    XeroError::Unauthorized(detail) if !refreshed => {
                        tracing::info!(%detail, "Xero refused the access token; refreshing once");
                        refreshed = true;
                        ctx.state.connections().refresh_after_refusal(&access).await;
                    }
                    XeroError::Validation(messages) => {
                        // Not expected with summarizeErrors=false: the whole call was refused.
                        outcome::record(ctx, &batch, |_| Outcome::Failed(messages.clone()));
                        return;
                    }
                    other => {
                        failures += 1;
                        if failures > ctx.settings.quick_retries {
                            tracing::warn!(error = %other, "retries used up; looking the journals up");
                            recovery::resolve(ctx, batch).await;
                            return;
                        }
                        let pause = ctx.backoff(failures - 1);
                        let until = ctx.state.now()
                            + chrono::TimeDelta::from_std(pause).unwrap_or_default();
                        ctx.hub().set_waiting(Some(Waiting {
                            reason: format!(
                                "Xero is unavailable ({other}) — retrying in {} s",
                                pause.as_secs().max(1)
                            ),
                            until: Some(until),
                        }));
                        wait_until(&ctx.state, until).await;
                    }
                }
            }
            Sent::Lost { timed_out, cause } => {
                tracing::warn!(%cause, "no answer from Xero; looking the journals up");
                if timed_out {
                    // The call may still be running at Xero: let it finish before looking.
                    let settle = ctx.settings.settle_after_timeout;
                    let until =
                        ctx.state.now() + chrono::TimeDelta::from_std(settle).unwrap_or_default();
                    ctx.hub().set_waiting(Some(Waiting {
                        reason: format!(
                            "Xero did not answer in time — checking in {} s whether it saved the journals",
                            settle.as_secs().max(1)
                        ),
                        until: Some(until),
                    }));
                    wait_until(&ctx.state, until).await;
                    ctx.hub().set_waiting(None);
                }
                recovery::resolve(ctx, batch).await;
                return;
            }
        }
        ctx.pacer().slot(&ctx.state).await;
        (access, tenant) = ctx.access().await;
    }
}
