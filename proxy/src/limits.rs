//! What one caller, and all callers together, may ask of the proxy: request rates per caller
//! (GCRA from the `governor` crate, keyed by the caller token's `sub` and judged by the proxy's
//! [`Clock`]), the cap on open event streams, and the request timeout. Every refusal is an
//! [`AppError`] that answers 429 (or 503 for the timeout) with `Retry-After`.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse as _, Response};
use governor::clock::Reference as _;
use governor::middleware::NoOpMiddleware;
use governor::nanos::Nanos;
use governor::state::keyed::HashMapStateStore;
use governor::{Quota, RateLimiter};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::AppState;
use crate::clock::Clock;
use crate::config::Limits;
use crate::error::AppError;

/// How long a caller refused for too many open streams is told to wait.
const STREAMS_RETRY_AFTER: Duration = Duration::from_secs(10);
/// Keys kept before the limiter forgets callers whose budget is whole again.
const KEYS_BEFORE_PRUNING: usize = 10_000;

/// The proxy's clock as `governor` reads time: nanoseconds since the epoch.
#[derive(Clone)]
struct ProxyClock(Clock);

impl governor::clock::Clock for ProxyClock {
    type Instant = Nanos;

    fn now(&self) -> Nanos {
        let nanos = (self.0)().timestamp_nanos_opt().unwrap_or_default();
        Nanos::from(u64::try_from(nanos).unwrap_or_default())
    }
}

/// A number of requests per minute for each key (a caller's `sub`), a whole minute's worth at
/// once at most.
pub struct RateLimit {
    limiter: RateLimiter<String, HashMapStateStore<String>, ProxyClock, NoOpMiddleware<Nanos>>,
    clock: ProxyClock,
    per_minute: NonZeroU32,
    what: &'static str,
}

impl std::fmt::Debug for RateLimit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimit")
            .field("per_minute", &self.per_minute)
            .field("what", &self.what)
            .finish_non_exhaustive()
    }
}

impl RateLimit {
    /// `per_minute` of `what` (words for the refusal: "API requests") per key, by `clock`.
    pub fn per_minute(per_minute: u32, what: &'static str, clock: Clock) -> Self {
        let per_minute = NonZeroU32::new(per_minute).unwrap_or(NonZeroU32::MIN);
        let clock = ProxyClock(clock);
        RateLimit {
            limiter: RateLimiter::new(
                Quota::per_minute(per_minute),
                HashMapStateStore::default(),
                clock.clone(),
            ),
            clock,
            per_minute,
            what,
        }
    }

    /// Counts one request of `key`, or refuses it with how long to wait.
    pub fn check(&self, key: &str) -> Result<(), AppError> {
        if self.limiter.len() > KEYS_BEFORE_PRUNING {
            self.limiter.retain_recent();
        }
        self.limiter
            .check_key(&key.to_owned())
            .map_err(|not_until| {
                use governor::clock::Clock as _;
                let now = self.clock.now();
                let wait: Duration = not_until.earliest_possible().duration_since(now).into();
                let retry_after = whole_seconds(wait);
                AppError::TooManyRequests {
                    message: format!(
                        "too many {} from this caller: at most {} a minute; try again in {} s",
                        self.what,
                        self.per_minute,
                        retry_after.as_secs()
                    ),
                    retry_after,
                }
            })
    }
}

/// A wait rounded up to whole seconds, at least one (what `Retry-After` can say).
pub fn whole_seconds(wait: Duration) -> Duration {
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    Duration::from_secs(secs.max(1))
}

/// The proxy's guards, one set per proxy.
#[derive(Debug)]
pub struct Guards {
    /// Every `/api` request, per caller.
    pub api: Arc<RateLimit>,
    /// `POST /api/reference/refresh`, per caller (each costs four Xero calls).
    pub refresh: RateLimit,
    streams: Arc<Semaphore>,
    max_streams: usize,
    request_timeout: Duration,
}

impl Guards {
    /// Guards for these limits.
    pub fn new(limits: &Limits, clock: &Clock) -> Self {
        Guards {
            api: Arc::new(RateLimit::per_minute(
                limits.per_caller_per_minute,
                "API requests",
                clock.clone(),
            )),
            refresh: RateLimit::per_minute(
                limits.refreshes_per_minute,
                "reference data refreshes",
                clock.clone(),
            ),
            streams: Arc::new(Semaphore::new(limits.max_streams)),
            max_streams: limits.max_streams,
            request_timeout: limits.request_timeout,
        }
    }

    /// A place for one more event stream, held as long as the stream is open.
    pub fn stream(&self) -> Result<OwnedSemaphorePermit, AppError> {
        Arc::clone(&self.streams)
            .try_acquire_owned()
            .map_err(|_| AppError::TooManyRequests {
                message: format!(
                    "{} progress streams are open already, the most this proxy keeps; poll /progress or try again shortly",
                    self.max_streams
                ),
                retry_after: STREAMS_RETRY_AFTER,
            })
    }
}

/// Middleware: an API request that takes longer than the setting is answered 503 with
/// `Retry-After`. Event streams (long-lived by design) are left alone.
pub async fn timeout(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if request.uri().path().ends_with("/events") {
        return next.run(request).await;
    }
    let limit = state.guards().request_timeout;
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => AppError::TimedOut(limit).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, Utc};
    use std::sync::Mutex;

    fn clock_at(start: DateTime<Utc>) -> (Clock, Arc<Mutex<DateTime<Utc>>>) {
        let now = Arc::new(Mutex::new(start));
        let read = Arc::clone(&now);
        (Arc::new(move || *read.lock().unwrap()), now)
    }

    #[test]
    fn a_caller_over_the_rate_waits_for_the_next_slot_and_others_are_not_held() {
        let (clock, now) = clock_at(DateTime::from_timestamp(1_700_000_000, 0).unwrap());
        let limit = RateLimit::per_minute(3, "API requests", clock);
        for _ in 0..3 {
            limit.check("u1").unwrap();
        }
        let Err(AppError::TooManyRequests {
            message,
            retry_after,
        }) = limit.check("u1")
        else {
            panic!("the fourth request in a minute passed");
        };
        // One slot comes back every 20 s.
        assert_eq!(retry_after, Duration::from_secs(20));
        assert!(message.contains("at most 3 a minute"), "{message}");
        limit.check("u2").unwrap();
        *now.lock().unwrap() += chrono::Duration::seconds(20);
        limit.check("u1").unwrap();
        assert!(limit.check("u1").is_err());
    }

    #[test]
    fn waits_are_whole_seconds_rounded_up() {
        assert_eq!(whole_seconds(Duration::ZERO), Duration::from_secs(1));
        assert_eq!(
            whole_seconds(Duration::from_millis(19_001)),
            Duration::from_secs(20)
        );
        assert_eq!(
            whole_seconds(Duration::from_secs(20)),
            Duration::from_secs(20)
        );
    }
}
