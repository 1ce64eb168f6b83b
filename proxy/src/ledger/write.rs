//! Changes to the ledger: creating an export, the worker's transitions, retry and void. Each is
//! one transaction; a journal's state only moves along DESIGN.md's lifecycle.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{Connection, OptionalExtension as _, Transaction, params};
use srm_xero_shared::api::JournalState;
use srm_xero_shared::{PlannedJournal, Posting};

use super::tally::Tally;
use super::{Claimed, WORKER, i64_of, note, parse_state, settle_status, u64_of};

/// Why a change to the ledger was refused.
#[derive(Debug, thiserror::Error)]
pub enum Refused {
    /// A posting is already in a live journal of an export.
    #[error("posting {posting} is already in export #{export}")]
    AlreadyLive {
        /// The posting.
        posting: String,
        /// The export that holds it.
        export: u64,
    },
    /// The journal is not where the change needs it.
    #[error("{0}")]
    State(String),
    /// Nothing there.
    #[error("{0}")]
    NotFound(String),
    /// The database.
    #[error(transparent)]
    Db(#[from] rusqlite::Error),
}

/// Posting id → the export whose live (pending, posting or posted) journal holds it.
pub fn live_exports(
    conn: &Connection,
    ids: impl IntoIterator<Item = impl AsRef<str>>,
) -> rusqlite::Result<HashMap<String, u64>> {
    let mut statement = conn.prepare_cached(
        "SELECT j.export FROM journal_postings p JOIN journals j ON j.id = p.journal
         WHERE p.posting_id = ?1 AND p.live = 1",
    )?;
    let mut found = HashMap::new();
    for id in ids {
        let id = id.as_ref();
        if let Some(export) = statement
            .query_row([id], |r| r.get::<_, i64>(0))
            .optional()?
        {
            found.insert(id.to_owned(), u64_of(export));
        }
    }
    Ok(found)
}

/// The number the next export gets.
pub fn next_number(conn: &Connection) -> rusqlite::Result<u64> {
    let max: i64 = conn.query_row("SELECT COALESCE(MAX(number), 0) FROM exports", [], |r| {
        r.get(0)
    })?;
    Ok(u64_of(max) + 1)
}

/// Who did something.
#[derive(Debug, Clone, Copy)]
pub struct Actor<'a> {
    /// The caller token's `name`.
    pub name: &'a str,
    /// Its `sub`.
    pub sub: &'a str,
}

/// A new export to store.
#[derive(Debug)]
pub struct NewExportRow<'a> {
    /// Its number (from [`next_number`] in the same transaction).
    pub number: u64,
    /// Synced from.
    pub from: NaiveDate,
    /// Who pressed Accept.
    pub by: Actor<'a>,
    /// When.
    pub at: DateTime<Utc>,
    /// The journals, re-planned by the proxy.
    pub journals: Vec<PlannedJournal>,
    /// The source postings.
    pub postings: Vec<Posting>,
}

/// Stores an export with its journals (pending), their postings and histories. Each posting and
/// journal is dropped once stored: Accept of a big export is the proxy's peak of memory.
pub fn create(tx: &Transaction<'_>, export: NewExportRow<'_>) -> Result<(), Refused> {
    let ids = export.journals.iter().flat_map(|j| j.postings.iter());
    if let Some((posting, number)) = live_exports(tx, ids)?.into_iter().min() {
        return Err(Refused::AlreadyLive {
            posting,
            export: number,
        });
    }
    let number = i64_of(export.number);
    tx.execute(
        "INSERT INTO exports (number, from_date, created_by, created_by_sub, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![
            number,
            export.from,
            export.by.name,
            export.by.sub,
            export.at
        ],
    )?;
    // The postings first, each dropped once stored.
    for posting in export.postings {
        let body = serde_json::to_string(&posting)
            .map_err(|e| Refused::State(format!("posting does not serialise: {e}")))?;
        tx.execute(
            "INSERT OR IGNORE INTO postings (export, posting_id, body) VALUES (?1, ?2, ?3)",
            params![number, posting.id, body],
        )?;
    }
    for journal in export.journals {
        let planned = serde_json::to_string(&journal)
            .map_err(|e| Refused::State(format!("journal does not serialise: {e}")))?;
        tx.execute(
            "INSERT INTO journals (export, key, date, grp, narration, planned, state, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'pending', ?7)",
            params![
                number,
                journal.key.as_str(),
                journal.date,
                journal.group,
                journal.narration,
                planned,
                export.at
            ],
        )?;
        let id = tx.last_insert_rowid();
        // Planning groups postings by their date: each is dated as its journal.
        for posting in &journal.postings {
            insert_posting(tx, id, posting, journal.date)?;
        }
        note(
            tx,
            id,
            export.at,
            export.by.name,
            &format!("accepted in export #{}", export.number),
        )?;
    }
    Ok(())
}

