//! The simulator's injectable clock. Every time-based behaviour (token and code expiry, refresh
//! grace, the idempotency window, rate-limit windows, "today", lock dates) reads this clock, so
//! tests move time with `advance`/`set` instead of sleeping.

use std::sync::{Arc, Mutex, PoisonError};

use chrono::{DateTime, Duration, NaiveDate, Utc};

#[derive(Debug, Clone, Copy)]
enum Mode {
    /// Real time shifted by an offset (so `advance` also works on a real clock).
    Real { offset: Duration },
    /// A frozen instant that only moves when told to.
    Fixed(DateTime<Utc>),
}

/// A clock shared by the simulator and the test that drives it. Clones share one time.
#[derive(Debug, Clone)]
pub struct SimClock {
    mode: Arc<Mutex<Mode>>,
}

impl Default for SimClock {
    fn default() -> Self {
        SimClock::real()
    }
}

impl SimClock {
    /// Follows real time.
    pub fn real() -> Self {
        SimClock {
            mode: Arc::new(Mutex::new(Mode::Real {
                offset: Duration::zero(),
            })),
        }
    }

    /// Frozen at `at` until moved.
    pub fn fixed(at: DateTime<Utc>) -> Self {
        SimClock {
            mode: Arc::new(Mutex::new(Mode::Fixed(at))),
        }
    }

    /// The current instant.
    pub fn now(&self) -> DateTime<Utc> {
        match *self.mode.lock().unwrap_or_else(PoisonError::into_inner) {
            Mode::Real { offset } => Utc::now() + offset,
            Mode::Fixed(at) => at,
        }
    }

    /// Today's date in UTC (the demo organisations keep UTC as their business day).
    pub fn today(&self) -> NaiveDate {
        self.now().date_naive()
    }

    /// Moves time forward (or back, with a negative duration).
    pub fn advance(&self, by: std::time::Duration) {
        let by = Duration::from_std(by).expect("duration fits chrono");
        self.shift(by);
    }

    /// Moves time by a signed chrono duration.
    pub fn shift(&self, by: Duration) {
        let mut mode = self.mode.lock().unwrap_or_else(PoisonError::into_inner);
        *mode = match *mode {
            Mode::Real { offset } => Mode::Real {
                offset: offset + by,
            },
            Mode::Fixed(at) => Mode::Fixed(at + by),
        };
    }

    /// Freezes the clock at `at`.
    pub fn set(&self, at: DateTime<Utc>) {
        *self.mode.lock().unwrap_or_else(PoisonError::into_inner) = Mode::Fixed(at);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fixed_clock_moves_only_when_advanced() {
        let start = DateTime::parse_from_rfc3339("2019-08-20T09:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let clock = SimClock::fixed(start);
        let shared = clock.clone();
        assert_eq!(clock.now(), start);
        shared.advance(std::time::Duration::from_secs(90));
        assert_eq!(clock.now(), start + Duration::seconds(90));
    }
}
