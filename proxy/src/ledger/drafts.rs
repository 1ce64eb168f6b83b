//! Drafts: an Accept's postings as they arrive in pieces, and the export made of them.
//!
//! A piece is stored as it arrives (one short transaction), so the proxy never holds a close in
//! memory. Accept then plans the draft one run of posting dates at a time (a journal never spans
//! two dates), stages the accepted journals in a temporary table of the writer connection, and
//! stores the export in one short final transaction — the export with all its journals, or
//! nothing. The draft's postings stay as the export's source postings (the journal detail, and
//! Retry re-plans from them). A draft never accepted is dropped after [`DRAFT_LIFETIME`], a few
//! thousand rows a step ([`sweep`]).

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use rusqlite::{Connection, OptionalExtension as _, params};
use srm_xero_shared::api::{JournalState, OrganisationRef};
use srm_xero_shared::{PlannedJournal, Posting};

use super::names::Named;
use super::write::{Actor, Refused, next_number, note_export, replaced};
use super::{i64_of, u64_of};

/// How long a draft waits for its Accept.
pub const DRAFT_LIFETIME: TimeDelta = TimeDelta::hours(2);

/// Rows a step of [`sweep`] deletes.
pub const SWEEP_ROWS: usize = 5_000;

/// An open draft: not accepted, not expired.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draft {
    /// The row id.
    pub id: i64,
    /// Sync from this date.
    pub from: NaiveDate,
    /// Distinct postings it holds.
    pub received: u64,
    /// Accept is planning it.
    pub accepting: bool,
}

fn posting_of(body: &str) -> rusqlite::Result<Posting> {
    serde_json::from_str(body).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
    })
}

/// Stores a new draft `token` for `by`, synced from `from`.
pub fn create(
    conn: &Connection,
    token: &str,
    from: NaiveDate,
    by: Actor<'_>,
    at: DateTime<Utc>,
) -> rusqlite::Result<DateTime<Utc>> {
    let expires_at = at + DRAFT_LIFETIME;
    conn.execute(
        "INSERT INTO drafts (token, from_date, created_by, created_by_sub, created_at, expires_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![token, from, by.name, by.sub, at, expires_at],
    )?;
    Ok(expires_at)
}

/// The open draft `token` of the caller `sub` at `now`: another caller's, an expired one or
/// one already accepted is not found.
pub fn find(
    conn: &Connection,
    token: &str,
    sub: &str,
    now: DateTime<Utc>,
) -> rusqlite::Result<Option<Draft>> {
    conn.query_row(
        "SELECT id, from_date, received, accepting FROM drafts
         WHERE token = ?1 AND created_by_sub = ?2 AND expires_at > ?3 AND export IS NULL",
        params![token, sub, now],
        |r| {
            Ok(Draft {
                id: r.get(0)?,
                from: r.get(1)?,
                received: u64_of(r.get(2)?),
                accepting: r.get::<_, i64>(3)? == 1,
            })
        },
    )
    .optional()
}

