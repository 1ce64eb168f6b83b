//! What people do to the ledger: retry, void, and marking a journal that needs attention posted
//! with the id found in Xero (creating an export is [`super::drafts`]). Each is one transaction,
//! numbered by the change's `seq`; a journal's state only moves along DESIGN.md's lifecycle.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{Connection, OptionalExtension as _, Transaction, params};
use srm_xero_shared::PlannedJournal;
use srm_xero_shared::api::JournalState;

use super::names::Named;
use super::tally::Tally;
use super::{i64_of, journal_row, note, settle_status, u64_of};

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
    /// What was sent cannot be taken (too many postings, say).
    #[error("{0}")]
    Invalid(String),
    /// The database.
    #[error(transparent)]
    Db(#[from] rusqlite::Error),
}

/// Posting id → the export whose live (pending, posting, posted or needs-attention) journal of
/// `tenant` holds it. A journal not bound to an organisation yet counts for every organisation;
/// `tenant` `None` asks about every organisation.
pub fn live_exports(
    conn: &Connection,
    tenant: Option<&str>,
    ids: impl IntoIterator<Item = impl AsRef<str>>,
) -> rusqlite::Result<HashMap<String, u64>> {
    let mut statement = conn.prepare_cached(
        "SELECT j.export FROM journal_postings p JOIN journals j ON j.id = p.journal
         WHERE p.posting_id = ?1 AND p.live = 1
           AND (?2 IS NULL OR p.tenant_id IS NULL OR p.tenant_id = ?2)
         LIMIT 1",
    )?;
    let mut found = HashMap::new();
    for id in ids {
        let id = id.as_ref();
        if let Some(export) = statement
            .query_row(params![id, tenant], |r| r.get::<_, i64>(0))
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

/// Holds `posting` (dated `date`) in journal `journal` of `tenant`; refused when another live
/// journal of that organisation holds it.
pub(super) fn insert_posting(
    tx: &Connection,
    journal: i64,
    tenant: Option<&str>,
    posting: &str,
    date: NaiveDate,
) -> Result<(), Refused> {
    let inserted = tx.execute(
        "INSERT INTO journal_postings (journal, posting_id, posting_date, live, tenant_id)
         VALUES (?1, ?2, ?3, 1, ?4)",
        params![journal, posting, date, tenant],
    );
    match inserted {
        Ok(_) => Ok(()),
        // The partial unique index: another live journal of the organisation took it first.
        Err(rusqlite::Error::SqliteFailure(e, _))
            if e.code == rusqlite::ErrorCode::ConstraintViolation =>
        {
            let export = live_exports(tx, tenant, [posting])?
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

/// Frees (or holds again) the postings of journal `id`.
pub(super) fn set_live(conn: &Connection, journal: i64, live: bool) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE journal_postings SET live = ?2 WHERE journal = ?1",
        params![journal, i64::from(live)],
    )?;
    Ok(())
}

pub(super) fn json_list(items: &[String]) -> String {
    serde_json::to_string(items).unwrap_or_else(|_| "[]".into())
}

fn found(conn: &Connection, export: u64, key: &str) -> Result<(i64, JournalState), Refused> {
    journal_row(conn, export, key)?
        .ok_or_else(|| Refused::NotFound(format!("export #{export} has no journal {key}")))
}

/// Voids a pending, failed or needs-attention journal, with who, when and why.
#[allow(clippy::too_many_arguments)] // One change, each argument recorded.
pub fn void(
    conn: &mut Connection,
    tally: &Tally,
    seq: u64,
    export: u64,
    key: &str,
    by: Actor<'_>,
    reason: &str,
    at: DateTime<Utc>,
) -> Result<(), Refused> {
    let tx = conn.transaction()?;
    let (id, state) = found(&tx, export, key)?;
    match state {
        JournalState::Pending | JournalState::Failed | JournalState::NeedsAttention => {}
        JournalState::Posting => {
            return Err(Refused::State(format!(
                "journal {key} is being sent to Xero right now; void it once its answer is in"
            )));
        }
        JournalState::Posted => {
            return Err(Refused::State(format!(
                "journal {key} is already in Xero: void it in Xero"
            )));
        }
        JournalState::Voided => {
            return Err(Refused::State(format!("journal {key} is already voided")));
        }
    }
    tx.execute(
        "UPDATE journals SET state = ?2, call = NULL, voided_by = ?3, voided_at = ?4,
           void_reason = ?5, updated_at = ?4, seq = ?6 WHERE id = ?1",
        params![
            id,
            Named(JournalState::Voided),
            by.name,
            at,
            reason,
            i64_of(seq)
        ],
    )?;
    set_live(&tx, id, false)?;
    note(&tx, id, at, by.name, &format!("voided: {reason}"))?;
    settle_status(&tx, export)?;
    tx.commit()?;
    tally.moved(export, state, JournalState::Voided, 1);
    Ok(())
}

/// Marks a journal that needs attention posted with `xero_id`, found in Xero by `by` and checked
/// there (`checked` says how, for the history).
#[allow(clippy::too_many_arguments)] // One change, each argument recorded.
pub fn resolve(
    conn: &mut Connection,
    tally: &Tally,
    seq: u64,
    export: u64,
    key: &str,
    xero_id: &str,
    checked: &str,
    by: Actor<'_>,
    at: DateTime<Utc>,
) -> Result<(), Refused> {
    let tx = conn.transaction()?;
    let (id, state) = found(&tx, export, key)?;
    if state != JournalState::NeedsAttention {
        return Err(Refused::State(format!(
            "journal {key} is {state}: only a journal that needs attention is marked posted by hand"
        )));
    }
    tx.execute(
        "UPDATE journals SET state = ?2, xero_id = ?3, messages = '[]', updated_at = ?4,
           seq = ?5 WHERE id = ?1",
        params![id, Named(JournalState::Posted), xero_id, at, i64_of(seq)],
    )?;
    note(
        &tx,
        id,
        at,
        by.name,
        &format!("marked posted with ManualJournalID {xero_id}, found in Xero ({checked})"),
    )?;
    settle_status(&tx, export)?;
    tx.commit()?;
    tally.moved(export, state, JournalState::Posted, 1);
    Ok(())
}

/// Puts failed journals back to pending with their re-planned content (and a fresh count of
/// Idempotency-Keys: a person looked at them). Each journal's postings are dated as it is
/// (planning groups postings by date).
pub fn retry(
    conn: &mut Connection,
    tally: &Tally,
    seq: u64,
    export: u64,
    journals: &[PlannedJournal],
    by: Actor<'_>,
    at: DateTime<Utc>,
) -> Result<(), Refused> {
    let tx = conn.transaction()?;
    for journal in journals {
        let (id, state) = found(&tx, export, journal.key.as_str())?;
        if state != JournalState::Failed {
            return Err(Refused::State(format!(
                "journal {} is {state}: only failed journals can be retried",
                journal.key
            )));
        }
        let planned = serde_json::to_string(journal)
            .map_err(|e| Refused::State(format!("journal does not serialise: {e}")))?;
        let tenant: Option<String> =
            tx.query_row("SELECT tenant_id FROM journals WHERE id = ?1", [id], |r| {
                r.get(0)
            })?;
        tx.execute(
            "UPDATE journals SET state = ?2, planned = ?3, narration = ?4, messages = '[]',
               call = NULL, keys_used = 0, updated_at = ?5, seq = ?6 WHERE id = ?1",
            params![
                id,
                Named(JournalState::Pending),
                planned,
                journal.narration,
                at,
                i64_of(seq)
            ],
        )?;
        tx.execute("DELETE FROM journal_postings WHERE journal = ?1", [id])?;
        for posting in &journal.postings {
            insert_posting(&tx, id, tenant.as_deref(), posting, journal.date)?;
        }
        note(
            &tx,
            id,
            at,
            by.name,
            "retried, re-planned with today's mapping",
        )?;
    }
    settle_status(&tx, export)?;
    tx.commit()?;
    let n = u32::try_from(journals.len()).unwrap_or(u32::MAX);
    tally.moved(export, JournalState::Failed, JournalState::Pending, n);
    Ok(())
}

/// A posted journal that Xero no longer holds as posted (voided or deleted there) gives its
/// postings to a re-post: voided here with `why`, its postings freed, in `tx` (the re-post's
/// Accept). Answers the state it left.
pub fn replaced(
    tx: &Transaction<'_>,
    seq: u64,
    export: u64,
    key: &str,
    by: Actor<'_>,
    why: &str,
    at: DateTime<Utc>,
) -> Result<JournalState, Refused> {
    let (id, state) = found(tx, export, key)?;
    if state != JournalState::Posted {
        return Err(Refused::State(format!(
            "journal {key} is {state}: only a posted journal is re-posted"
        )));
    }
    tx.execute(
        "UPDATE journals SET state = ?2, voided_by = ?3, voided_at = ?4, void_reason = ?5,
           updated_at = ?4, seq = ?6 WHERE id = ?1",
        params![
            id,
            Named(JournalState::Voided),
            by.name,
            at,
            why,
            i64_of(seq)
        ],
    )?;
    set_live(tx, id, false)?;
    note(tx, id, at, by.name, &format!("voided: {why}"))?;
    settle_status(tx, export)?;
    Ok(state)
}

/// Adds `what` to the history of every journal of `export` (a re-post notes where its journals
/// came from).
pub fn note_export(
    tx: &Transaction<'_>,
    export: u64,
    by: Actor<'_>,
    what: &str,
    at: DateTime<Utc>,
) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT INTO history (journal, at, who, what)
         SELECT id, ?2, ?3, ?4 FROM journals WHERE export = ?1",
        params![i64_of(export), at, by.name, what],
    )?;
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::ledger::drafts;
    use srm_xero_shared::JournalKey;
    use srm_xero_shared::api::{ExportStatus, OrganisationRef};

    pub fn at() -> DateTime<Utc> {
        DateTime::from_timestamp(1_566_291_600, 0).unwrap()
    }

    pub fn journal(ids: &[&str]) -> PlannedJournal {
        let key = JournalKey::from_posting_ids(ids.iter().copied());
        PlannedJournal {
            narration: format!("SRM daily close · key {key}"),
            key,
            date: NaiveDate::from_ymd_opt(2019, 8, 19).unwrap(),
            group: "Division 1".into(),
            url: None,
            status: srm_xero_shared::mapping::PostAs::Posted,
            lines: Vec::new(),
            postings: ids.iter().map(|s| (*s).to_owned()).collect(),
            problems: Vec::new(),
        }
    }

    pub fn organisation(tenant: &str) -> OrganisationRef {
        OrganisationRef {
            tenant_id: tenant.into(),
            name: format!("{tenant} Ltd"),
        }
    }

    /// Accepts `journals` as a new export for `tenant` the way Accept stores one: a draft, its
    /// journals staged, then the final transaction.
    pub fn store(
        conn: &mut Connection,
        tenant: &str,
        journals: &[PlannedJournal],
    ) -> Result<u64, Refused> {
        let by = Actor {
            name: "Pat",
            sub: "pat",
        };
        let from = NaiveDate::from_ymd_opt(2019, 8, 1).unwrap();
        let drafts_so_far: i64 = conn.query_row("SELECT COUNT(*) FROM drafts", [], |r| r.get(0))?;
        let token = format!("draft-{drafts_so_far}");
        drafts::create(conn, &token, from, by, at())?;
        let draft = drafts::find(conn, &token, "pat", at())?.expect("the draft just made");
        assert!(drafts::begin_accepting(conn, draft.id)?);
        let staged: Vec<(usize, PlannedJournal)> = journals.iter().cloned().enumerate().collect();
        drafts::stage(conn, draft.id, &staged)?;
        let accepted = drafts::Accepted {
            draft: draft.id,
            number: next_number(conn)?,
            from,
            by,
            at: at(),
            organisation: &organisation(tenant),
            replaces: None,
        };
        let stored = drafts::commit(conn, &accepted, 1);
        if stored.is_err() {
            drafts::end_accepting(conn, draft.id)?;
        }
        stored.map(|()| accepted.number)
    }

    #[test]
    fn a_posting_is_in_one_live_journal_of_an_organisation_and_free_again_once_voided() {
        let dir = tempfile::tempdir().unwrap();
        let db = crate::db::Db::open(dir.path(), at()).unwrap();
        db.with(|c| {
            assert_eq!(store(c, "acme", &[journal(&["GL-1", "GL-2"])]).unwrap(), 1);
            let refused = store(c, "acme", &[journal(&["GL-2", "GL-3"])]).unwrap_err();
            assert!(
                matches!(refused, Refused::AlreadyLive { export: 1, .. }),
                "{refused}"
            );
            // Another organisation has its own exported set.
            assert_eq!(store(c, "harbour", &[journal(&["GL-2", "GL-3"])]).unwrap(), 2);
            // The schema itself refuses, whatever the code checked before.
            let second = c
                .execute(
                    "INSERT INTO journal_postings (journal, posting_id, posting_date, live, tenant_id)
                     VALUES (1, 'GL-1', '2019-08-19', 1, 'acme')",
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
                2,
                1,
                key.as_str(),
                by,
                "duplicate of a hand entry",
                at(),
            )
            .unwrap();
            assert_eq!(store(c, "acme", &[journal(&["GL-2", "GL-3"])]).unwrap(), 3);
            let status: Named<ExportStatus> =
                c.query_row("SELECT status FROM exports WHERE number = 1", [], |r| {
                    r.get(0)
                })?;
            assert_eq!(status.0, ExportStatus::Exported);
            Ok::<_, rusqlite::Error>(())
        })
        .unwrap();
    }
}