fn insert_posting(
    tx: &Connection,
    journal: i64,
    posting: &str,
    date: NaiveDate,
) -> Result<(), Refused> {
    let inserted = tx.execute(
        "INSERT INTO journal_postings (journal, posting_id, posting_date, live) VALUES (?1, ?2, ?3, 1)",
        params![journal, posting, date],
    );
    match inserted {
        Ok(_) => Ok(()),
        // The partial unique index: another live journal took this posting first.
        Err(rusqlite::Error::SqliteFailure(e, _))
            if e.code == rusqlite::ErrorCode::ConstraintViolation =>
        {
            let export = live_exports(tx, [posting])?
                .get(posting)
                .copied()
                .unwrap_or_default();
            Err(Refused::AlreadyLive {
                posting: posting.to_owned(),
                export,
            })
        }
        Err(e) => Err(e.into()),
    }
}

fn set_live(conn: &Connection, journal: i64, live: bool) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE journal_postings SET live = ?2 WHERE journal = ?1",
        params![journal, i64::from(live)],
    )?;
    Ok(())
}

fn planned_of(text: &str) -> rusqlite::Result<PlannedJournal> {
    serde_json::from_str(text).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
    })
}

fn claimed_rows(conn: &Connection, sql: &str, arg: i64) -> rusqlite::Result<Vec<Claimed>> {
    let mut statement = conn.prepare_cached(sql)?;
    statement
        .query_map([arg], |r| {
            Ok(Claimed {
                id: r.get(0)?,
                export: u64_of(r.get(1)?),
                planned: planned_of(&r.get::<_, String>(2)?)?,
            })
        })?
        .collect()
}

/// Takes up to `max` pending journals for one call: `posting` with the call's idempotency key,
/// committed before the call is sent.
pub fn claim(
    conn: &mut Connection,
    tally: &Tally,
    max: usize,
    attempt: &str,
    at: DateTime<Utc>,
) -> rusqlite::Result<Vec<Claimed>> {
    let tx = conn.transaction()?;
    let claimed = claimed_rows(
        &tx,
        "SELECT id, export, planned FROM journals WHERE state = 'pending' ORDER BY id LIMIT ?1",
        i64::try_from(max).unwrap_or(50),
    )?;
    for journal in &claimed {
        tx.execute(
            "UPDATE journals SET state = 'posting', attempt = ?2, updated_at = ?3 WHERE id = ?1",
            params![journal.id, attempt, at],
        )?;
        note(
            &tx,
            journal.id,
            at,
            WORKER,
            &format!("sent to Xero (Idempotency-Key {attempt})"),
        )?;
    }
    tx.commit()?;
    let mut per_export: HashMap<u64, u32> = HashMap::new();
    for journal in &claimed {
        *per_export.entry(journal.export).or_default() += 1;
    }
    for (export, n) in per_export {
        tally.moved(export, JournalState::Pending, JournalState::Posting, n);
    }
    Ok(claimed)
}

/// Journals left in `posting` (by a call whose outcome is unknown, or a proxy that stopped).
pub fn in_flight(conn: &Connection) -> rusqlite::Result<Vec<Claimed>> {
    claimed_rows(
        conn,
        "SELECT id, export, planned FROM journals WHERE state = 'posting' AND id > ?1 ORDER BY id",
        0,
    )
}

/// What became of one journal sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// In Xero with this ManualJournalID (and Xero's warnings, if any).
    Posted {
        /// Xero's id.
        xero_id: String,
        /// Warnings, kept as messages.
        warnings: Vec<String>,
        /// How it was learnt ("posted", "found in Xero by its key").
        how: String,
    },
    /// Refused with these messages.
    Failed(Vec<String>),
    /// Not in Xero: back to pending (a new call, a new key).
    Requeue(String),
}

