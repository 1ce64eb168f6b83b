//! Xero's rate limits per tenant: calls in flight, calls per (fixed) minute and per (fixed) day, and
//! the app-wide minute limit. Windows start at a tenant's first call, so they reset at different
//! times per tenant, as XERO.md describes. Pure logic over `now`.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};

use super::config::Limits;

/// Which limit refused a call (`X-Rate-Limit-Problem`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    Concurrent,
    Minute,
    Day,
    AppMinute,
}

impl Problem {
    /// The header value Xero sends.
    pub fn header_value(self) -> &'static str {
        match self {
            Problem::Concurrent => "concurrent",
            Problem::Minute => "minute",
            Problem::Day => "day",
            Problem::AppMinute => "appminute",
        }
    }
}

/// The three `X-…-Remaining` numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Remaining {
    pub day: u32,
    pub minute: u32,
    pub app_minute: u32,
}

/// A refused call: which limit, when to retry, and what remains.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refusal {
    pub problem: Problem,
    pub retry_after_secs: i64,
    pub remaining: Remaining,
}

#[derive(Debug, Clone, Copy, Default)]
struct Window {
    start: Option<DateTime<Utc>>,
    count: u32,
}

impl Window {
    fn roll(&mut self, now: DateTime<Utc>, length: Duration) {
        if self.start.is_none_or(|s| now >= s + length) {
            self.start = None;
            self.count = 0;
        }
    }

    fn retry_after(&self, now: DateTime<Utc>, length: Duration) -> i64 {
        let end = self.start.unwrap_or(now) + length;
        // Round up: "retry in 0 seconds" would invite a hot loop.
        ((end - now).num_milliseconds() + 999)
            .div_euclid(1000)
            .max(1)
    }

    fn count_call(&mut self, now: DateTime<Utc>) {
        self.start.get_or_insert(now);
        self.count += 1;
    }
}

#[derive(Debug, Clone, Copy, Default)]
struct TenantUse {
    minute: Window,
    day: Window,
    in_flight: u32,
}

/// All rate-limit state of one simulator.
#[derive(Debug, Default)]
pub struct LimitState {
    tenants: HashMap<String, TenantUse>,
    app_minute: Window,
}

fn minute() -> Duration {
    Duration::minutes(1)
}

fn day() -> Duration {
    Duration::days(1)
}

impl LimitState {
    /// Admits a call for `tenant` (counting it and putting it in flight) or refuses it.
    pub fn admit(
        &mut self,
        tenant: &str,
        now: DateTime<Utc>,
        limits: Limits,
    ) -> Result<Remaining, Refusal> {
        self.app_minute.roll(now, minute());
        let usage = self.tenants.entry(tenant.to_owned()).or_default();
        usage.minute.roll(now, minute());
        usage.day.roll(now, day());
        let refusal = if usage.in_flight >= limits.concurrent {
            Some((Problem::Concurrent, 1))
        } else if usage.day.count >= limits.per_day {
            Some((Problem::Day, usage.day.retry_after(now, day())))
        } else if usage.minute.count >= limits.per_minute {
            Some((Problem::Minute, usage.minute.retry_after(now, minute())))
        } else if self.app_minute.count >= limits.app_per_minute {
            Some((
                Problem::AppMinute,
                self.app_minute.retry_after(now, minute()),
            ))
        } else {
            None
        };
        if let Some((problem, retry_after_secs)) = refusal {
            return Err(Refusal {
                problem,
                retry_after_secs,
                remaining: self.remaining(tenant, now, limits),
            });
        }
        let usage = self.tenants.entry(tenant.to_owned()).or_default();
        usage.minute.count_call(now);
        usage.day.count_call(now);
        usage.in_flight += 1;
        self.app_minute.count_call(now);
        Ok(self.remaining(tenant, now, limits))
    }

    /// Takes a finished call out of flight.
    pub fn finish(&mut self, tenant: &str) {
        if let Some(usage) = self.tenants.get_mut(tenant) {
            usage.in_flight = usage.in_flight.saturating_sub(1);
        }
    }

    /// Calls of `tenant` in flight now.
    pub fn in_flight(&self, tenant: &str) -> u32 {
        self.tenants.get(tenant).map_or(0, |u| u.in_flight)
    }

    /// What remains for `tenant` in each window.
    pub fn remaining(&self, tenant: &str, now: DateTime<Utc>, limits: Limits) -> Remaining {
        let usage = self.tenants.get(tenant).copied().unwrap_or_default();
        let left = |mut w: Window, length: Duration, limit: u32| {
            w.roll(now, length);
            limit.saturating_sub(w.count)
        };
        Remaining {
            day: left(usage.day, day(), limits.per_day),
            minute: left(usage.minute, minute(), limits.per_minute),
            app_minute: left(self.app_minute, minute(), limits.app_per_minute),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_minute_window_is_fixed_from_the_first_call() {
        let limits = Limits {
            per_minute: 2,
            ..Limits::default()
        };
        let start = DateTime::parse_from_rfc3339("2019-08-20T09:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let mut state = LimitState::default();
        for _ in 0..2 {
            state.admit("t", start, limits).unwrap();
            state.finish("t");
        }
        let refusal = state
            .admit("t", start + Duration::seconds(20), limits)
            .unwrap_err();
        assert_eq!(refusal.problem, Problem::Minute);
        assert_eq!(refusal.retry_after_secs, 40);
        assert!(state.admit("t", start + minute(), limits).is_ok());
    }
}