/// Adds a piece of postings to draft `id`, all or nothing: a posting it already holds with the
/// same content is taken once (a piece sent again after a lost answer); the same id with other
/// content is refused, naming it; the draft may not grow beyond `max` postings. Answers the
/// distinct postings it holds now.
pub fn add(conn: &mut Connection, id: i64, postings: &[Posting], max: u64) -> Result<u64, Refused> {
    let tx = conn.transaction()?;
    let (received, accepting): (i64, i64) = tx
        .query_row(
            "SELECT received, accepting FROM drafts WHERE id = ?1 AND export IS NULL",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?
        .ok_or_else(|| Refused::NotFound("the draft was accepted or dropped".into()))?;
    if accepting == 1 {
        return Err(Refused::State(
            "this draft is being accepted: no postings can be added to it now".into(),
        ));
    }
    let mut added = 0u64;
    {
        let mut insert = tx.prepare_cached(
            "INSERT INTO postings (draft, posting_id, posting_date, body) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (draft, posting_id) DO NOTHING",
        )?;
        let mut held =
            tx.prepare_cached("SELECT body FROM postings WHERE draft = ?1 AND posting_id = ?2")?;
        for posting in postings {
            let body = serde_json::to_string(posting)
                .map_err(|e| Refused::State(format!("posting does not serialise: {e}")))?;
            if insert.execute(params![id, posting.id, posting.date, body])? == 1 {
                added += 1;
                continue;
            }
            let before: String = held.query_row(params![id, posting.id], |r| r.get(0))?;
            if before != body {
                return Err(Refused::State(format!(
                    "posting {} was sent before in this draft with other content: read the feed (or the file) again and press Accept again",
                    posting.id
                )));
            }
        }
    }
    let now = u64_of(received) + added;
    if now > max {
        return Err(Refused::Invalid(format!(
            "this export would hold {now} postings, more than the {max} one export may hold: choose a later Sync from date (a shorter range) and export the rest after it"
        )));
    }
    tx.execute(
        "UPDATE drafts SET received = ?2 WHERE id = ?1",
        params![id, i64_of(now)],
    )?;
    tx.commit()?;
    Ok(now)
}

/// Drops draft `id` (its postings go with the next sweeps).
pub fn discard(conn: &Connection, id: i64, now: DateTime<Utc>) -> rusqlite::Result<bool> {
    Ok(conn.execute(
        "UPDATE drafts SET expires_at = ?2 WHERE id = ?1 AND export IS NULL AND accepting = 0",
        params![id, now],
    )? == 1)
}

/// Deletes up to [`SWEEP_ROWS`] postings of drafts expired at `now` (and a draft once it has no
/// postings left); answers how many rows went, 0 when nothing is left to sweep.
pub fn sweep(conn: &mut Connection, now: DateTime<Utc>) -> rusqlite::Result<usize> {
    let tx = conn.transaction()?;
    let Some(id) = tx
        .query_row(
            "SELECT id FROM drafts WHERE expires_at <= ?1 AND export IS NULL AND accepting = 0
             ORDER BY id LIMIT 1",
            [now],
            |r| r.get::<_, i64>(0),
        )
        .optional()?
    else {
        return Ok(0);
    };
    let mut gone = tx.execute(
        "DELETE FROM postings WHERE draft = ?1 AND posting_id IN (
             SELECT posting_id FROM postings WHERE draft = ?1 LIMIT ?2)",
        params![id, i64::try_from(SWEEP_ROWS).unwrap_or(i64::MAX)],
    )?;
    if gone == 0 {
        gone = tx.execute("DELETE FROM drafts WHERE id = ?1", [id])?;
    }
    tx.commit()?;
    Ok(gone)
}

/// A draft left accepting by a proxy that stopped can be accepted again (nothing of it was
/// stored: the export is stored in one transaction).
pub fn after_restart(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute("UPDATE drafts SET accepting = 0 WHERE accepting = 1", [])?;
    Ok(())
}

/// Marks draft `id` as being accepted; `false` when it is already, or gone.
pub fn begin_accepting(conn: &mut Connection, id: i64) -> rusqlite::Result<bool> {
    let tx = conn.transaction()?;
    let taken = tx.execute(
        "UPDATE drafts SET accepting = 1 WHERE id = ?1 AND accepting = 0 AND export IS NULL",
        [id],
    )? == 1;
    staging(&tx)?;
    tx.execute("DELETE FROM temp.staged_journals WHERE draft = ?1", [id])?;
    tx.commit()?;
    Ok(taken)
}

/// Accept of draft `id` ended without an export: it is open again, its staged journals gone.
pub fn end_accepting(conn: &mut Connection, id: i64) -> rusqlite::Result<()> {
    let tx = conn.transaction()?;
    tx.execute(
        "UPDATE drafts SET accepting = 0 WHERE id = ?1 AND export IS NULL",
        [id],
    )?;
    staging(&tx)?;
    tx.execute("DELETE FROM temp.staged_journals WHERE draft = ?1", [id])?;
    tx.commit()
}

