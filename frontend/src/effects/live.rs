//! Following an export's progress while it runs: server-sent events opened with a single-use
//! stream ticket (a fresh one for every connection), reopened with a backoff when the stream
//! drops, and polling `/progress` when streams cannot be had. Each asks for what changed since
//! the last progress it brought (at first, since the rows were read), so the popup patches its
//! rows instead of reading them all again.

use futures::future::{self, AbortHandle, Abortable, Either};
use futures::{StreamExt, stream};
use gloo_net::eventsource::State;
use gloo_net::eventsource::futures::EventSource;
use gloo_timers::future::TimeoutFuture;
use srm_xero_shared::api::Progress;

use super::Effects;
use crate::api::FailureKind;
use crate::state::{Action, Area, LiveMode, PopupAction};

/// How often the page polls `/progress` when it has no stream.
pub const POLL_EVERY_MS: u32 = 2_000;

/// The wait before the first reopening; each failure in a row doubles it.
pub const FIRST_RETRY_MS: u32 = 1_000;

/// Connections in a row that bring no event before the page gives up on streams and polls.
pub const TRIES: u32 = 4;

/// What woke a stream's listener.
enum Woke<E> {
    /// An event, an error, or the stream's end.
    Event(Option<E>),
    /// The events held back are due.
    Due,
    /// Time to look at the stream's state.
    Check,
}

/// How one attempt at a stream ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The proxy offers no stream tickets (an older proxy): poll.
    Unsupported,
    /// No ticket, or the stream would not open.
    Failed,
    /// The stream opened and then dropped (the proxy restarted, the network blinked, the
    /// caller token that opened it expired); `received` when it brought progress first.
    Dropped {
        /// At least one progress event arrived.
        received: bool,
    },
}

/// What to do after an [`Outcome`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Fetch a new ticket and open a new stream after this many milliseconds.
    Reopen {
        /// The wait.
        after_ms: u32,
    },
    /// Give up on streams: poll.
    Poll,
}

/// The reconnection policy: a stream that worked is reopened after [`FIRST_RETRY_MS`]; failures
/// in a row wait twice as long each time, and after [`TRIES`] of them the page polls.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reconnect {
    failures: u32,
}

impl Reconnect {
    /// The step after `outcome`.
    pub fn next(&mut self, outcome: Outcome) -> Step {
        match outcome {
            Outcome::Unsupported => return Step::Poll,
            Outcome::Dropped { received: true } => self.failures = 0,
            Outcome::Dropped { received: false } | Outcome::Failed => self.failures += 1,
        }
        if self.failures >= TRIES {
            return Step::Poll;
        }
        Step::Reopen {
            after_ms: FIRST_RETRY_MS << self.failures.saturating_sub(1),
        }
    }
}

/// Progress being followed; dropping it stops the stream or the polling at once.
#[derive(Debug)]
pub struct Watch(AbortHandle);

