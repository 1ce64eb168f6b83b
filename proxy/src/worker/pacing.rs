//! Pacing to Xero's limits, judged by the proxy's clock: at most `per_window` calls in any
//! sliding window (so none of Xero's fixed minutes can exceed 60), a pause after a 429 for its
//! `Retry-After`, and the day budget read from `X-DayLimit-Remaining`. Every call to Xero's
//! accounting API counts, as Xero counts them all in the same minute: the worker's calls and the
//! reads of reference data each wait for a slot ([`Pacer::slot`]).

use std::collections::VecDeque;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use srm_xero_shared::api::Waiting;

use super::WorkerSettings;
use crate::AppState;

/// How often a wait re-reads the clock (tests move a frozen clock instead of waiting).
const TICK: Duration = Duration::from_millis(50);
/// How long to wait when the day budget is used up and Xero has not said until when.
const DAY_PAUSE: TimeDelta = TimeDelta::minutes(30);
/// Why calls wait when the day budget is used up.
const DAY_REASON: &str = "Xero's daily call limit is used up";

/// The pacing state.
#[derive(Debug)]
pub struct Pacer {
    inner: Mutex<State>,
}

#[derive(Debug)]
struct State {
    /// Calls allowed in any sliding `window`.
    per_window: usize,
    window: TimeDelta,
    /// When each call in the window was let through.
    sent: VecDeque<DateTime<Utc>>,
    /// No call before this (a 429's Retry-After), and why.
    hold: Option<Hold>,
    /// Xero's last `X-DayLimit-Remaining`.
    day_remaining: Option<u64>,
}

/// Calls held until a time.
#[derive(Debug, Clone)]
struct Hold {
    until: DateTime<Utc>,
    reason: String,
    /// Held by Xero's daily limit.
    day: bool,
}

/// What [`Pacer::check`] decided at one instant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Go now (the call is counted).
    Go,
    /// Wait until then; `reason` is shown to people when set.
    Wait {
        /// Until when.
        until: DateTime<Utc>,
        /// Why, for the export's progress.
        reason: Option<String>,
    },
}

impl Pacer {
    /// A pacer for these settings.
    pub fn new(settings: WorkerSettings) -> Self {
        let pacer = Pacer {
            inner: Mutex::new(State {
                per_window: 60,
                window: TimeDelta::seconds(61),
                sent: VecDeque::new(),
                hold: None,
                day_remaining: None,
            }),
        };
        pacer.configure(settings);
        pacer
    }