/// The draft's posting dates from `from`, cut into runs of whole days of about `per_step`
/// postings (a day with more is a run of its own), oldest first.
pub fn steps(
    conn: &Connection,
    id: i64,
    from: NaiveDate,
    per_step: u64,
) -> rusqlite::Result<Vec<(NaiveDate, NaiveDate)>> {
    let mut statement = conn.prepare(
        "SELECT posting_date, COUNT(*) FROM postings WHERE draft = ?1 AND posting_date >= ?2
         GROUP BY posting_date ORDER BY posting_date",
    )?;
    let days = statement
        .query_map(params![id, from], |r| {
            Ok((r.get::<_, NaiveDate>(0)?, u64_of(r.get(1)?)))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let mut runs: Vec<(NaiveDate, NaiveDate, u64)> = Vec::new();
    for (day, count) in days {
        match runs.last_mut() {
            Some((_, last, n)) if *n + count <= per_step => {
                *last = day;
                *n += count;
            }
            _ => runs.push((day, day, count)),
        }
    }
    Ok(runs.into_iter().map(|(a, b, _)| (a, b)).collect())
}

/// The draft's postings dated `first` to `last`.
pub fn postings_between(
    conn: &Connection,
    id: i64,
    first: NaiveDate,
    last: NaiveDate,
) -> rusqlite::Result<Vec<Posting>> {
    let mut statement = conn.prepare_cached(
        "SELECT body FROM postings WHERE draft = ?1 AND posting_date BETWEEN ?2 AND ?3",
    )?;
    statement
        .query_map(params![id, first, last], |r| {
            posting_of(&r.get::<_, String>(0)?)
        })?
        .collect()
}

/// The source postings `ids` of export `export` (those it holds).
pub fn of_export(conn: &Connection, export: u64, ids: &[String]) -> rusqlite::Result<Vec<Posting>> {
    let Some(draft) = conn
        .query_row(
            "SELECT id FROM drafts WHERE export = ?1",
            [i64_of(export)],
            |r| r.get::<_, i64>(0),
        )
        .optional()?
    else {
        return Ok(Vec::new());
    };
    let mut statement =
        conn.prepare_cached("SELECT body FROM postings WHERE draft = ?1 AND posting_id = ?2")?;
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        if let Some(body) = statement
            .query_row(params![draft, id], |r| r.get::<_, String>(0))
            .optional()?
        {
            out.push(posting_of(&body)?);
        }
    }
    Ok(out)
}

/// The writer connection's staging table (temporary: gone with the connection, never synced).
fn staging(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch(
        "CREATE TEMP TABLE IF NOT EXISTS staged_journals (
             draft     INTEGER NOT NULL,
             position  INTEGER NOT NULL,
             key       TEXT    NOT NULL,
             date      TEXT    NOT NULL,
             grp       TEXT    NOT NULL,
             narration TEXT    NOT NULL,
             planned   TEXT    NOT NULL,
             PRIMARY KEY (draft, position)
         )",
    )
}

/// Stages accepted journals of draft `id`, each with its position in the accepted list.
pub fn stage(
    conn: &mut Connection,
    id: i64,
    journals: &[(usize, PlannedJournal)],
) -> Result<(), Refused> {
    let tx = conn.transaction()?;
    staging(&tx)?;
    {
        let mut insert = tx.prepare_cached(
            "INSERT INTO temp.staged_journals (draft, position, key, date, grp, narration, planned)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?;
        for (position, journal) in journals {
            let planned = serde_json::to_string(journal)
                .map_err(|e| Refused::State(format!("journal does not serialise: {e}")))?;
            insert.execute(params![
                id,
                i64::try_from(*position).unwrap_or(i64::MAX),
                journal.key.as_str(),
                journal.date,
                journal.group,
                journal.narration,
                planned
            ])?;
        }
    }
    tx.commit()?;
    Ok(())
}

/// A re-post's journal, voided here as the export that takes over its postings is stored.
#[derive(Debug, Clone)]
pub struct Replaces<'a> {
    /// Its export.
    pub export: u64,
    /// Its key.
    pub key: &'a str,
    /// Why it is voided (its history).
    pub why: String,
    /// Where the new journals came from (their history).
    pub note: String,
}