impl Drop for Watch {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Follows export `number` by `mode` from change `since` until the returned [`Watch`] is
/// dropped.
pub(super) fn watch(effects: Effects, number: u64, mode: LiveMode, since: u64) -> Watch {
    let (handle, registration) = AbortHandle::new_pair();
    let work = async move {
        match mode {
            LiveMode::Events => follow_events(&effects, number, since).await,
            LiveMode::Polling => poll(&effects, number, since).await,
        }
    };
    wasm_bindgen_futures::spawn_local(async move {
        let _ = Abortable::new(work, registration).await;
    });
    Watch(handle)
}

/// Streams, one ticket each, until the policy says to poll; then the page switches to polling.
async fn follow_events(effects: &Effects, number: u64, since: u64) {
    let mut policy = Reconnect::default();
    let mut since = since;
    loop {
        let outcome = match effects.backend.stream_ticket().await {
            Ok(ticket) => match effects
                .backend
                .events_url(number, &ticket.ticket, Some(since))
            {
                Some(url) => listen(effects, &url, &mut since).await,
                None => Outcome::Unsupported,
            },
            Err(f) if f.kind == FailureKind::NotFound => Outcome::Unsupported,
            Err(f) if f.kind == FailureKind::TokenExpired => {
                // Polling would be refused too; a new token from the host page starts again.
                return effects.fail(Area::Export, f);
            }
            Err(_) => Outcome::Failed,
        };
        match policy.next(outcome) {
            Step::Reopen { after_ms } => TimeoutFuture::new(after_ms).await,
            Step::Poll => {
                return effects.dispatch(Action::Popup(PopupAction::SetLive(LiveMode::Polling)));
            }
        }
    }
}

/// How often an open stream's state is looked at.
const CHECK_EVERY_MS: u32 = 1_000;

/// How long a new stream may take to open.
const OPEN_WITHIN_MS: u32 = 5_000;

/// Events arriving within this long of the first are applied together (a burst is one render,
/// not a hundred).
pub const BATCH_MS: u32 = 16;

/// Two progress messages of one stream as one: the later's standing, the changes of both in
/// order (a journal named twice ends as the later says).
pub fn merged(earlier: Progress, later: Progress) -> Progress {
    let mut changes = earlier.changes;
    changes.extend(later.changes);
    Progress {
        changes,
        complete: earlier.complete && later.complete,
        ..later
    }
}

/// One stream: each `progress` (or unnamed) event goes to the popup, until the stream ends. When
/// a stream drops, the browser reconnects by itself with the same, spent, ticket (and keeps
/// trying while the proxy is unreachable); a stream seen reconnecting, or not open in time, is
/// closed instead, and the caller opens the next with a new ticket. Events arriving within
/// [`BATCH_MS`] of the first go to the popup as one; `since` follows them.
async fn listen(effects: &Effects, url: &str, since: &mut u64) -> Outcome {
    let Ok(mut source) = EventSource::new(url) else {
        return Outcome::Failed;
    };
    let (Ok(named), Ok(unnamed)) = (source.subscribe("progress"), source.subscribe("message"))
    else {
        return Outcome::Failed;
    };
    let mut events = stream::select(named, unnamed);
    let (mut opened, mut received, mut waited_ms) = (false, false, 0);
    // Events not applied yet, and the timer that applies them.
    let mut batch: Option<(Progress, TimeoutFuture)> = None;
    let apply = |progress| effects.dispatch(Action::Popup(PopupAction::Progress(progress)));
    loop {
        let woke = match &mut batch {
            Some((_, due)) => match future::select(events.next(), due).await {
                Either::Left((event, _)) => Woke::Event(event),
                Either::Right(_) => Woke::Due,
            },
            None => match future::select(events.next(), TimeoutFuture::new(CHECK_EVERY_MS)).await {
                Either::Left((event, _)) => Woke::Event(event),
                Either::Right(_) => Woke::Check,
            },
        };
        match woke {
            Woke::Event(Some(Ok((_, message)))) => {
                opened = true;
                let progress = message
                    .data()
                    .as_string()
                    .and_then(|text| serde_json::from_str::<Progress>(&text).ok());
                if let Some(progress) = progress {
                    received = true;
                    *since = progress.sequence;
                    batch = Some(match batch.take() {
                        Some((earlier, due)) => (merged(earlier, progress), due),
                        None => (progress, TimeoutFuture::new(BATCH_MS)),
                    });
                }
            }
            // Closed: refused, or ended for good.
            Woke::Event(Some(Err(_)) | None) => break,
            Woke::Due => {
                if let Some((progress, _)) = batch.take() {
                    apply(progress);
                }
            }
            Woke::Check => match source.state() {
                State::Open => opened = true,
                State::Closed => break,
                State::Connecting if opened => break,
                State::Connecting => {
                    waited_ms += CHECK_EVERY_MS;
                    if waited_ms >= OPEN_WITHIN_MS {
                        break;
                    }
                }
            },
        }
    }
    source.close();
    if let Some((progress, _)) = batch {
        apply(progress);
    }
    if opened {
        Outcome::Dropped { received }
    } else {
        Outcome::Failed
    }
}

/// Asks `/progress` every [`POLL_EVERY_MS`], each time for what changed since the answer before.
async fn poll(effects: &Effects, number: u64, since: u64) {
    let mut since = since;
    loop {
        match effects.backend.progress(number, Some(since)).await {
            Ok(progress) => {
                since = progress.sequence;
                effects.dispatch(Action::Popup(PopupAction::Progress(progress)));
            }
            Err(f) => effects.fail(Area::Export, f),
        }
        TimeoutFuture::new(POLL_EVERY_MS).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use srm_xero_shared::JournalKey;
    use srm_xero_shared::api::{Counts, ExportStatus, JournalRow, JournalState};

    fn event(sequence: u64, posted: &[&str], complete: bool) -> Progress {
        Progress {
            number: 7,
            status: ExportStatus::Open,
            counts: Counts {
                posted: u32::try_from(sequence).unwrap(),
                ..Counts::default()
            },
            waiting: None,
            eta_seconds: None,
            sequence,
            changes: posted
                .iter()
                .map(|id| JournalRow {
                    key: JournalKey::from_posting_ids([*id]),
                    date: chrono::NaiveDate::from_ymd_opt(2019, 8, 19).unwrap(),
                    group: String::new(),
                    narration: String::new(),
                    total: srm_xero_shared::Money::ZERO,
                    line_count: 2,
                    state: JournalState::Posted,
                    xero_id: None,
                    xero_url: None,
                    messages: Vec::new(),
                    voided: None,
                })
                .collect(),
            complete,
        }
    }

    #[test]
    fn a_burst_of_events_is_applied_as_one_that_ends_as_the_last_says() {
        let one = merged(event(1, &["a"], true), event(2, &["b", "a"], true));
        assert_eq!(one.sequence, 2);
        assert_eq!(one.counts.posted, 2);
        assert!(one.complete);
        let keys: Vec<_> = one.changes.iter().map(|c| c.key.clone()).collect();
        assert_eq!(
            keys,
            ["a", "b", "a"].map(|id| JournalKey::from_posting_ids([id])),
            "in order: the last word on a journal comes last"
        );
        assert!(!merged(one, event(3, &[], false)).complete);
    }

    #[test]
    fn a_proxy_without_tickets_is_polled_at_once() {
        assert_eq!(Reconnect::default().next(Outcome::Unsupported), Step::Poll);
    }

    #[test]
    fn failures_in_a_row_back_off_then_poll() {
        let mut policy = Reconnect::default();
        let steps: Vec<Step> = (0..TRIES).map(|_| policy.next(Outcome::Failed)).collect();
        assert_eq!(
            steps,
            vec![
                Step::Reopen { after_ms: 1_000 },
                Step::Reopen { after_ms: 2_000 },
                Step::Reopen { after_ms: 4_000 },
                Step::Poll,
            ]
        );
    }

    #[test]
    fn a_stream_that_brought_progress_is_reopened_with_a_fresh_start() {
        let mut policy = Reconnect::default();
        assert_eq!(
            policy.next(Outcome::Dropped { received: false }),
            Step::Reopen { after_ms: 1_000 }
        );
        assert_eq!(
            policy.next(Outcome::Failed),
            Step::Reopen { after_ms: 2_000 }
        );
        // It worked for a while: the count starts again, so a long export survives many drops.
        for _ in 0..10 {
            assert_eq!(
                policy.next(Outcome::Dropped { received: true }),
                Step::Reopen { after_ms: 1_000 }
            );
        }
        assert_eq!(
            policy.next(Outcome::Failed),
            Step::Reopen { after_ms: 1_000 }
        );
    }
}
