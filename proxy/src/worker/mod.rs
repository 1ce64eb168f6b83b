//! The posting worker: one per proxy (the proxy serves one tenant). It takes pending journals
//! from the ledger, up to 50 a call, and posts them to Xero paced to its limits ([`pacing`]).
//! Each call is stored with its exact bytes before it is sent ([`crate::ledger::calls`]);
//! [`call`] sends it until Xero answers, again with the same Idempotency-Key whenever the outcome
//! is unknown and Xero still remembers the key; [`outcome`] pairs the answer's elements with the
//! journals the call carried; [`recovery`] decides between sending again and looking up, looks
//! journals up in bulk ([`lookup`]) once the key is gone, and parks a journal that no key
//! confirmed. Journals go only to the organisation they were accepted for. [`Hub`] is what the
//! API sees of it: wake-ups, the change counter behind progress events, the waiting reason, the
//! connected organisation and the recent pace.

pub mod call;
pub mod hub;
pub mod lookup;
pub mod outcome;
pub mod pacing;
pub mod recovery;

use std::sync::Arc;
use std::time::Duration;

use secrecy::SecretString;
use srm_xero_shared::api::{OrganisationRef, Waiting};
use srm_xero_shared::xero::ManualJournals;
use srm_xero_shared::xero::limits::JOURNALS_PER_CALL;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::AppState;
use crate::ledger::Claimed;
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
    /// The first wait before a call is sent again after no clear answer; doubled each time.
    pub backoff: Duration,
    /// How long a journals call may wait for Xero's answer before its outcome counts as unknown.
    pub call_timeout: Duration,
    /// How long after its first send a call's Idempotency-Key is trusted to be remembered by
    /// Xero (which keeps it about 6 minutes, XERO.md): until then an unknown outcome is settled
    /// by sending the identical call again under the same key.
    pub key_life: Duration,
    /// How long after a call was last sent its journals may still be being saved at Xero: they
    /// are looked up only after that.
    pub settle: Duration,
    /// Idempotency-Keys a journal may use without a confirmed outcome before it needs a person.
    pub max_keys: u32,
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
            call_timeout: Duration::from_mins(1),
            key_life: Duration::from_mins(5),
            settle: Duration::from_mins(1),
            max_keys: 3,
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
                            crate::alerts::reconnect_if_needed(&self.state).await;
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

    /// A usable access token for `tenant` only: while another organisation (or none) is
    /// connected, the call waits — its journals were accepted for `tenant` and go nowhere else
    /// (progress names both organisations).
    pub async fn access_to(&self, tenant: &str) -> SecretString {
        loop {
            let (access, connected) = self.access().await;
            if connected == tenant {
                return access;
            }
            self.hub().sleep_or_wake(Duration::from_secs(2)).await;
        }
    }

    /// The organisation connected now (also kept in the hub for progress).
    pub async fn organisation(&self) -> Option<OrganisationRef> {
        let organisation = self
            .state
            .connections()
            .organisation()
            .await
            .inspect_err(|e| tracing::error!(error = %e, "cannot read the connection"))
            .ok()
            .flatten();
        self.hub().set_organisation(organisation.clone());
        organisation
    }
}

/// The body of one call: its journals as Xero's `ManualJournals`.
fn body_of(journals: &[Claimed]) -> Result<Vec<u8>, serde_json::Error> {
    serde_json::to_vec(&ManualJournals {
        manual_journals: journals.iter().map(|c| c.planned.to_xero()).collect(),
        ..ManualJournals::default()
    })
}

/// A count from the ledger; `None` (logged) when the ledger cannot be read.
async fn count(
    ctx: &Ctx,
    read: impl FnOnce(&rusqlite::Connection) -> rusqlite::Result<u64> + Send + 'static,
) -> Option<u64> {
    ctx.state
        .db()
        .read(read)
        .await
        .inspect_err(|e| tracing::error!(error = %e, "the worker cannot read the ledger"))
        .ok()
}

/// Runs the worker until the task is aborted.
pub async fn run(state: AppState, settings: WorkerSettings) {
    state.hub().pacer().configure(settings);
    let ctx = Ctx { state, settings };
    let permits = Arc::new(Semaphore::new(settings.in_flight.clamp(1, 5)));
    // Calls run in this set, so stopping the worker stops them too (as a killed process would).
    let mut calls = JoinSet::new();
    // Calls left unsettled when the proxy stopped go first, each in its own organisation.
    let mut left_over = recovery::left_over(&ctx, &mut calls).await;
    loop {
        while calls.try_join_next().is_some() {}
        let Ok(permit) = Arc::clone(&permits).acquire_owned().await else {
            return;
        };
        let remaining = count(&ctx, crate::ledger::read::remaining).await;
        if remaining == Some(0) && left_over.is_empty() {
            ctx.hub().set_waiting(None);
        }
        if remaining.is_none_or(|n| n == 0 && left_over.is_empty()) {
            drop(permit);
            ctx.hub().sleep_or_wake(Duration::from_secs(5)).await;
            continue;
        }
        let (_, tenant) = ctx.access().await;
        let Some(organisation) = ctx.organisation().await.filter(|o| o.tenant_id == tenant) else {
            drop(permit);
            ctx.hub().sleep_or_wake(Duration::from_secs(1)).await;
            continue;
        };
        if let Some(i) = left_over.iter().position(|w| w.call.tenant == tenant) {
            let work = left_over.swap_remove(i);
            let ctx = ctx.clone();
            calls.spawn(async move {
                call::run(&ctx, work, false).await;
                drop(permit);
                ctx.hub().wake();
            });
            continue;
        }
        // None pending here: everything left is in flight, or waits for another organisation.
        let asked = tenant.clone();
        let pending = count(&ctx, move |c| crate::ledger::read::pending_for(c, &asked)).await;
        if pending.is_none_or(|n| n == 0) {
            drop(permit);
            ctx.hub().sleep_or_wake(Duration::from_secs(2)).await;
            continue;
        }
        ctx.pacer().slot(&ctx.state).await;
        let batch_size = ctx.settings.batch_size.clamp(1, JOURNALS_PER_CALL);
        let key = new_idempotency_key();
        let now = ctx.state.now();
        let tally = ctx.hub().tally().clone();
        let claimed = ctx
            .state
            .db()
            .change(move |c, seq| {
                crate::ledger::posting::claim(
                    c,
                    &tally,
                    seq,
                    &organisation,
                    batch_size,
                    &key,
                    now,
                    body_of,
                )
            })
            .await;
        match claimed {
            Ok(None) => {
                ctx.pacer().unreserve();
                drop(permit);
                ctx.hub().sleep_or_wake(Duration::from_secs(1)).await;
            }
            Ok(Some(work)) => {
                let ctx = ctx.clone();
                calls.spawn(async move {
                    call::run(&ctx, work, true).await;
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
