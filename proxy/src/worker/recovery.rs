//! Never twice, never lost: what to do with a call whose outcome is not known, and with its
//! journals once the call can say no more.
//!
//! - While Xero remembers the call's Idempotency-Key (`key_life` from its first send, under
//!   Xero's ~6 minutes), the identical call goes again under the same key ([`next`]): one call
//!   per batch, and Xero answers with what it did the first time.
//! - After that, and only once `settle` has passed since the call was last sent (it may still be
//!   being saved), its journals are looked up in bulk ([`look_up`]): found → posted with Xero's
//!   id; not found → pending again, to go in a new call under a new key — unless the journal has
//!   used `max_keys` keys already, when it waits for a person as `needs_attention`.
//!
//! So a journal takes a new key only after Xero has forgotten the old one and the old call had
//! time to finish.

use chrono::{DateTime, TimeDelta, Utc};
use srm_xero_shared::api::Waiting;
use tokio::task::JoinSet;

use super::pacing::wait_until;
use super::{Ctx, WorkerSettings, lookup, outcome};
use crate::ledger::Claimed;
use crate::ledger::calls::{self, Call, Work};
use crate::ledger::posting::{self, Outcome};

/// What a call whose outcome is not known does next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Next {
    /// Send it (again), under its one key.
    Send,
    /// Wait until then (a backoff), then ask again.
    Wait(DateTime<Utc>),
    /// Sending can tell no more: look its journals up (why, in words).
    LookUp(String),
}

fn delta(d: std::time::Duration) -> TimeDelta {
    TimeDelta::from_std(d).unwrap_or(TimeDelta::MAX)
}

/// The wait before the `failures`-th send again: `backoff`, doubling, at most 30 s.
pub fn backoff(settings: &WorkerSettings, failures: u32) -> TimeDelta {
    delta(
        settings
            .backoff
            .saturating_mul(1 << failures.saturating_sub(1).min(5))
            .min(std::time::Duration::from_secs(30)),
    )
}

/// Until when Xero is trusted to remember the call's key (`None`: never sent, so Xero never saw
/// it and sending is always safe).
pub fn key_expires(call: &Call, settings: &WorkerSettings) -> Option<DateTime<Utc>> {
    call.first_sent_at
        .map(|first| first + delta(settings.key_life))
}

/// When the journals of a call that [`next`] sent to be looked up at `now` may be: not before
/// `settle` after its last send (it may still be being saved), nor before Xero forgot its key
/// unless Xero answered it.
pub fn look_up_at(call: &Call, now: DateTime<Utc>, settings: &WorkerSettings) -> DateTime<Utc> {
    let settled = call.last_sent_at.map(|last| last + delta(settings.settle));
    let forgotten = key_expires(call, settings).filter(|_| call.answered_at.is_none());
    [Some(now), settled, forgotten]
        .into_iter()
        .flatten()
        .max()
        .unwrap_or(now)
}

/// What to do at `now` with `call`, after `failures` sends without a clear answer.
pub fn next(call: &Call, now: DateTime<Utc>, settings: &WorkerSettings, failures: u32) -> Next {
    if call.answered_at.is_some() {
        return Next::LookUp(
            "Xero answered this call, but not clearly for every journal".to_owned(),
        );
    }
    let (Some(expires), Some(last)) = (key_expires(call, settings), call.last_sent_at) else {
        return Next::Send;
    };
    if now >= expires {
        return Next::LookUp(format!(
            "no clear answer from Xero to the call with Idempotency-Key {} while Xero remembered the key ({} sends)",
            call.key, call.attempts
        ));
    }
    if failures == 0 {
        return Next::Send;
    }
    let again = last + backoff(settings, failures);
    if now >= again {
        Next::Send
    } else {
        Next::Wait(again.min(expires))
    }
}

/// Calls and journals left unsettled by a proxy that stopped: the calls to send again (the
/// worker runs them, each in its own organisation), and look-ups started in `tasks` for journals
/// of a proxy from before calls were stored.
pub(crate) async fn left_over(ctx: &Ctx, tasks: &mut JoinSet<()>) -> Vec<Work> {
    let open = ctx
        .state
        .db()
        .read(|c| {
            let open = calls::open(c)?;
            let unbound = posting::unbound_in_flight(c)?;
            Ok((open, unbound))
        })
        .await;
    let (open, unbound) = match open {
        Ok(found) => found,
        Err(e) => {
            tracing::error!(error = %e, "cannot read the calls left in flight");
            return Vec::new();
        }
    };
    if !open.is_empty() {
        tracing::info!(calls = open.len(), "settling the calls left in flight");
        for work in &open {
            outcome::note(
                ctx,
                &work.journals,
                &format!(
                    "the proxy stopped before this journal's call (Idempotency-Key {}) was settled: it is settled now",
                    work.call.key
                ),
            )
            .await;
        }
    }
    for old in unbound {
        let ctx = ctx.clone();
        tasks.spawn(async move {
            let tenant = match old.tenant {
                Some(tenant) => tenant,
                None => ctx.access().await.1,
            };
            let at = old.since + delta(ctx.settings.settle);
            look_up(&ctx, &tenant, at, vec![old.journal]).await;
        });
    }
    open
}

