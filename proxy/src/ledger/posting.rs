//! What the worker does to the ledger: claiming pending journals into a new call (stored with its
//! body before anything is sent), and recording what became of each journal — posted, failed,
//! pending again under a new key, or needing a person's attention.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension as _, Params, params};
use srm_xero_shared::api::{JournalState, OrganisationRef};

use super::calls::{self, Call, Work};
use super::names::Named;
use super::tally::Tally;
use super::write::{json_list, set_live};
use super::{Claimed, WORKER, i64_of, note, planned_of, settle_status, u64_of};

/// Journals read by `sql`, which selects `id, export, planned, keys_used`.
pub(super) fn claimed_rows(
    conn: &Connection,
    sql: &str,
    args: impl Params,
) -> rusqlite::Result<Vec<Claimed>> {
    let mut statement = conn.prepare_cached(sql)?;
    statement
        .query_map(args, |r| {
            Ok(Claimed {
                id: r.get(0)?,
                export: u64_of(r.get(1)?),
                planned: planned_of(&r.get::<_, String>(2)?, 2)?,
                keys_used: u32::try_from(r.get::<_, i64>(3)?).unwrap_or(u32::MAX),
            })
        })?
        .collect()
}

/// Takes up to `max` pending journals of `organisation` (or bound to none yet, which are bound
/// to it now) into a new call with Idempotency-Key `key` and the body `body` makes of them: the
/// call, its bytes and the journals' `posting` state are committed before anything is sent.
/// `None` when nothing is pending there.
#[allow(clippy::too_many_arguments)] // One change, each argument recorded.
pub fn claim(
    conn: &mut Connection,
    tally: &Tally,
    seq: u64,
    organisation: &OrganisationRef,
    max: usize,
    key: &str,
    at: DateTime<Utc>,
    body: impl FnOnce(&[Claimed]) -> Result<Vec<u8>, serde_json::Error>,
) -> rusqlite::Result<Option<Work>> {
    let tenant = organisation.tenant_id.as_str();
    let tx = conn.transaction()?;
    let mut claimed = claimed_rows(
        &tx,
        "SELECT id, export, planned, keys_used FROM journals
         WHERE state = ?1 AND (tenant_id = ?2 OR tenant_id IS NULL) ORDER BY id LIMIT ?3",
        params![
            Named(JournalState::Pending),
            tenant,
            i64::try_from(max).unwrap_or(50)
        ],
    )?;
    if claimed.is_empty() {
        return Ok(None);
    }
    let bytes = body(&claimed).map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
    let call = calls::insert(&tx, key, tenant, &bytes, at)?;
    let mut bound = Vec::new();
    for journal in &mut claimed {
        journal.keys_used += 1;
        tx.execute(
            "UPDATE journals SET state = ?2, call = ?3, keys_used = ?4, tenant_id = ?5,
               updated_at = ?6, seq = ?7 WHERE id = ?1",
            params![
                journal.id,
                Named(JournalState::Posting),
                call,
                journal.keys_used,
                tenant,
                at,
                i64_of(seq)
            ],
        )?;
        tx.execute(
            "UPDATE journal_postings SET tenant_id = ?2 WHERE journal = ?1 AND tenant_id IS NULL",
            params![journal.id, tenant],
        )?;
        if tx.execute(
            "UPDATE exports SET tenant_id = ?2, tenant_name = ?3
             WHERE number = ?1 AND tenant_id IS NULL",
            params![i64_of(journal.export), tenant, organisation.name],
        )? > 0
        {
            bound.push(journal.export);
        }
        let nth = match journal.keys_used {
            1 => String::new(),
            n => format!(", its Idempotency-Key number {n}"),
        };
        note(
            &tx,
            journal.id,
            at,
            WORKER,
            &format!(
                "sent to Xero ({}) in a call with Idempotency-Key {key}{nth}",
                organisation.name
            ),
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
    for export in bound {
        tally.bound(export, organisation);
    }
    Ok(Some(Work {
        call: Call {
            id: call,
            key: key.to_owned(),
            tenant: tenant.to_owned(),
            body: Some(bytes),
            first_sent_at: None,
            last_sent_at: None,
            attempts: 0,
            answered_at: None,
        },
        journals: claimed,
    }))
}

/// A journal left `posting` by a proxy from before calls were stored: no body to send again, so
/// it is looked up. With its organisation (if bound) and when it was claimed.
#[derive(Debug, Clone)]
pub struct Unbound {
    /// The journal.
    pub journal: Claimed,
    /// Its organisation, when bound.
    pub tenant: Option<String>,
    /// When it was last sent at the latest.
    pub since: DateTime<Utc>,
}

/// Journals `posting` without a stored call (left by a proxy from before calls were stored).
pub fn unbound_in_flight(conn: &Connection) -> rusqlite::Result<Vec<Unbound>> {
    let mut statement = conn.prepare(
        "SELECT id, tenant_id, updated_at FROM journals WHERE state = ?1 AND call IS NULL
         ORDER BY id",
    )?;
    let rows = statement
        .query_map([Named(JournalState::Posting)], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, Option<String>>(1)?,
                r.get::<_, DateTime<Utc>>(2)?,
            ))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let mut out = Vec::new();
    for (id, tenant, since) in rows {
        let journal = claimed_rows(
            conn,
            "SELECT id, export, planned, keys_used FROM journals WHERE id = ?1",
            [id],
        )?;
        out.extend(journal.into_iter().map(|journal| Unbound {
            journal,
            tenant: tenant.clone(),
            since,
        }));
    }
    Ok(out)
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
    /// Not in Xero: back to pending, to go in a new call under a new key.
    Requeue(String),
    /// Not confirmed after too many keys: a person must check Xero (this message says so).
    NeedsAttention(String),
}

impl Outcome {
    /// The state it leaves the journal in.
    pub fn state(&self) -> JournalState {
        match self {
            Outcome::Posted { .. } => JournalState::Posted,
            Outcome::Failed(_) => JournalState::Failed,
            Outcome::Requeue(_) => JournalState::Pending,
            Outcome::NeedsAttention(_) => JournalState::NeedsAttention,
        }
    }
}

/// Records the outcome of each journal that is `posting`, in one transaction (a journal no
/// longer `posting` — voided meanwhile — is left as it is).
pub fn settle(
    conn: &mut Connection,
    tally: &Tally,
    seq: u64,
    outcomes: &[(Claimed, Outcome)],
    at: DateTime<Utc>,
) -> rusqlite::Result<()> {
    let tx = conn.transaction()?;
    let mut moved = Vec::new();
    for (journal, outcome) in outcomes {
        let current: Option<Named<JournalState>> = tx
            .query_row(
                "SELECT state FROM journals WHERE id = ?1",
                [journal.id],
                |r| r.get(0),
            )
            .optional()?;
        if current.map(|n| n.0) != Some(JournalState::Posting) {
            continue;
        }
        let to = outcome.state();
        let (messages, what) = match outcome {
            Outcome::Posted {
                xero_id,
                warnings,
                how,
            } => {
                tx.execute(
                    "UPDATE journals SET xero_id = ?2 WHERE id = ?1",
                    params![journal.id, xero_id],
                )?;
                (warnings.clone(), format!("{how} ({xero_id})"))
            }
            Outcome::Failed(messages) => {
                set_live(&tx, journal.id, false)?;
                (
                    messages.clone(),
                    format!("refused by Xero: {}", messages.join("; ")),
                )
            }
            Outcome::Requeue(why) => (Vec::new(), why.clone()),
            Outcome::NeedsAttention(message) => {
                (vec![message.clone()], format!("needs attention: {message}"))
            }
        };
        tx.execute(
            "UPDATE journals SET state = ?2, messages = ?3, updated_at = ?4, seq = ?5
             WHERE id = ?1",
            params![journal.id, Named(to), json_list(&messages), at, i64_of(seq)],
        )?;
        note(&tx, journal.id, at, WORKER, &what)?;
        settle_status(&tx, journal.export)?;
        moved.push((journal.export, to));
    }
    tx.commit()?;
    for (export, to) in moved {
        tally.moved(export, JournalState::Posting, to, 1);
    }
    Ok(())
}

/// Adds the same history entry to each journal (an anomaly, a wait).
pub fn note_each(
    conn: &mut Connection,
    journals: &[i64],
    at: DateTime<Utc>,
    what: &str,
) -> rusqlite::Result<()> {
    let tx = conn.transaction()?;
    for journal in journals {
        note(&tx, *journal, at, WORKER, what)?;
    }
    tx.commit()
}