/// Holds the postings of export `number`'s journals for `tenant`; refused, naming the export
/// that holds one, when another live journal of the organisation took it first.
fn hold_postings(tx: &Connection, number: i64, tenant: &str, draft: i64) -> Result<(), Refused> {
    // Planning groups postings by date: each is dated as its journal.
    let held = tx.execute(
        "INSERT INTO journal_postings (journal, posting_id, posting_date, live, tenant_id)
         SELECT j.id, p.value, j.date, 1, ?2
         FROM journals j, json_each(j.planned, '$.postings') p WHERE j.export = ?1",
        params![number, tenant],
    );
    match held {
        Ok(_) => {}
        // The partial unique index: another live journal of the organisation took one first.
        Err(rusqlite::Error::SqliteFailure(e, _))
            if e.code == rusqlite::ErrorCode::ConstraintViolation =>
        {
            let (posting, export) = tx.query_row(
                "SELECT p.value, j.export
                 FROM temp.staged_journals s, json_each(s.planned, '$.postings') p
                 JOIN journal_postings jp ON jp.posting_id = p.value AND jp.live = 1
                   AND (jp.tenant_id IS NULL OR jp.tenant_id = ?2)
                 JOIN journals j ON j.id = jp.journal
                 WHERE s.draft = ?1 LIMIT 1",
                params![draft, tenant],
                |r| Ok((r.get::<_, String>(0)?, u64_of(r.get(1)?))),
            )?;
            return Err(Refused::AlreadyLive { posting, export });
        }
        Err(e) => return Err(e.into()),
    }
    Ok(())
}

/// The export Accept makes of a draft.
#[derive(Debug, Clone)]
pub struct Accepted<'a> {
    /// The draft.
    pub draft: i64,
    /// The number it was planned as (the narrations carry it).
    pub number: u64,
    /// Synced from.
    pub from: NaiveDate,
    /// Who pressed Accept.
    pub by: Actor<'a>,
    /// When.
    pub at: DateTime<Utc>,
    /// The organisation it is accepted for: its journals go nowhere else.
    pub organisation: &'a OrganisationRef,
    /// A re-post: the journal it replaces.
    pub replaces: Option<Replaces<'a>>,
}

