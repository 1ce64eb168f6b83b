//! What the API and the worker share: wake-ups, the change counter (the `sequence` of progress
//! events, [`crate::sequence`]), why posting is paused, the recent pace for the ETA, and each
//! export's counts.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use chrono::{DateTime, Utc};
use srm_xero_shared::api::{OrganisationRef, Waiting};
use tokio::sync::{Notify, watch};

use super::WorkerSettings;
use super::pacing::Pacer;
use crate::ledger::tally::Tally;
use crate::sequence::Sequence;

/// How far back the pace is measured.
const PACE_WINDOW: chrono::TimeDelta = chrono::TimeDelta::seconds(60);

/// Cheap to clone; one per proxy.
#[derive(Debug, Clone)]
pub struct Hub {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    pacer: Pacer,
    wake: Notify,
    changes: Arc<Sequence>,
    status: Mutex<Status>,
    tally: Tally,
}

#[derive(Debug, Default)]
struct Status {
    waiting: Option<Waiting>,
    /// The organisation connected now, as the worker last saw it.
    organisation: Option<OrganisationRef>,
    /// (when, journals settled): posted or failed.
    done: VecDeque<(DateTime<Utc>, u64)>,
}

impl Hub {
    /// The hub of a proxy whose changes `changes` numbers (the database's counter).
    pub fn new(changes: Arc<Sequence>) -> Hub {
        Hub {
            inner: Arc::new(Inner {
                pacer: Pacer::new(WorkerSettings::default()),
                wake: Notify::new(),
                changes,
                status: Mutex::new(Status::default()),
                tally: Tally::default(),
            }),
        }
    }

    fn status(&self) -> std::sync::MutexGuard<'_, Status> {
        self.inner
            .status
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// The one pacer of every call to Xero's accounting API (the worker's, reads of reference
    /// data and Accept's re-read of the lock dates).
    pub fn pacer(&self) -> &Pacer {
        &self.inner.pacer
    }

    /// Each export's journals per state, kept as the ledger changes (progress reads it).
    pub fn tally(&self) -> &Tally {
        &self.inner.tally
    }

    /// Tells the worker there may be work (a new export, a retry, a new connection).
    pub fn wake(&self) {
        self.inner.wake.notify_one();
    }

    /// Waits for [`Hub::wake`] or `at_most`, whichever comes first.
    pub async fn sleep_or_wake(&self, at_most: Duration) {
        let _ = tokio::time::timeout(at_most, self.inner.wake.notified()).await;
    }

    /// The worker's status changed (changes to the ledger are counted as they are written).
    pub fn changed(&self) {
        self.inner.changes.bump();
    }

    /// The change counter, to watch.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.inner.changes.subscribe()
    }

    /// The change counter now: every change up to it is over.
    pub fn sequence(&self) -> u64 {
        self.inner.changes.horizon()
    }

    /// Why posting is paused, if it is.
    pub fn waiting(&self) -> Option<Waiting> {
        self.status().waiting.clone()
    }

    /// Says why posting is paused (or that it no longer is).
    pub fn set_waiting(&self, waiting: Option<Waiting>) {
        self.update(|s| &mut s.waiting, waiting);
    }

    /// Sets one field of the status, counting a change when it is one.
    fn update<T: PartialEq>(&self, field: impl FnOnce(&mut Status) -> &mut T, value: T) {
        let changed = {
            let mut status = self.status();
            let slot = field(&mut status);
            let changed = *slot != value;
            *slot = value;
            changed
        };
        if changed {
            self.changed();
        }
    }

    /// The organisation connected now, as the worker last saw it (progress compares each
    /// export's own organisation with it without reading the database).
    pub fn organisation(&self) -> Option<OrganisationRef> {
        self.status().organisation.clone()
    }

    /// The worker saw `organisation` connected.
    pub fn set_organisation(&self, organisation: Option<OrganisationRef>) {
        self.update(|s| &mut s.organisation, organisation);
    }

    /// Records `count` journals settled at `at`.
    pub fn settled(&self, at: DateTime<Utc>, count: u64) {
        let mut status = self.status();
        status.done.push_back((at, count));
        while status
            .done
            .front()
            .is_some_and(|(t, _)| at - *t > PACE_WINDOW)
        {
            status.done.pop_front();
        }
    }

    /// Seconds until `remaining` journals are settled at the recent pace (or, with no recent
    /// pace, at Xero's ceiling of 50 journals a call and a call a second).
    pub fn eta_seconds(&self, now: DateTime<Utc>, remaining: u64) -> Option<u64> {
        if remaining == 0 {
            return Some(0);
        }
        let status = self.status();
        let recent: Vec<_> = status
            .done
            .iter()
            .filter(|(t, _)| now - *t <= PACE_WINDOW)
            .collect();
        let count: u64 = recent.iter().map(|(_, n)| n).sum();
        let Some((first, _)) = recent.first() else {
            return Some(remaining.div_ceil(50));
        };
        let span = u64::try_from((now - *first).num_seconds())
            .unwrap_or(0)
            .max(1);
        if count == 0 {
            return None;
        }
        Some((remaining * span).div_ceil(count))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_566_291_600 + secs, 0).unwrap()
    }

    fn hub() -> Hub {
        Hub::new(Sequence::starting_at(1))
    }

    #[test]
    fn the_eta_follows_the_recent_pace() {
        let hub = hub();
        assert_eq!(hub.eta_seconds(at(0), 0), Some(0));
        // No pace yet: Xero's ceiling of 50 journals a second.
        assert_eq!(hub.eta_seconds(at(0), 120), Some(3));
        hub.settled(at(0), 50);
        hub.settled(at(10), 50);
        // 100 journals in 10 s: 300 more take 30 s.
        assert_eq!(hub.eta_seconds(at(10), 300), Some(30));
        // A minute later that pace is forgotten.
        assert_eq!(hub.eta_seconds(at(100), 100), Some(2));
    }

    #[test]
    fn waiting_changes_bump_the_sequence_once() {
        let hub = hub();
        let waiting = Waiting {
            reason: "reconnect needed".into(),
            until: None,
        };
        hub.set_waiting(Some(waiting.clone()));
        hub.set_waiting(Some(waiting));
        assert_eq!(hub.sequence(), 1);
        hub.set_waiting(None);
        assert_eq!(hub.sequence(), 2);
    }
}