/// Looks `journals` up in `tenant` at `at` (from [`look_up_at`]) and records what Xero has.
pub(crate) async fn look_up(ctx: &Ctx, tenant: &str, at: DateTime<Utc>, journals: Vec<Claimed>) {
    if ctx.state.now() < at {
        let secs = (at - ctx.state.now()).num_seconds().max(1);
        ctx.hub().set_waiting(Some(Waiting {
            reason: format!(
                "checking in {secs} s whether Xero saved journals whose answer was unclear"
            ),
            until: Some(at),
        }));
        wait_until(&ctx.state, at).await;
        ctx.hub().set_waiting(None);
    }
    let found = lookup::find(ctx, tenant, &journals).await;
    let outcomes: Vec<(Claimed, Outcome)> = journals
        .into_iter()
        .map(|journal| {
            let judged = judge(ctx, &journal, found.get(&journal.planned.key));
            (journal, judged)
        })
        .collect();
    outcome::record_each(ctx, outcomes).await;
}

/// What a look-up says about one journal.
fn judge(ctx: &Ctx, journal: &Claimed, found: Option<&Vec<String>>) -> Outcome {
    match found.map(Vec::as_slice) {
        Some([id]) => Outcome::Posted {
            xero_id: id.clone(),
            warnings: Vec::new(),
            how: "found in Xero by its key after an unclear outcome".to_owned(),
        },
        Some([id, more @ ..]) => Outcome::Posted {
            xero_id: id.clone(),
            warnings: vec![format!(
                "it is in Xero {} times (ManualJournalIDs {id}, {}): void the extra copies in Xero",
                more.len() + 1,
                more.join(", ")
            )],
            how: "found in Xero by its key after an unclear outcome".to_owned(),
        },
        _ if journal.keys_used >= ctx.settings.max_keys => Outcome::NeedsAttention(format!(
            "Xero gave no clear answer for this journal under {} Idempotency-Keys, and it was \
             not found in Xero afterwards. Check Xero's manual journals for the narration ending \
             \"{}\": if it is there, mark this journal posted with its ManualJournalID; if it is \
             not, void it here, and its postings can be exported again.",
            journal.keys_used,
            journal.planned.key.marker()
        )),
        _ => Outcome::Requeue(
            "not in Xero after an unclear outcome: it goes again in a new call under a new Idempotency-Key"
                .to_owned(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_566_291_600 + secs, 0).unwrap()
    }

    fn call() -> Call {
        Call {
            id: 1,
            key: "k".into(),
            tenant: "t".into(),
            body: Some(b"{}".to_vec()),
            first_sent_at: None,
            last_sent_at: None,
            attempts: 0,
            answered_at: None,
        }
    }

    #[test]
    fn a_call_goes_again_under_its_key_until_xero_forgets_it() {
        let settings = WorkerSettings::default();
        let mut c = call();
        assert_eq!(next(&c, at(0), &settings, 0), Next::Send);
        c.first_sent_at = Some(at(0));
        c.last_sent_at = Some(at(0));
        c.attempts = 1;
        assert_eq!(next(&c, at(0), &settings, 1), Next::Wait(at(1)));
        assert_eq!(next(&c, at(1), &settings, 1), Next::Send);
        assert!(matches!(next(&c, at(300), &settings, 1), Next::LookUp(_)));
        c.answered_at = Some(at(1));
        assert!(matches!(next(&c, at(1), &settings, 0), Next::LookUp(_)));
    }

    /// One event in a call's life: time passes, then it is sent (or not) and answered (or not).
    #[derive(Debug, Clone)]
    struct Step {
        wait_ms: u32,
        answered: bool,
    }

    proptest! {
        /// Whatever happens to a call and whenever the worker asks, the same key is only sent
        /// while Xero remembers it, and its journals are only looked up — the one way to a new
        /// key — once Xero has answered or forgotten the key and `settle` has passed since the
        /// last send.
        #[test]
        fn no_journal_takes_a_new_key_while_its_last_may_still_be_working(
            steps in prop::collection::vec(
                (0_u32..120_000, prop::bool::weighted(0.05))
                    .prop_map(|(wait_ms, answered)| Step { wait_ms, answered }),
                1..40,
            ),
            key_life_s in 1_u64..400,
            settle_s in 0_u64..120,
        ) {
            let settings = WorkerSettings {
                key_life: std::time::Duration::from_secs(key_life_s),
                settle: std::time::Duration::from_secs(settle_s),
                ..WorkerSettings::default()
            };
            let mut c = call();
            let mut now = at(0);
            let mut failures = 0;
            for step in steps {
                now += TimeDelta::milliseconds(i64::from(step.wait_ms));
                match next(&c, now, &settings, failures) {
                    Next::Send => {
                        if let Some(expires) = key_expires(&c, &settings) {
                            prop_assert!(now < expires, "sent after Xero forgot the key");
                        }
                        c.first_sent_at.get_or_insert(now);
                        c.last_sent_at = Some(now);
                        c.attempts += 1;
                        if step.answered {
                            c.answered_at = Some(now);
                        } else {
                            failures += 1;
                        }
                    }
                    Next::Wait(until) => prop_assert!(until > now),
                    Next::LookUp(_) => {
                        let (first, last) = (c.first_sent_at.unwrap(), c.last_sent_at.unwrap());
                        let expired = now >= first + delta(settings.key_life);
                        prop_assert!(c.answered_at.is_some() || expired);
                        let when = look_up_at(&c, now, &settings);
                        prop_assert!(when >= now);
                        prop_assert!(when >= last + delta(settings.settle), "looked up before the last send settled");
                        if c.answered_at.is_none() {
                            prop_assert!(when >= first + delta(settings.key_life));
                        }
                        break;
                    }
                }
            }
        }
    }
}