/// Stores export `accepted.number` with the staged journals (pending), their postings (held
/// for the organisation) and their histories, in one transaction, change `seq`. Refused when
/// the number was taken meanwhile or a posting is live in another export by now.
pub fn commit(conn: &mut Connection, accepted: &Accepted<'_>, seq: u64) -> Result<(), Refused> {
    let tx = conn.transaction()?;
    staging(&tx)?;
    if next_number(&tx)? != accepted.number {
        return Err(Refused::State(format!(
            "export #{} was made by another Accept meanwhile: press Accept again",
            accepted.number
        )));
    }
    if let Some(old) = &accepted.replaces {
        // Its postings are freed before the new journals hold them.
        replaced(
            &tx,
            seq,
            old.export,
            old.key,
            accepted.by,
            &old.why,
            accepted.at,
        )?;
    }
    let tenant = accepted.organisation.tenant_id.as_str();
    let number = i64_of(accepted.number);
    tx.execute(
        "INSERT INTO exports (number, from_date, created_by, created_by_sub, created_at,
                              tenant_id, tenant_name)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            number,
            accepted.from,
            accepted.by.name,
            accepted.by.sub,
            accepted.at,
            tenant,
            accepted.organisation.name,
        ],
    )?;
    let claimed = tx.execute(
        "UPDATE drafts SET export = ?2, accepting = 0
         WHERE id = ?1 AND accepting = 1 AND export IS NULL",
        params![accepted.draft, number],
    )?;
    if claimed != 1 {
        return Err(Refused::State(
            "this draft is no longer being accepted: press Accept again".into(),
        ));
    }
    tx.execute(
        "INSERT INTO journals (export, key, date, grp, narration, planned, state, tenant_id,
                               updated_at, seq)
         SELECT ?1, key, date, grp, narration, planned, ?2, ?3, ?4, ?5
         FROM temp.staged_journals WHERE draft = ?6 ORDER BY position",
        params![
            number,
            Named(JournalState::Pending),
            tenant,
            accepted.at,
            i64_of(seq),
            accepted.draft
        ],
    )?;
    hold_postings(&tx, number, tenant, accepted.draft)?;
    tx.execute(
        "INSERT INTO history (journal, at, who, what)
         SELECT id, ?2, ?3, ?4 FROM journals WHERE export = ?1 ORDER BY id",
        params![
            number,
            accepted.at,
            accepted.by.name,
            format!(
                "accepted in export #{} for {}",
                accepted.number, accepted.organisation.name
            )
        ],
    )?;
    if let Some(old) = &accepted.replaces {
        note_export(&tx, accepted.number, accepted.by, &old.note, accepted.at)?;
    }
    tx.execute(
        "DELETE FROM temp.staged_journals WHERE draft = ?1",
        [accepted.draft],
    )?;
    tx.commit()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::write::tests::at;

    fn posting(id: &str, day: u32) -> Posting {
        serde_json::from_value(serde_json::json!({
            "id": id, "date": format!("2019-08-{day:02}"), "account": "1200",
            "account_description": "A/R", "debit": "1.00", "credit": "0", "source": "AR",
            "reference": "INV-1", "memo": "",
        }))
        .unwrap()
    }

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2019, 8, d).unwrap()
    }

    fn draft_with(conn: &mut Connection, postings: &[Posting]) -> i64 {
        let by = Actor {
            name: "Pat",
            sub: "pat",
        };
        create(conn, "d1", day(1), by, at()).unwrap();
        let draft = find(conn, "d1", "pat", at()).unwrap().unwrap();
        assert_eq!(
            add(conn, draft.id, postings, 100).unwrap(),
            postings.len() as u64
        );
        draft.id
    }

    #[test]
    fn accept_plans_runs_of_whole_days_of_about_a_step_each() {
        let dir = tempfile::tempdir().unwrap();
        let db = crate::db::Db::open(dir.path(), at()).unwrap();
        db.with(|c| {
            // Days 2 and 3 hold two postings each, day 5 holds five, day 6 one.
            let mut postings = Vec::new();
            for (n, d) in [2, 2, 3, 3, 5, 5, 5, 5, 5, 6].into_iter().enumerate() {
                postings.push(posting(&format!("GL-{n}"), d));
            }
            let id = draft_with(c, &postings);
            let runs = steps(c, id, day(1), 4).unwrap();
            assert_eq!(runs, [(day(2), day(3)), (day(5), day(5)), (day(6), day(6))]);
            assert_eq!(steps(c, id, day(3), 100).unwrap(), [(day(3), day(6))]);
            let read = postings_between(c, id, day(5), day(6)).unwrap();
            assert_eq!(read, postings[4..]);
        });
    }

    #[test]
    fn a_draft_past_its_life_is_swept_a_step_at_a_time() {
        let dir = tempfile::tempdir().unwrap();
        let db = crate::db::Db::open(dir.path(), at()).unwrap();
        db.with(|c| {
            let postings: Vec<Posting> = (0..SWEEP_ROWS + 10)
                .map(|n| posting(&format!("GL-{n}"), 2))
                .collect();
            let id = draft_with(c, &postings[..100]);
            // The limit holds for pieces sent again as for new ones.
            let refused = add(c, id, &postings[..101], 100).unwrap_err();
            assert!(
                refused.to_string().contains("more than the 100"),
                "{refused}"
            );
            assert_eq!(
                add(c, id, &postings[100..], u64::MAX).unwrap(),
                postings.len() as u64
            );
            assert_eq!(sweep(c, at()).unwrap(), 0, "not expired yet");
            let later = at() + DRAFT_LIFETIME;
            assert_eq!(find(c, "d1", "pat", later).unwrap(), None);
            assert_eq!(sweep(c, later).unwrap(), SWEEP_ROWS);
            assert_eq!(sweep(c, later).unwrap(), 10);
            assert_eq!(sweep(c, later).unwrap(), 1, "then the draft itself");
            assert_eq!(sweep(c, later).unwrap(), 0);
            let left: i64 = c
                .query_row("SELECT COUNT(*) FROM postings", [], |r| r.get(0))
                .unwrap();
            assert_eq!(left, 0);
        });
    }
}
