//! Never twice: a journal whose call has an unknown outcome (or that was `posting` when the
//! proxy stopped) is looked up in Xero by the key in its Narration before anything is posted
//! again. Found: posted with Xero's id. Not found: pending again, to go in a new call with a new
//! Idempotency-Key (the 6-minute idempotency window alone is not enough, XERO.md).

use secrecy::ExposeSecret as _;
use srm_xero_shared::JournalKey;
use srm_xero_shared::xero::ManualJournals;

use super::pacing::wait_until;
use super::{Ctx, outcome};
use crate::ledger::Claimed;
use crate::ledger::write::Outcome;
use crate::xero::{Fetched, XeroError};

/// Looks up every journal left `posting` (at start-up, before the first call).
pub(crate) async fn resolve_orphans(ctx: &Ctx) {
    match ctx.state.db().with(|c| crate::ledger::write::in_flight(c)) {
        Ok(orphans) if orphans.is_empty() => {}
        Ok(orphans) => {
            tracing::info!(
                count = orphans.len(),
                "looking up journals that may be in Xero"
            );
            resolve(ctx, orphans).await;
        }
        Err(e) => tracing::error!(error = %e, "cannot read journals left in flight"),
    }
}

/// Looks each journal up and records what Xero has.
pub(crate) async fn resolve(ctx: &Ctx, journals: Vec<Claimed>) {
    for journal in journals {
        let outcome = look_up(ctx, &journal.planned.key).await;
        outcome::record_each(ctx, &[(&journal, outcome)]);
    }
}

/// `GET /ManualJournals?where=Narration.Contains("key …")`, paced and retried until Xero answers.
async fn look_up(ctx: &Ctx, key: &JournalKey) -> Outcome {
    let path = format!("/api.xro/2.0/ManualJournals?where=Narration.Contains(%22key%20{key}%22)");
    let mut failures = 0u32;
    loop {
        ctx.pacer().slot(&ctx.state).await;
        let (access, tenant) = ctx.access().await;
        let answer = ctx
            .state
            .xero()
            .get(&path, access.expose_secret(), Some(&tenant), None)
            .await;
        match answer {
            Ok(Fetched::Body(body)) => {
                let found = serde_json::from_slice::<ManualJournals>(&body)
                    .ok()
                    .and_then(|list| {
                        list.manual_journals.into_iter().find(|j| {
                            JournalKey::find_in(&j.narration).as_ref() == Some(key)
                                && j.manual_journal_id.is_some()
                        })
                    });
                return match found.and_then(|j| j.manual_journal_id) {
                    Some(id) => Outcome::Posted {
                        xero_id: id,
                        warnings: Vec::new(),
                        how: "found in Xero by its key after an unknown outcome".to_owned(),
                    },
                    None => Outcome::Requeue(
                        "not in Xero after an unknown outcome: to be sent again with a new Idempotency-Key"
                            .to_owned(),
                    ),
                };
            }
            Ok(Fetched::NotModified) => {}
            Err(XeroError::RateLimited {
                retry_after,
                problem,
            }) => {
                let until = ctx.state.now()
                    + chrono::TimeDelta::from_std(retry_after)
                        .unwrap_or(chrono::TimeDelta::seconds(60));
                ctx.pacer()
                    .hold_until(until, format!("Xero's rate limit ({problem})"));
                continue;
            }
            Err(XeroError::Unauthorized(_)) => {
                ctx.state.connections().refresh_after_refusal(&access).await;
            }
            Err(e) => tracing::warn!(error = %e, %key, "looking a journal up failed; retrying"),
        }
        failures += 1;
        let until = ctx.state.now()
            + chrono::TimeDelta::from_std(ctx.backoff(failures.min(6))).unwrap_or_default();
        wait_until(&ctx.state, until).await;
    }
}
