//! Reading the ledger for the API: lists, one export, one journal, counts, and which postings
//! are already exported.

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{Connection, OptionalExtension as _, params};
use srm_xero_shared::api::{
    Counts, ExportSearch, ExportStatus, ExportSummary, ExportedPostings, HistoryEntry,
    JournalDetail, JournalRow, JournalState, OrganisationRef, VoidInfo,
};
use srm_xero_shared::{JournalKey, PlannedJournal};

use super::names::Named;
use super::{i64_of, planned_of, u64_of, write::live_exports};

/// A link to a manual journal in Xero.
pub fn xero_url(id: &str) -> String {
    format!("https://go.xero.com/Journal/View.aspx?invoiceID={id}")
}

/// Journals per state of one export.
pub fn counts(conn: &Connection, export: u64) -> rusqlite::Result<Counts> {
    let mut statement = conn
        .prepare_cached("SELECT state, COUNT(*) FROM journals WHERE export = ?1 GROUP BY state")?;
    let mut counts = Counts::default();
    let rows = statement.query_map([i64_of(export)], |r| {
        Ok((r.get::<_, Named<JournalState>>(0)?.0, r.get::<_, i64>(1)?))
    })?;
    for row in rows {
        let (state, n) = row?;
        *counts.of_mut(state) = u32::try_from(n).unwrap_or(u32::MAX);
    }
    Ok(counts)
}

/// An export's status and the organisation it is bound to.
pub fn standing(
    conn: &Connection,
    export: u64,
) -> rusqlite::Result<Option<(ExportStatus, Option<OrganisationRef>)>> {
    conn.query_row(
        "SELECT status, tenant_id, tenant_name FROM exports WHERE number = ?1",
        [i64_of(export)],
        |r| {
            Ok((
                r.get::<_, Named<ExportStatus>>(0)?.0,
                organisation(r.get(1)?, r.get(2)?),
            ))
        },
    )
    .optional()
}

/// An organisation from its stored id and name.
pub fn organisation(tenant_id: Option<String>, name: Option<String>) -> Option<OrganisationRef> {
    tenant_id.map(|tenant_id| OrganisationRef {
        name: name.unwrap_or_else(|| tenant_id.clone()),
        tenant_id,
    })
}

/// One export's summary, if it exists.
pub fn summary(conn: &Connection, export: u64) -> rusqlite::Result<Option<ExportSummary>> {
    let row = conn
        .query_row(
            "SELECT number, from_date, created_at, created_by FROM exports WHERE number = ?1",
            [i64_of(export)],
            |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, NaiveDate>(1)?,
                    r.get::<_, DateTime<Utc>>(2)?,
                    r.get::<_, String>(3)?,
                ))
            },
        )
        .optional()?;
    let Some((number, from_date, created_at, created_by)) = row else {
        return Ok(None);
    };
    let Some((status, organisation)) = standing(conn, u64_of(number))? else {
        return Ok(None);
    };
    Ok(Some(ExportSummary {
        number: u64_of(number),
        from_date,
        created_at,
        created_by,
        status,
        counts: counts(conn, u64_of(number))?,
        organisation,
    }))
}

