//! One call, `PUT /ManualJournals?summarizeErrors=false` with up to 50 journals, sent until Xero
//! answers. Every send is the call's stored bytes under its one Idempotency-Key, recorded before
//! it leaves; whatever the network does (a dropped connection, a timeout, a 5xx, Xero still
//! working on the call), the same request goes again while Xero remembers the key — it answers
//! with the original result, or finishes the original call. Only when the key is gone are the
//! journals looked up ([`super::recovery`]).

use axum::http::StatusCode;
use secrecy::{ExposeSecret as _, SecretString};
use srm_xero_shared::api::Waiting;

use super::pacing::wait_until;
use super::recovery::{self, Next};
use super::{Ctx, outcome};
use crate::ledger::calls::{self, Call, Work};
use crate::ledger::posting::Outcome;
use crate::xero::{XeroError, classify};

/// What became of one send.
enum Sent {
    /// Xero answered.
    Answer(StatusCode, axum::http::HeaderMap, axum::body::Bytes),
    /// No answer: the call may or may not have been handled.
    Lost { cause: String },
}

async fn send(ctx: &Ctx, access: &SecretString, call: &Call, body: &[u8]) -> Sent {
    let xero = ctx.state.xero();
    let response = xero
        .http()
        .put(format!(
            "{}/api.xro/2.0/ManualJournals?summarizeErrors=false",
            xero.api_url()
        ))
        .bearer_auth(access.expose_secret())
        .header("xero-tenant-id", &call.tenant)
        .header("idempotency-key", &call.key)
        .header("accept", "application/json")
        .header("content-type", "application/json")
        .timeout(ctx.settings.call_timeout)
        .body(body.to_vec())
        .send()
        .await;
    let lost = |e: reqwest::Error| {
        let cause = if e.is_timeout() {
            "Xero did not answer in time".to_owned()
        } else {
            format!("no answer from Xero ({})", e.without_url())
        };
        Sent::Lost { cause }
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

/// How a call ended.
enum Delivered {
    /// Xero's 2xx answer.
    Answer(axum::body::Bytes),
    /// Xero refused the whole call (a 400).
    Refused(Vec<String>),
    /// No clear answer while the key lived: the journals are looked up. Why, in words.
    Unknown(String),
}

/// Sends `work`'s call (the first send's pacing slot already taken when `slot_taken`) until it
/// is settled, and records what became of each journal.
pub(crate) async fn run(ctx: &Ctx, work: Work, slot_taken: bool) {
    let Work { mut call, journals } = work;
    let unresolved = match deliver(ctx, &mut call, slot_taken).await {
        Delivered::Answer(bytes) => outcome::apply(ctx, &call, &journals, &bytes).await,
        Delivered::Refused(messages) => {
            outcome::record(ctx, &journals, |_| Outcome::Failed(messages.clone())).await;
            Vec::new()
        }
        Delivered::Unknown(why) => {
            outcome::note(ctx, &journals, &why).await;
            journals
        }
    };
    if !unresolved.is_empty() {
        let at = recovery::look_up_at(&call, ctx.state.now(), &ctx.settings);
        recovery::look_up(ctx, &call.tenant, at, unresolved).await;
    }
    let id = call.id;
    if let Err(e) = ctx
        .state
        .db()
        .write(move |c| calls::close_if_settled(c, id))
        .await
    {
        tracing::error!(error = %e, key = %call.key, "cannot close a call");
    }
}

/// What an answer means for the call.
enum Step {
    /// Settled.
    Done(Delivered),
    /// Turned away before Xero looked at the call (a 429, a refused token): send it again once
    /// the wait or the refresh is over.
    Again,
    /// No clear answer: send again after a backoff (why, in words).
    Unclear(String),
}

/// Reads Xero's answer to one send of `call`.
async fn read_answer(
    ctx: &Ctx,
    call: &Call,
    access: &SecretString,
    refreshed: &mut bool,
    status: StatusCode,
    headers: &axum::http::HeaderMap,
    bytes: axum::body::Bytes,
) -> Step {
    if let Some(left) = headers
        .get("x-daylimit-remaining")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok())
    {
        ctx.pacer().day_remaining(left);
    }
    let answered = async || {
        ctx.hub().set_waiting(None);
        let (id, now) = (call.id, ctx.state.now());
        if let Err(e) = ctx
            .state
            .db()
            .write(move |c| calls::answered(c, id, now))
            .await
        {
            tracing::error!(error = %e, key = %call.key, "cannot record an answer");
        }
    };
    if status.is_success() {
        answered().await;
        return Step::Done(Delivered::Answer(bytes));
    }
    match classify(status, headers, &bytes) {
        XeroError::RateLimited {
            retry_after,
            problem,
        } => {
            ctx.pacer()
                .rate_limited(ctx.state.now(), retry_after, &problem);
            Step::Again
        }
        XeroError::Unauthorized(detail) if !*refreshed => {
            tracing::info!(%detail, "Xero refused the access token; refreshing once");
            *refreshed = true;
            ctx.state.connections().refresh_after_refusal(access).await;
            Step::Again
        }
        // Xero's word on the key itself (another body under it) says nothing about the
        // journals: settled like a lost answer.
        XeroError::Validation(messages)
            if messages.iter().any(|m| m.contains("Idempotency-Key")) =>
        {
            tracing::error!(key = %call.key, ?messages, "Xero refused the call's Idempotency-Key");
            Step::Unclear(format!(
                "Xero refused the call's Idempotency-Key ({})",
                messages.join("; ")
            ))
        }
        XeroError::Validation(messages) => {
            // Not expected with summarizeErrors=false: the whole call was refused.
            answered().await;
            Step::Done(Delivered::Refused(messages))
        }
        XeroError::Other(detail) if status == StatusCode::CONFLICT => {
            Step::Unclear(format!("Xero is still working on the call ({detail})"))
        }
        other => Step::Unclear(format!("Xero is unavailable ({other})")),
    }
}

/// Sends the call until Xero answers it or its key is gone.
async fn deliver(ctx: &Ctx, call: &mut Call, slot_taken: bool) -> Delivered {
    let Some(body) = call.body.take() else {
        return Delivered::Unknown("the call's stored request is gone".to_owned());
    };
    let mut slot_taken = slot_taken;
    let mut failures = 0u32;
    let mut refreshed = false;
    loop {
        match recovery::next(call, ctx.state.now(), &ctx.settings, failures) {
            Next::Send => {}
            Next::Wait(until) => {
                wait_until(&ctx.state, until).await;
                continue;
            }
            Next::LookUp(why) => {
                if slot_taken {
                    ctx.pacer().unreserve();
                }
                return Delivered::Unknown(why);
            }
        }
        if !slot_taken {
            ctx.pacer().slot(&ctx.state).await;
        }
        slot_taken = false;
        let access = ctx.access_to(&call.tenant).await;
        // Waiting for a slot or for the organisation may have outlived the key.
        if !matches!(
            recovery::next(call, ctx.state.now(), &ctx.settings, 0),
            Next::Send
        ) {
            ctx.pacer().unreserve();
            continue;
        }
        let now = ctx.state.now();
        let id = call.id;
        match ctx
            .state
            .db()
            .write(move |c| calls::sending(c, id, now))
            .await
        {
            Ok(()) => calls::sent(call, now),
            Err(e) => {
                // Not recorded, not sent: try again shortly.
                tracing::error!(error = %e, key = %call.key, "cannot record a send");
                ctx.pacer().unreserve();
                failures += 1;
                continue;
            }
        }
        let problem = match send(ctx, &access, call, &body).await {
            Sent::Answer(status, headers, bytes) => {
                match read_answer(ctx, call, &access, &mut refreshed, status, &headers, bytes).await
                {
                    Step::Done(delivered) => return delivered,
                    Step::Again => {
                        // Turned away before Xero saw the key: its life has not started.
                        if call.attempts == 1 {
                            let id = call.id;
                            match ctx
                                .state
                                .db()
                                .write(move |c| calls::turned_away(c, id))
                                .await
                            {
                                Ok(()) => calls::forget_send(call),
                                Err(e) => {
                                    tracing::error!(error = %e, key = %call.key, "cannot record a send");
                                }
                            }
                        }
                        continue;
                    }
                    Step::Unclear(problem) => problem,
                }
            }
            Sent::Lost { cause } => cause,
        };
        failures += 1;
        tracing::warn!(key = %call.key, attempts = call.attempts, %problem, "no clear answer; the same call goes again");
        if let Next::Wait(until) = recovery::next(call, ctx.state.now(), &ctx.settings, failures) {
            let secs = (until - ctx.state.now()).num_seconds().max(1);
            ctx.hub().set_waiting(Some(Waiting {
                reason: format!(
                    "{problem} — sending the same call again (same Idempotency-Key) in {secs} s"
                ),
                until: Some(until),
            }));
        }
    }
}