    /// Takes the window and its limit from `settings`.
    pub fn configure(&self, settings: WorkerSettings) {
        let mut state = self.state();
        state.per_window = settings.per_window.max(1);
        state.window = TimeDelta::from_std(settings.window).unwrap_or(TimeDelta::seconds(61));
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Decides at `now` whether a call may go, counting it if so.
    pub fn check(&self, now: DateTime<Utc>) -> Decision {
        self.decide(now, true)
    }

    fn decide(&self, now: DateTime<Utc>, take: bool) -> Decision {
        let mut state = self.state();
        let window = state.window;
        if let Some(hold) = state.hold.clone() {
            if now < hold.until {
                return Decision::Wait {
                    until: hold.until,
                    reason: Some(hold.reason),
                };
            }
            state.hold = None;
        }
        if state.day_remaining == Some(0) {
            let until = now + DAY_PAUSE;
            state.hold = Some(Hold {
                until,
                reason: DAY_REASON.to_owned(),
                day: true,
            });
            state.day_remaining = None;
            return Decision::Wait {
                until,
                reason: Some(DAY_REASON.to_owned()),
            };
        }
        while state.sent.front().is_some_and(|t| now - *t >= window) {
            state.sent.pop_front();
        }
        if state.sent.len() >= state.per_window {
            let oldest = state.sent.front().copied().unwrap_or(now);
            return Decision::Wait {
                until: oldest + window,
                reason: None,
            };
        }
        if take {
            state.sent.push_back(now);
            if let Some(left) = state.day_remaining.as_mut() {
                *left = left.saturating_sub(1);
            }
        }
        Decision::Go
    }

    /// Gives back the last slot taken (nothing was sent with it).
    pub fn unreserve(&self) {
        self.state().sent.pop_back();
    }

    /// Xero said to wait until `until` (a 429), because of `reason`.
    pub fn hold_until(&self, until: DateTime<Utc>, reason: String) {
        self.hold(Hold {
            until,
            reason,
            day: false,
        });
    }

    fn hold(&self, hold: Hold) {
        let mut state = self.state();
        if state.hold.as_ref().is_none_or(|h| h.until < hold.until) {
            state.hold = Some(hold);
        }
    }

    /// Xero answered 429 at `now`: every call waits its `Retry-After` (a minute when it gave
    /// none that reads), and progress names the limit (`problem`: minute, day, …).
    pub fn rate_limited(&self, now: DateTime<Utc>, retry_after: Duration, problem: &str) {
        self.hold(Hold {
            until: now + TimeDelta::from_std(retry_after).unwrap_or(TimeDelta::seconds(60)),
            reason: format!("Xero's rate limit ({problem})"),
            day: problem.eq_ignore_ascii_case("day"),
        });
    }

    /// Whether Xero's daily limit holds calls now (a 429 of the `day` problem, or the day's
    /// budget used up).
    pub fn day_spent(&self) -> bool {
        self.state().hold.as_ref().is_some_and(|h| h.day)
    }

    /// Xero's `X-DayLimit-Remaining` after a call.
    pub fn day_remaining(&self, left: u64) {
        self.state().day_remaining = Some(left);
    }

    /// Waits until a call may go, showing why while Xero made us wait; the call is counted.
    pub async fn slot(&self, state: &AppState) {
        self.wait(state, true).await;
    }

    /// Waits until a call could go, without counting one: for a caller that bounds its wait and
    /// then takes its [`Pacer::slot`] as it goes.
    pub async fn room(&self, state: &AppState) {
        self.wait(state, false).await;
    }

    async fn wait(&self, state: &AppState, take: bool) {
        loop {
            let now = state.now();
            match self.decide(now, take) {
                Decision::Go => return,
                Decision::Wait { until, reason } => {
                    if self.day_spent() {
                        crate::alerts::day_limit(state, until).await;
                    }
                    if let Some(reason) = reason {
                        let secs = (until - now).num_seconds().max(1);
                        state.hub().set_waiting(Some(Waiting {
                            reason: format!("{reason} — waiting {secs} s"),
                            until: Some(until),
                        }));
                    }
                    wait_until(state, until).await;
                }
            }
        }
    }
}

/// Waits until the proxy's clock reaches `until`.
pub async fn wait_until(state: &AppState, until: DateTime<Utc>) {
    wait_until_by(state, until, TICK).await;
}

/// Waits until the proxy's clock reaches `until`, looking at it every `tick` at least.
pub async fn wait_until_by(state: &AppState, until: DateTime<Utc>, tick: Duration) {
    loop {
        let now = state.now();
        if now >= until {
            return;
        }
        let left = (until - now).to_std().unwrap_or(tick);
        tokio::time::sleep(left.min(tick)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_566_291_600 + secs, 0).unwrap()
    }

    #[test]
    fn no_sliding_window_holds_more_than_the_limit() {
        let pacer = Pacer::new(WorkerSettings {
            per_window: 3,
            window: Duration::from_mins(1),
            ..WorkerSettings::default()
        });
        for s in [0, 1, 2] {
            assert_eq!(pacer.check(at(s)), Decision::Go);
        }
        assert_eq!(
            pacer.check(at(30)),
            Decision::Wait {
                until: at(60),
                reason: None
            }
        );
        assert_eq!(pacer.check(at(60)), Decision::Go);
        assert!(matches!(pacer.check(at(60)), Decision::Wait { .. }));
    }

    #[test]
    fn a_429_holds_every_call_until_retry_after() {
        let pacer = Pacer::new(WorkerSettings::default());
        pacer.hold_until(at(38), "Xero's rate limit (minute)".into());
        assert_eq!(
            pacer.check(at(0)),
            Decision::Wait {
                until: at(38),
                reason: Some("Xero's rate limit (minute)".into())
            }
        );
        assert_eq!(pacer.check(at(38)), Decision::Go);
    }

    #[test]
    fn only_the_day_limit_counts_as_the_day_spent() {
        let pacer = Pacer::new(WorkerSettings::default());
        pacer.rate_limited(at(0), Duration::from_secs(38), "minute");
        assert!(!pacer.day_spent());
        assert_eq!(
            pacer.check(at(1)),
            Decision::Wait {
                until: at(38),
                reason: Some("Xero's rate limit (minute)".into())
            }
        );
        pacer.rate_limited(at(1), Duration::from_hours(5), "Day");
        assert!(pacer.day_spent());
        let fresh = Pacer::new(WorkerSettings::default());
        fresh.day_remaining(0);
        assert!(matches!(fresh.check(at(0)), Decision::Wait { .. }));
        assert!(fresh.day_spent());
    }

    #[test]
    fn a_spent_day_budget_pauses() {
        let pacer = Pacer::new(WorkerSettings::default());
        pacer.day_remaining(0);
        assert!(matches!(
            pacer.check(at(0)),
            Decision::Wait { reason: Some(r), .. } if r.contains("daily")
        ));
    }
}