/// Exports, newest first: the one numbered `number`, or those created on or synced from `date`,
/// or (neither given) the latest 50.
pub fn list(conn: &Connection, search: &ExportSearch) -> rusqlite::Result<Vec<ExportSummary>> {
    let numbers: Vec<i64> = if let Some(n) = search.number {
        vec![i64_of(n)]
    } else if let Some((from, to)) = search.days() {
        // Days compare as `YYYY-MM-DD` text; an open end is the earliest or latest text.
        let from = from.map_or_else(|| "0000-00-00".to_owned(), |d| d.to_string());
        let to = to.map_or_else(|| "9999-99-99".to_owned(), |d| d.to_string());
        let mut statement = conn.prepare(
            "SELECT number FROM exports
             WHERE from_date BETWEEN ?1 AND ?2 OR substr(created_at, 1, 10) BETWEEN ?1 AND ?2
             ORDER BY number DESC LIMIT 500",
        )?;
        statement
            .query_map(params![from, to], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?
    } else {
        let mut statement =
            conn.prepare("SELECT number FROM exports ORDER BY number DESC LIMIT 50")?;
        statement
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?
    };
    let mut out = Vec::new();
    for n in numbers {
        out.extend(summary(conn, u64_of(n))?);
    }
    Ok(out)
}

/// Who voided a journal, from the columns `voided_by, voided_at, void_reason` from `first`.
fn voided(r: &rusqlite::Row<'_>, first: usize) -> rusqlite::Result<Option<VoidInfo>> {
    let Some(by) = r.get::<_, Option<String>>(first)? else {
        return Ok(None);
    };
    Ok(Some(VoidInfo {
        by,
        at: r.get(first + 1)?,
        reason: r.get::<_, Option<String>>(first + 2)?.unwrap_or_default(),
    }))
}

struct Stored {
    id: i64,
    row: JournalRow,
    planned: PlannedJournal,
}

fn stored(r: &rusqlite::Row<'_>) -> rusqlite::Result<Stored> {
    let planned = planned_of(&r.get::<_, String>(1)?, 1)?;
    let messages: String = r.get(4)?;
    let xero_id: Option<String> = r.get(3)?;
    let voided = voided(r, 5)?;
    let row = JournalRow {
        key: planned.key.clone(),
        date: planned.date,
        group: planned.group.clone(),
        narration: planned.narration.clone(),
        total: planned.debits(),
        line_count: u32::try_from(planned.lines.len()).unwrap_or(u32::MAX),
        state: r.get::<_, Named<JournalState>>(2)?.0,
        xero_url: xero_id.as_deref().map(xero_url),
        xero_id,
        messages: serde_json::from_str(&messages).unwrap_or_default(),
        voided,
    };
    Ok(Stored {
        id: r.get(0)?,
        row,
        planned,
    })
}

const JOURNAL_COLUMNS: &str =
    "id, planned, state, xero_id, messages, voided_by, voided_at, void_reason";

/// An export's journals, in the order they were planned.
pub fn journals(conn: &Connection, export: u64) -> rusqlite::Result<Vec<JournalRow>> {
    let mut statement = conn.prepare(&format!(
        "SELECT {JOURNAL_COLUMNS} FROM journals WHERE export = ?1 ORDER BY id"
    ))?;
    statement
        .query_map([i64_of(export)], |r| stored(r).map(|s| s.row))?
        .collect()
}

/// The journals of `export` changed after change `since`, as they are now (planned order).
pub fn changes(conn: &Connection, export: u64, since: u64) -> rusqlite::Result<Vec<JournalRow>> {
    let mut statement = conn.prepare_cached(&format!(
        "SELECT {JOURNAL_COLUMNS} FROM journals WHERE export = ?1 AND seq > ?2 ORDER BY id"
    ))?;
    statement
        .query_map(params![i64_of(export), i64_of(since)], |r| {
            stored(r).map(|s| s.row)
        })?
        .collect()
}

/// One journal's state, and the journal as planned (and sent).
pub fn planned(
    conn: &Connection,
    export: u64,
    key: &JournalKey,
) -> rusqlite::Result<Option<(JournalState, PlannedJournal)>> {
    conn.query_row(
        &format!("SELECT {JOURNAL_COLUMNS} FROM journals WHERE export = ?1 AND key = ?2"),
        params![i64_of(export), key.as_str()],
        |r| stored(r).map(|s| (s.row.state, s.planned)),
    )
    .optional()
}

/// One journal with its lines, source postings and history.
pub fn journal(
    conn: &Connection,
    export: u64,
    key: &JournalKey,
) -> rusqlite::Result<Option<JournalDetail>> {
    let found = conn
        .query_row(
            &format!("SELECT {JOURNAL_COLUMNS} FROM journals WHERE export = ?1 AND key = ?2"),
            params![i64_of(export), key.as_str()],
            stored,
        )
        .optional()?;
    let Some(found) = found else {
        return Ok(None);
    };
    let postings = super::drafts::of_export(conn, export, &found.planned.postings)?;
    let mut statement =
        conn.prepare_cached("SELECT at, who, what FROM history WHERE journal = ?1 ORDER BY id")?;
    let history = statement
        .query_map([found.id], |r| {
            Ok(HistoryEntry {
                at: r.get(0)?,
                who: r.get(1)?,
                what: r.get(2)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(Some(JournalDetail {
        row: found.row,
        journal: found.planned,
        postings,
        history,
    }))
}

/// Which of `ids` are in a live journal of `tenant` (or of no organisation yet), and the latest
/// posting date ever in one.
pub fn exported(
    conn: &Connection,
    tenant: Option<&str>,
    ids: &[String],
) -> rusqlite::Result<ExportedPostings> {
    let last_exported_date = conn.query_row(
        "SELECT MAX(posting_date) FROM journal_postings
         WHERE live = 1 AND (?1 IS NULL OR tenant_id IS NULL OR tenant_id = ?1)",
        [tenant],
        |r| r.get::<_, Option<NaiveDate>>(0),
    )?;
    Ok(ExportedPostings {
        exported: live_exports(conn, tenant, ids)?,
        last_exported_date,
    })
}

/// Journals still to send or settle, in any organisation.
pub fn remaining(conn: &Connection) -> rusqlite::Result<u64> {
    conn.query_row(
        "SELECT COUNT(*) FROM journals WHERE state IN (?1, ?2)",
        params![Named(JournalState::Pending), Named(JournalState::Posting)],
        |r| r.get::<_, i64>(0).map(u64_of),
    )
}

/// Pending journals the worker may send to `tenant` (bound to it, or to no organisation yet).
pub fn pending_for(conn: &Connection, tenant: &str) -> rusqlite::Result<u64> {
    conn.query_row(
        "SELECT COUNT(*) FROM journals
         WHERE state = ?1 AND (tenant_id = ?2 OR tenant_id IS NULL)",
        params![Named(JournalState::Pending), tenant],
        |r| r.get::<_, i64>(0).map(u64_of),
    )
}

/// A journal this proxy posted, as the ledger holds it (for reconciliation).
#[derive(Debug, Clone)]
pub struct PostedRow {
    /// The export that posted it.
    pub export: u64,
    /// Xero's ManualJournalID.
    pub xero_id: String,
    /// The journal as sent.
    pub planned: PlannedJournal,
    /// When its export was accepted (it reached Xero after that).
    pub accepted_at: DateTime<Utc>,
}

/// The journals posted to `tenant` dated `from..=to`, by date, at most `limit` (one more tells
/// the caller there are too many).
pub fn posted_between(
    conn: &Connection,
    tenant: &str,
    from: NaiveDate,
    to: NaiveDate,
    limit: usize,
) -> rusqlite::Result<Vec<PostedRow>> {
    let mut statement = conn.prepare(
        "SELECT j.export, j.xero_id, j.planned, e.created_at
         FROM journals j JOIN exports e ON e.number = j.export
         WHERE j.state = ?1 AND j.tenant_id = ?2 AND j.date BETWEEN ?3 AND ?4
           AND j.xero_id IS NOT NULL
         ORDER BY j.date, j.id LIMIT ?5",
    )?;
    statement
        .query_map(
            params![
                Named(JournalState::Posted),
                tenant,
                from,
                to,
                i64::try_from(limit).unwrap_or(i64::MAX)
            ],
            |r| {
                Ok(PostedRow {
                    export: u64_of(r.get(0)?),
                    xero_id: r.get(1)?,
                    planned: planned_of(&r.get::<_, String>(2)?, 2)?,
                    accepted_at: r.get(3)?,
                })
            },
        )?
        .collect()
}
