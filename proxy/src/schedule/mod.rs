//! The unattended daily close: at each run of `SRM_XERO_SCHEDULE` the proxy reads SRM's feed
//! from the day after the last exported posting date up to yesterday in `SRM_XERO_TIMEZONE`,
//! plans it with `shared` as the component does, and accepts only the valid journals as a
//! normal export (created by "schedule"), leaving journals with problems for a person
//! ([`run::close`]). Every run is recorded ([`runs`]), one that finds nothing to post too.
//!
//! - Two runs never overlap: each holds [`Runs`]' lock; a trigger that comes meanwhile (an
//!   admin's `POST /api/schedule/run`, the schedule) waits for it, then runs.
//! - A run missed while the proxy was down runs once at start-up ([`cron::Schedule::missed`]
//!   since the later of the last run's due time and when the schedule was first in force).
//! - A run never re-posts what an earlier export holds: planning leaves out the postings the
//!   ledger holds, and Accept refuses them again.
//!
//! Time is the proxy's clock; [`cron`] is pure.

pub mod cron;
pub mod run;
pub mod runs;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::Duration;

use chrono::{DateTime, Utc};
use srm_xero_shared::api::{RunOutcome, RunTrigger, ScheduleRun, ScheduleStatus};

use crate::AppState;
use crate::alerts::{self, Alert, Kind, Subject};
use crate::error::AppError;

/// How often the wait for the next run looks at the clock (tests move a frozen clock).
const TICK: Duration = Duration::from_millis(200);
/// Runs listed by `GET /api/schedule`.
const LISTED: usize = 20;

/// Runs of the close: one at a time.
#[derive(Debug, Clone, Default)]
pub struct Runs {
    lock: Arc<tokio::sync::Mutex<()>>,
    running: Arc<AtomicBool>,
    queued: Arc<AtomicU32>,
}

/// Why one run starts.
#[derive(Debug, Clone)]
pub enum Trigger {
    /// Its time came round.
    Schedule(DateTime<Utc>),
    /// Missed while the proxy was down.
    StartUp(DateTime<Utc>),
    /// An admin (by name).
    Admin(String),
}

impl Trigger {
    fn parts(&self) -> (RunTrigger, Option<DateTime<Utc>>, &str) {
        match self {
            Trigger::Schedule(at) => (RunTrigger::Schedule, Some(*at), "schedule"),
            Trigger::StartUp(at) => (RunTrigger::StartUp, Some(*at), "schedule"),
            Trigger::Admin(name) => (RunTrigger::Admin, None, name),
        }
    }
}

/// Runs the close once for `trigger`, after any run in progress; answers the run as recorded.
pub async fn run_once(state: &AppState, trigger: Trigger) -> Result<ScheduleRun, AppError> {
    let runs = state.runs().clone();
    runs.queued.fetch_add(1, Ordering::SeqCst);
    let _one_at_a_time = runs.lock.lock().await;
    runs.queued.fetch_sub(1, Ordering::SeqCst);
    runs.running.store(true, Ordering::SeqCst);
    let (kind, due_at, by) = trigger.parts();
    let (by, now) = (by.to_owned(), state.now());
    let id = state
        .db()
        .write(move |c| runs::start(c, kind, due_at, &by, now))
        .await?;
    tracing::info!(run = id, trigger = kind.as_str(), "the close runs");
    let finished = run::close(state).await;
    let (done, now) = (finished.clone(), state.now());
    let recorded = state
        .db()
        .write(move |c| runs::finish(c, id, &done, now))
        .await;
    runs.running.store(false, Ordering::SeqCst);
    recorded?;
    tracing::info!(
        run = id,
        outcome = finished.outcome.as_str(),
        message = finished.message.as_deref().unwrap_or_default(),
        "the close ran"
    );
    alert(state, id, &finished).await;
    state
        .db()
        .read(|c| runs::latest(c, LISTED))
        .await?
        .into_iter()
        .find(|r| r.id == id)
        .ok_or_else(|| AppError::internal(format!("run {id} is not recorded")))
}