/// Records the outcome of a journal that is `posting`.
pub fn settle(
    conn: &mut Connection,
    tally: &Tally,
    journal: &Claimed,
    outcome: &Outcome,
    at: DateTime<Utc>,
) -> rusqlite::Result<()> {
    let tx = conn.transaction()?;
    let current: Option<String> = tx
        .query_row(
            "SELECT state FROM journals WHERE id = ?1",
            [journal.id],
            |r| r.get(0),
        )
        .optional()?;
    if current.as_deref() != Some("posting") {
        return Ok(());
    }
    let to = match outcome {
        Outcome::Posted { .. } => JournalState::Posted,
        Outcome::Failed(_) => JournalState::Failed,
        Outcome::Requeue(_) => JournalState::Pending,
    };
    match outcome {
        Outcome::Posted {
            xero_id,
            warnings,
            how,
        } => {
            tx.execute(
                "UPDATE journals SET state = 'posted', xero_id = ?2, messages = ?3, updated_at = ?4
                 WHERE id = ?1",
                params![journal.id, xero_id, json_list(warnings), at],
            )?;
            note(&tx, journal.id, at, WORKER, &format!("{how} ({xero_id})"))?;
        }
        Outcome::Failed(messages) => {
            tx.execute(
                "UPDATE journals SET state = 'failed', messages = ?2, attempt = NULL, updated_at = ?3
                 WHERE id = ?1",
                params![journal.id, json_list(messages), at],
            )?;
            set_live(&tx, journal.id, false)?;
            note(
                &tx,
                journal.id,
                at,
                WORKER,
                &format!("refused by Xero: {}", messages.join("; ")),
            )?;
        }
        Outcome::Requeue(why) => {
            tx.execute(
                "UPDATE journals SET state = 'pending', attempt = NULL, updated_at = ?2 WHERE id = ?1",
                params![journal.id, at],
            )?;
            note(&tx, journal.id, at, WORKER, why)?;
        }
    }
    settle_status(&tx, journal.export)?;
    tx.commit()?;
    tally.moved(journal.export, JournalState::Posting, to, 1);
    Ok(())
}

fn json_list(items: &[String]) -> String {
    serde_json::to_string(items).unwrap_or_else(|_| "[]".into())
}

