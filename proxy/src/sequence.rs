//! The change counter behind progress (`Progress::sequence`, `?since=`): every change to the
//! ledger and to the worker's status takes the next number, and each journal row keeps the
//! number of its last change (`journals.seq`), so "what changed since S" is one query.
//!
//! A change to the ledger takes its number before its transaction and is *in flight* until the
//! transaction is over; the published number (the **horizon**) is the highest below which
//! nothing is in flight. A reader who read horizon H, then the rows numbered above S, has missed
//! nothing up to H: a transaction still in flight has a number above H and is found by the next
//! question (`since=H`). The counter starts above every number stored and at least at the
//! clock's microseconds, so a number is never reused, not even across a restart.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::watch;

/// One proxy's counter (shared by the database and the worker's hub).
#[derive(Debug)]
pub struct Sequence {
    state: Mutex<State>,
    horizon: watch::Sender<u64>,
}

#[derive(Debug)]
struct State {
    /// The last number handed out.
    last: u64,
    /// Numbers handed out whose change is not over yet.
    open: BTreeSet<u64>,
}

impl Sequence {
    /// A counter whose first change is numbered `first`.
    pub fn starting_at(first: u64) -> Arc<Sequence> {
        let last = first.saturating_sub(1);
        Arc::new(Sequence {
            state: Mutex::new(State {
                last,
                open: BTreeSet::new(),
            }),
            horizon: watch::channel(last).0,
        })
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Takes the next number for a change that is over when the [`Stamp`] is dropped.
    pub fn begin(self: &Arc<Self>) -> Stamp {
        let mut state = self.state();
        state.last += 1;
        let number = state.last;
        state.open.insert(number);
        Stamp {
            sequence: Arc::clone(self),
            number,
        }
    }

    /// A change that is over as soon as it is counted (the worker's waiting reason, say).
    pub fn bump(self: &Arc<Self>) {
        drop(self.begin());
    }

    fn end(&self, number: u64) {
        let horizon = {
            let mut state = self.state();
            state.open.remove(&number);
            state
                .open
                .first()
                .map_or(state.last, |first| first.saturating_sub(1))
        };
        self.horizon.send_if_modified(|h| {
            let moved = horizon > *h;
            if moved {
                *h = horizon;
            }
            moved
        });
    }

    /// The highest number below which every change is over.
    pub fn horizon(&self) -> u64 {
        *self.horizon.borrow()
    }

    /// The horizon, to watch for changes.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.horizon.subscribe()
    }
}

/// A change's number, in flight until dropped.
#[derive(Debug)]
pub struct Stamp {
    sequence: Arc<Sequence>,
    number: u64,
}

impl Stamp {
    /// The number.
    pub fn number(&self) -> u64 {
        self.number
    }
}

impl Drop for Stamp {
    fn drop(&mut self) {
        self.sequence.end(self.number);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_horizon_waits_for_the_oldest_change_in_flight() {
        let sequence = Sequence::starting_at(100);
        assert_eq!(sequence.horizon(), 99);
        let slow = sequence.begin();
        let quick = sequence.begin();
        assert_eq!((slow.number(), quick.number()), (100, 101));
        drop(quick);
        assert_eq!(sequence.horizon(), 99, "100 is still in flight");
        sequence.bump();
        assert_eq!(sequence.horizon(), 99);
        drop(slow);
        assert_eq!(sequence.horizon(), 102);
    }

    proptest! {
        /// Whatever order changes end in, the horizon never moves back, never passes a change
        /// in flight, and reaches the last number once all are over.
        #[test]
        fn the_horizon_never_passes_a_change_in_flight(ends in prop::collection::vec(0usize..8, 1..40)) {
            let sequence = Sequence::starting_at(1);
            let mut open: Vec<Stamp> = Vec::new();
            let mut last_horizon = 0;
            for pick in ends {
                if pick % 3 == 0 || open.is_empty() {
                    open.push(sequence.begin());
                } else {
                    let stamp = open.remove(pick % open.len());
                    drop(stamp);
                }
                let horizon = sequence.horizon();
                prop_assert!(horizon >= last_horizon);
                prop_assert!(open.iter().all(|s| s.number() > horizon));
                last_horizon = horizon;
            }
            let last = open.iter().map(Stamp::number).max();
            open.clear();
            if let Some(last) = last {
                prop_assert!(sequence.horizon() >= last);
            }
        }
    }
}