/// A run that could not run, or left journals for a person, tells people.
async fn alert(state: &AppState, id: u64, finished: &runs::Finished) {
    let run = i64::try_from(id).unwrap_or(i64::MAX);
    let message = finished.message.clone().unwrap_or_default();
    let organisation = state.hub().organisation().map(|o| o.name);
    let counts =
        serde_json::json!({"accepted": finished.accepted, "held_back": finished.held_back});
    let (kind, subject) = match finished.outcome {
        RunOutcome::Failed => (Kind::ScheduleFailed, Subject::Run(run)),
        _ if finished.held_back > 0 => (
            Kind::ScheduleProblems,
            finished.export.map_or(Subject::Run(run), Subject::Export),
        ),
        _ => return,
    };
    alerts::raise(
        state,
        &Alert {
            kind,
            subject,
            export: finished.export,
            run: Some(run),
            counts: Some(counts),
            message,
            organisation,
        },
    )
    .await;
}

/// Starts a run at once (an admin's): it runs to the end even if the request goes away.
pub async fn run_now(state: &AppState, by: &str) -> Result<ScheduleRun, AppError> {
    if state.feed().is_none() {
        return Err(AppError::Conflict(
            crate::feed::FeedReadError::NotConfigured.to_string(),
        ));
    }
    let (state, by) = (state.clone(), by.to_owned());
    tokio::spawn(async move { run_once(&state, Trigger::Admin(by)).await })
        .await
        .map_err(AppError::internal)?
}

/// `GET /api/schedule`.
pub async fn status(state: &AppState) -> Result<ScheduleStatus, AppError> {
    let close = &state.config().close;
    let schedule = close.schedule.as_ref().filter(|_| state.feed().is_some());
    Ok(ScheduleStatus {
        expression: close.schedule.as_ref().map(|s| s.expression().to_owned()),
        timezone: close.zone.name().to_owned(),
        feed: state.feed().is_some(),
        next_run: schedule.and_then(|s| s.next_after(state.now())),
        running: state.runs().running.load(Ordering::SeqCst),
        queued: state.runs().queued.load(Ordering::SeqCst),
        runs: state.db().read(|c| runs::latest(c, LISTED)).await?,
    })
}

/// The schedule: a run missed while the proxy was down once, then each run as its time comes.
/// Returns at once without a schedule or a feed.
pub async fn scheduler(state: AppState) {
    let close = &state.config().close;
    let (Some(schedule), Some(_)) = (close.schedule.clone(), state.feed()) else {
        return;
    };
    let now = state.now();
    let (expression, zone) = (
        schedule.expression().to_owned(),
        schedule.zone().name().to_owned(),
    );
    let since = state
        .db()
        .write(move |c| {
            runs::interrupted(c, now)?;
            let armed = runs::armed(c, &expression, &zone, now)?;
            let last = runs::last_due(c)?;
            Ok::<_, rusqlite::Error>(last.map_or(armed, |last| last.max(armed)))
        })
        .await;
    match since {
        Ok(since) => {
            if let Some(missed) = schedule.missed(since, now) {
                tracing::info!(%missed, "a run of the close was missed while the proxy was down");
                log(run_once(&state, Trigger::StartUp(missed)).await);
            }
        }
        Err(e) => tracing::error!(error = %e, "cannot read the close's runs"),
    }
    loop {
        let Some(next) = schedule.next_after(state.now()) else {
            return;
        };
        crate::worker::pacing::wait_until_by(&state, next, TICK).await;
        log(run_once(&state, Trigger::Schedule(next)).await);
    }
}

fn log(run: Result<ScheduleRun, AppError>) {
    if let Err(e) = run {
        tracing::error!(error = %e, "a run of the close could not be recorded");
    }
}
