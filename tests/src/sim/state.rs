//! The simulator's shared state: one mutex over everything (calls are short and never hold it
//! across an await), the clock, and watch channels that let tests wait for conditions.

use std::sync::{Mutex, MutexGuard, PoisonError};

use tokio::sync::watch;

use super::clock::SimClock;
use super::config::{AppRegistration, Settings};
use super::faults::FaultQueue;
use super::idempotency::IdempotencyStore;
use super::inspect::RecordedCall;
use super::limits::LimitState;
use super::model::{Organisation, StoredJournal};
use super::tokens::IdentityStore;
use crate::demo::gl::GlConfig;
use crate::rng::SplitMix64;

/// Everything mutable.
#[derive(Debug)]
pub struct SimState {
    pub settings: Settings,
    pub app: AppRegistration,
    pub orgs: Vec<Organisation>,
    pub journals: Vec<StoredJournal>,
    pub calls: Vec<RecordedCall>,
    pub identity: IdentityStore,
    pub limits: LimitState,
    pub idempotency: IdempotencyStore,
    pub faults: FaultQueue,
    pub rng: SplitMix64,
}

impl SimState {
    pub fn org(&self, tenant: &str) -> Option<&Organisation> {
        self.orgs.iter().find(|o| o.tenant_id == tenant)
    }
}

/// State plus clock plus notification channels, shared by all handlers.
#[derive(Debug)]
pub struct Shared {
    state: Mutex<SimState>,
    pub clock: SimClock,
    /// Bumped on every change tests may wait for (call started/finished, journal stored).
    pub events: watch::Sender<u64>,
    /// Bumped by "release held calls".
    pub release: watch::Sender<u64>,
    /// The demo SRM feed served at `/srm/api/gl-postings`.
    pub feed: Option<GlConfig>,
}

impl Shared {
    pub fn new(state: SimState, clock: SimClock, feed: Option<GlConfig>) -> Self {
        Shared {
            state: Mutex::new(state),
            clock,
            events: watch::channel(0).0,
            release: watch::channel(0).0,
            feed,
        }
    }

    /// Locks the state. A panic elsewhere never leaves it unusable: the data is plain values.
    pub fn lock(&self) -> MutexGuard<'_, SimState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Tells waiting tests that something changed.
    pub fn bump(&self) {
        self.events.send_modify(|n| *n += 1);
    }
}
