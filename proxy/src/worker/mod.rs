//! The posting worker: one per proxy (the proxy serves one tenant). It takes pending journals
//! from the ledger, up to 50 a call, and posts them to Xero paced to its limits ([`pacing`]);
//! [`batch`] sends one call and [`outcome`] matches the answer to journals by the key in each
//! Narration; [`recovery`] looks journals up in Xero by that key whenever an outcome is unknown
//! (and at start-up) before anything is posted again. [`Hub`] is what the API sees of it:
//! wake-ups, the change counter behind progress events, the waiting reason and the recent pace.

pub mod batch;
pub mod hub;
pub mod outcome;
pub mod pacing;
pub mod recovery;

use std::sync::Arc;
use std::time::Duration;

use secrecy::SecretString;
use srm_xero_shared::api::Waiting;
use srm_xero_shared::xero::limits::JOURNALS_PER_CALL;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::AppState;
use crate::xero::XeroError;
pub use hub::Hub;
use pacing::Pacer;

/// How the worker behaves; the defaults suit Xero.
#[derive(Debug, Clone, Copy)]
pub struct WorkerSettings {
    /// Calls in flight at once (Xero allows 5).
    pub in_flight: usize,
    /// Calls in any sliding [`WorkerSettings::window`] (Xero allows 60 a minute).
    pub per_window: usize,
    /// The sliding window: a second more than Xero's fixed minute, for clock skew.
    pub window: Duration,
    /// The first backoff after a 5xx; doubled each time.
    pub backoff: Duration,
    /// Quick retries of one call (same Idempotency-Key) before its journals are looked up.
    pub quick_retries: u32,
    /// How long a journals call may wait for Xero's answer before its outcome counts as unknown.
    pub call_timeout: Duration,
    /// How long a timed-out call may still be running at Xero before its journals are looked up.
    pub settle_after_timeout: Duration,
    /// Journals per call, at most Xero's 50 (clamped to 1..=50). Fewer only to measure a naive,
    /// one-journal-per-call poster against this one (`cargo xtask bench`).
    pub batch_size: usize,
}

impl Default for WorkerSettings {
    fn default() -> Self {
        WorkerSettings {
            in_flight: 3,
            per_window: 60,
            window: Duration::from_secs(61),
            backoff: Duration::from_secs(1),
            quick_retries: 3,
            call_timeout: Duration::from_mins(1),
            settle_after_timeout: Duration::from_mins(1),
            batch_size: JOURNALS_PER_CALL,
        }
    }
}

/// What the worker's tasks share.
#[derive(Clone)]
pub(crate) struct Ctx {
    pub state: AppState,
    pub settings: WorkerSettings,
}

impl Ctx {
    fn hub(&self) -> &Hub {
        self.state.hub()
    }

    fn pacer(&self) -> &Pacer {
        self.state.hub().pacer()
    }

    /// A usable access token and tenant; while there is none, the exports wait and say why.
    pub async fn access(&self) -> (SecretString, String) {
        loop {
            match self.state.connections().access().await {
                Ok(ready) => return ready,
                Err(e) => {
                    let reason = match e {
                        XeroError::ReconnectNeeded => {
                            "reconnect needed: Xero refused the connection's tokens; an admin must connect to Xero again".to_owned()
                        }
                        XeroError::NotConnected => {
                            "not connected to Xero: an admin must connect first".to_owned()
                        }
                        other => format!("Xero cannot be reached ({other})"),
                    };
                    self.hub().set_waiting(Some(Waiting {
                        reason,
                        until: None,
                    }));
                    // A new connection wakes the worker; otherwise look again shortly.
                    self.hub().sleep_or_wake(Duration::from_secs(2)).await;
                }
            }
        }
    }

    /// Backoff before the `attempt`-th quick retry.
    pub fn backoff(&self, attempt: u32) -> Duration {
        self.settings
            .backoff
            .saturating_mul(1 << attempt.min(5))
            .min(Duration::from_mins(1))
    }
}

/// Runs the worker until the task is aborted.
pub async fn run(state: AppState, settings: WorkerSettings) {
    state.hub().pacer().configure(settings);
    let ctx = Ctx { state, settings };
    // Journals that may have reached Xero before the proxy stopped are looked up first.
    recovery::resolve_orphans(&ctx).await;
    let permits = Arc::new(Semaphore::new(settings.in_flight.clamp(1, 5)));
    // Calls run in this set, so stopping the worker stops them too (as a killed process would).
    let mut calls = JoinSet::new();
    loop {
        while calls.try_join_next().is_some() {}
        let Ok(permit) = Arc::clone(&permits).acquire_owned().await else {
            return;
        };
        match ctx.state.db().with(|c| crate::ledger::read::remaining(c)) {
            Ok(0) => {
                ctx.hub().set_waiting(None);
                drop(permit);
                ctx.hub().sleep_or_wake(Duration::from_secs(5)).await;
                continue;
            }
            Ok(_) => {}
            Err(e) => {
                tracing::error!(error = %e, "the worker cannot read the ledger");
                drop(permit);
                ctx.hub().sleep_or_wake(Duration::from_secs(5)).await;
                continue;
            }
        }
        ctx.pacer().slot(&ctx.state).await;
        let (access, tenant) = ctx.access().await;
        let batch_size = ctx.settings.batch_size.clamp(1, JOURNALS_PER_CALL);
        let attempt = new_idempotency_key();
        let now = ctx.state.now();
        let claimed = ctx
            .state
            .db()
            .with(|c| crate::ledger::write::claim(c, ctx.hub().tally(), batch_size, &attempt, now));
        match claimed {
            Ok(batch) if batch.is_empty() => {
                // Everything left is in flight already; wait for a change.
                ctx.pacer().unreserve();
                drop(permit);
                ctx.hub().sleep_or_wake(Duration::from_secs(1)).await;
            }
            Ok(batch) => {
                ctx.hub().changed();
                let ctx = ctx.clone();
                calls.spawn(async move {
                    batch::post(&ctx, batch, attempt, access, tenant).await;
                    drop(permit);
                    ctx.hub().wake();
                });
            }
            Err(e) => {
                tracing::error!(error = %e, "the worker cannot claim journals");
                ctx.pacer().unreserve();
                drop(permit);
                ctx.hub().sleep_or_wake(Duration::from_secs(5)).await;
            }
        }
    }
}

/// A fresh Idempotency-Key (random, 32 hex digits).
pub fn new_idempotency_key() -> String {
    use std::fmt::Write as _;
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).expect("the OS random source works");
    bytes.iter().fold(String::with_capacity(32), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}
