//! The close's runs in SQLite (`schedule_runs`), and when each schedule was first in force
//! (`schedule_armed`).

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{Connection, OptionalExtension as _, params};
use srm_xero_shared::api::{JournalState, RunOutcome, RunTrigger, ScheduleRun};

use crate::ledger::names::Named;
use crate::ledger::{i64_of, u64_of};

/// How a run ended, to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finished {
    /// How it ended.
    pub outcome: RunOutcome,
    /// The days it read.
    pub days: Option<(NaiveDate, NaiveDate)>,
    /// The export it made.
    pub export: Option<u64>,
    /// Journals accepted.
    pub accepted: u32,
    /// Journals left for a person.
    pub held_back: u32,
    /// In words.
    pub message: Option<String>,
}

impl Finished {
    /// A run that could not run, saying why.
    pub fn failed(days: Option<(NaiveDate, NaiveDate)>, message: String) -> Finished {
        Finished {
            outcome: RunOutcome::Failed,
            days,
            export: None,
            accepted: 0,
            held_back: 0,
            message: Some(message),
        }
    }

    /// A run that found nothing to post, saying why.
    pub fn nothing(days: Option<(NaiveDate, NaiveDate)>, message: String) -> Finished {
        Finished {
            outcome: RunOutcome::Nothing,
            ..Finished::failed(days, message)
        }
    }
}

/// Records a run starting now; answers its id.
pub fn start(
    conn: &Connection,
    trigger: RunTrigger,
    due_at: Option<DateTime<Utc>>,
    by: &str,
    now: DateTime<Utc>,
) -> rusqlite::Result<u64> {
    conn.execute(
        "INSERT INTO schedule_runs (trigger, due_at, started_at, started_by) VALUES (?1, ?2, ?3, ?4)",
        params![Named(trigger), due_at, now, by],
    )?;
    Ok(u64_of(conn.last_insert_rowid()))
}

/// Records how run `id` ended.
pub fn finish(
    conn: &Connection,
    id: u64,
    finished: &Finished,
    now: DateTime<Utc>,
) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE schedule_runs SET finished_at = ?2, outcome = ?3, from_date = ?4, to_date = ?5,
           export = ?6, accepted = ?7, held_back = ?8, message = ?9
         WHERE id = ?1",
        params![
            i64_of(id),
            now,
            Named(finished.outcome),
            finished.days.map(|d| d.0),
            finished.days.map(|d| d.1),
            finished.export.map(i64_of),
            finished.accepted,
            finished.held_back,
            finished.message,
        ],
    )?;
    Ok(())
}

/// Runs left `running` by a proxy that stopped mid-run: ended as failed, saying so.
pub fn interrupted(conn: &Connection, now: DateTime<Utc>) -> rusqlite::Result<usize> {
    conn.execute(
        "UPDATE schedule_runs SET outcome = ?1, finished_at = ?2,
           message = 'the proxy stopped during the run; anything it accepted is in its export'
         WHERE outcome = ?3",
        params![Named(RunOutcome::Failed), now, Named(RunOutcome::Running)],
    )
}

/// The latest runs, newest first; `posted` is read from each export's journals.
pub fn latest(conn: &Connection, limit: usize) -> rusqlite::Result<Vec<ScheduleRun>> {
    let mut statement = conn.prepare(
        "SELECT r.id, r.trigger, r.due_at, r.started_at, r.started_by, r.finished_at, r.from_date,
                r.to_date, r.outcome, r.export, r.accepted, r.held_back, r.message,
                (SELECT COUNT(*) FROM journals j WHERE j.export = r.export AND j.state = ?2)
         FROM schedule_runs r ORDER BY r.id DESC LIMIT ?1",
    )?;
    statement
        .query_map(
            params![
                i64::try_from(limit).unwrap_or(i64::MAX),
                Named(JournalState::Posted)
            ],
            |r| {
                let export: Option<i64> = r.get(9)?;
                Ok(ScheduleRun {
                    id: u64_of(r.get(0)?),
                    trigger: r.get::<_, Named<RunTrigger>>(1)?.0,
                    due_at: r.get(2)?,
                    started_at: r.get(3)?,
                    started_by: r.get(4)?,
                    finished_at: r.get(5)?,
                    from: r.get(6)?,
                    to: r.get(7)?,
                    outcome: r.get::<_, Named<RunOutcome>>(8)?.0,
                    export: export.map(u64_of),
                    accepted: r.get(10)?,
                    held_back: r.get(11)?,
                    posted: export
                        .map(|_| {
                            r.get::<_, i64>(13)
                                .map(|n| u32::try_from(n).unwrap_or(u32::MAX))
                        })
                        .transpose()?,
                    message: r.get(12)?,
                })
            },
        )?
        .collect()
}

/// The latest scheduled instant a run was made for (by the schedule or at start-up).
pub fn last_due(conn: &Connection) -> rusqlite::Result<Option<DateTime<Utc>>> {
    conn.query_row(
        "SELECT MAX(due_at) FROM schedule_runs WHERE due_at IS NOT NULL",
        [],
        |r| r.get(0),
    )
}

/// When `expression` in `zone` was first in force (now, the first time it is seen).
pub fn armed(
    conn: &Connection,
    expression: &str,
    zone: &str,
    now: DateTime<Utc>,
) -> rusqlite::Result<DateTime<Utc>> {
    conn.execute(
        "INSERT OR IGNORE INTO schedule_armed (expression, timezone, armed_at) VALUES (?1, ?2, ?3)",
        params![expression, zone, now],
    )?;
    conn.query_row(
        "SELECT armed_at FROM schedule_armed WHERE expression = ?1 AND timezone = ?2",
        params![expression, zone],
        |r| r.get(0),
    )
    .optional()
    .map(|at| at.unwrap_or(now))
}