fn journal_row(conn: &Connection, export: u64, key: &str) -> Result<(i64, String), Refused> {
    conn.query_row(
        "SELECT id, state FROM journals WHERE export = ?1 AND key = ?2",
        params![i64_of(export), key],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
    .optional()?
    .ok_or_else(|| Refused::NotFound(format!("export #{export} has no journal {key}")))
}

/// Voids a pending or failed journal, with who, when and why.
pub fn void(
    conn: &mut Connection,
    tally: &Tally,
    export: u64,
    key: &str,
    by: Actor<'_>,
    reason: &str,
    at: DateTime<Utc>,
) -> Result<(), Refused> {
    let tx = conn.transaction()?;
    let (id, state) = journal_row(&tx, export, key)?;
    match state.as_str() {
        "pending" | "failed" => {}
        "posting" => {
            return Err(Refused::State(format!(
                "journal {key} is being sent to Xero right now; void it once its answer is in"
            )));
        }
        "posted" => {
            return Err(Refused::State(format!(
                "journal {key} is already in Xero: void it in Xero"
            )));
        }
        _ => return Err(Refused::State(format!("journal {key} is already voided"))),
    }
    tx.execute(
        "UPDATE journals SET state = 'voided', attempt = NULL, voided_by = ?2, voided_at = ?3,
           void_reason = ?4, updated_at = ?3 WHERE id = ?1",
        params![id, by.name, at, reason],
    )?;
    set_live(&tx, id, false)?;
    note(&tx, id, at, by.name, &format!("voided: {reason}"))?;
    settle_status(&tx, export)?;
    tx.commit()?;
    tally.moved(export, parse_state(&state), JournalState::Voided, 1);
    Ok(())
}

/// Puts failed journals back to pending with their re-planned content.
pub fn retry(
    conn: &mut Connection,
    tally: &Tally,
    export: u64,
    journals: &[PlannedJournal],
    postings: &[Posting],
    by: Actor<'_>,
    at: DateTime<Utc>,
) -> Result<(), Refused> {
    let tx = conn.transaction()?;
    for journal in journals {
        let (id, state) = journal_row(&tx, export, journal.key.as_str())?;
        if state != "failed" {
            return Err(Refused::State(format!(
                "journal {} is {state}: only failed journals can be retried",
                journal.key
            )));
        }
        let planned = serde_json::to_string(journal)
            .map_err(|e| Refused::State(format!("journal does not serialise: {e}")))?;
        tx.execute(
            "UPDATE journals SET state = 'pending', planned = ?2, narration = ?3, messages = '[]',
               attempt = NULL, updated_at = ?4 WHERE id = ?1",
            params![id, planned, journal.narration, at],
        )?;
        tx.execute("DELETE FROM journal_postings WHERE journal = ?1", [id])?;
        for posting in &journal.postings {
            let date = postings
                .iter()
                .find(|p| &p.id == posting)
                .map_or(journal.date, |p| p.date);
            insert_posting(&tx, id, posting, date)?;
        }
        note(
            &tx,
            id,
            at,
            by.name,
            "retried, re-planned with today's mapping",
        )?;
    }
    for posting in postings {
        let body = serde_json::to_string(posting)
            .map_err(|e| Refused::State(format!("posting does not serialise: {e}")))?;
        tx.execute(
            "INSERT OR REPLACE INTO postings (export, posting_id, body) VALUES (?1, ?2, ?3)",
            params![i64_of(export), posting.id, body],
        )?;
    }
    settle_status(&tx, export)?;
    tx.commit()?;
    let n = u32::try_from(journals.len()).unwrap_or(u32::MAX);
    tally.moved(export, JournalState::Failed, JournalState::Pending, n);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use srm_xero_shared::JournalKey;

    fn at() -> DateTime<Utc> {
        DateTime::from_timestamp(1_566_291_600, 0).unwrap()
    }

    fn journal(ids: &[&str]) -> PlannedJournal {
        PlannedJournal {
            key: JournalKey::from_posting_ids(ids.iter().copied()),
            date: NaiveDate::from_ymd_opt(2019, 8, 19).unwrap(),
            group: "Division 1".into(),
            narration: "n".into(),
            url: None,
            status: srm_xero_shared::mapping::PostAs::Posted,
            lines: Vec::new(),
            postings: ids.iter().map(|s| (*s).to_owned()).collect(),
            problems: Vec::new(),
        }
    }

    fn store(conn: &mut Connection, journals: &[PlannedJournal]) -> Result<u64, Refused> {
        let tx = conn.transaction()?;
        let number = next_number(&tx)?;
        let by = Actor {
            name: "Pat",
            sub: "pat",
        };
        create(
            &tx,
            NewExportRow {
                number,
                from: NaiveDate::from_ymd_opt(2019, 8, 1).unwrap(),
                by,
                at: at(),
                journals: journals.to_vec(),
                postings: Vec::new(),
            },
        )?;
        tx.commit()?;
        Ok(number)
    }

    #[test]
    fn a_posting_is_in_one_live_journal_and_free_again_once_voided() {
        let dir = tempfile::tempdir().unwrap();
        let db = crate::db::Db::open(dir.path()).unwrap();
        db.with(|c| {
            assert_eq!(store(c, &[journal(&["GL-1", "GL-2"])]).unwrap(), 1);
            let refused = store(c, &[journal(&["GL-2", "GL-3"])]).unwrap_err();
            assert!(
                matches!(refused, Refused::AlreadyLive { export: 1, .. }),
                "{refused}"
            );
            // The schema itself refuses, whatever the code checked before.
            let second = c
                .execute(
                    "INSERT INTO journal_postings (journal, posting_id, posting_date, live)
                     VALUES (1, 'GL-1', '2019-08-19', 1)",
                    [],
                )
                .unwrap_err();
            assert!(second.to_string().contains("UNIQUE"), "{second}");
            let key = journal(&["GL-1", "GL-2"]).key;
            let by = Actor {
                name: "Pat",
                sub: "pat",
            };
            let tally = Tally::default();
            void(
                c,
                &tally,
                1,
                key.as_str(),
                by,
                "duplicate of a hand entry",
                at(),
            )
            .unwrap();
            assert_eq!(store(c, &[journal(&["GL-2", "GL-3"])]).unwrap(), 2);
            let status: String =
                c.query_row("SELECT status FROM exports WHERE number = 1", [], |r| {
                    r.get(0)
                })?;
            assert_eq!(status, "exported");
            Ok(())
        })
        .unwrap();
    }
}
