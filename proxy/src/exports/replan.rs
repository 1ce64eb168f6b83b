//! Planning again, by the proxy: postings it stored are planned with `shared` against the
//! current mapping, the reference data and the ledger's exported set, and the journals a person
//! accepted (or retries) are picked out of that plan. Accept plans a draft one run of posting
//! dates at a time ([`pick`] per run, [`Verdict`] over them all); Retry plans the failed
//! journals' postings in one run. The schedule takes every postable journal instead of named
//! ones ([`Wanted::Postable`]); a re-post plans the postings of the journal it replaces as free
//! ([`Planning::freed`]).

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use rusqlite::Connection;
use srm_xero_shared::api::JournalProblems;
use srm_xero_shared::{
    JournalKey, MappingSettings, PlanRequest, PlannedJournal, Posting, ReferenceData, plan,
};

use crate::error::AppError;
use crate::ledger::write::{Refused, live_exports};

/// The journals asked for: those a person named, by key, each with its place in the request;
/// or every journal that comes out postable (the schedule leaves the others for a person).
#[derive(Debug)]
pub enum Wanted {
    /// Named by key, with each key's place in the request.
    Named(HashMap<JournalKey, usize>),
    /// Every postable journal, in the plan's order.
    Postable,
}

impl Wanted {
    /// The keys of a request: at least one, none twice.
    pub fn new(keys: Vec<JournalKey>) -> Result<Wanted, AppError> {
        if keys.is_empty() {
            return Err(AppError::Invalid("no journals were accepted".into()));
        }
        let count = keys.len();
        let position: HashMap<JournalKey, usize> =
            keys.into_iter().enumerate().map(|(i, k)| (k, i)).collect();
        if position.len() != count {
            return Err(AppError::Invalid("a journal is named twice".into()));
        }
        Ok(Wanted::Named(position))
    }

    /// The keys named, in no particular order (none for [`Wanted::Postable`]).
    pub fn keys(&self) -> impl Iterator<Item = &JournalKey> {
        match self {
            Wanted::Named(position) => Some(position.keys()),
            Wanted::Postable => None,
        }
        .into_iter()
        .flatten()
    }

    /// A named journal's place in the request; `None` when it was not asked for. Every journal
    /// is asked for by [`Wanted::Postable`], in the order planning gives them (`next`).
    fn position(&self, key: &JournalKey, next: usize) -> Option<usize> {
        match self {
            Wanted::Named(position) => position.get(key).copied(),
            Wanted::Postable => Some(next),
        }
    }
}

/// What planning needs besides the postings.
#[derive(Debug)]
pub struct Planning {
    /// The mapping now.
    pub settings: MappingSettings,
    /// Xero's reference data (lock dates re-read).
    pub reference: ReferenceData,
    /// Sync from this date.
    pub from: NaiveDate,
    /// The export's number (its narrations carry it).
    pub number: u64,
    /// The organisation whose exported set counts.
    pub tenant: String,
    /// Postings held by a journal this export replaces (a re-post): planned as if free, since
    /// the same transaction that stores the export frees them.
    pub freed: HashSet<String>,
}

/// What one run of planning gave for the wanted journals.
#[derive(Debug, Default)]
pub struct Picked {
    /// The wanted journals that came out postable, with their place in the request.
    pub journals: Vec<(usize, PlannedJournal)>,
    /// Wanted journals that came out with problems.
    problems: Vec<JournalProblems>,
    /// Every wanted key that came out.
    found: Vec<JournalKey>,
    /// Journals with problems left for a person ([`Wanted::Postable`]).
    held_back: usize,
    /// A wanted journal that did not come out because a posting of it is live elsewhere.
    conflict: Option<(String, u64)>,
}

/// Plans `postings` (read on `conn`, with the exported set of `planning.tenant`) and picks the
/// wanted journals out of the plan; `picked` journals came before (their places are taken).
pub fn pick(
    conn: &Connection,
    planning: &Planning,
    postings: &[Posting],
    wanted: &Wanted,
    picked_before: usize,
) -> rusqlite::Result<Picked> {
    let mut live = live_exports(
        conn,
        Some(&planning.tenant),
        postings.iter().map(|p| p.id.as_str()),
    )?;
    live.retain(|posting, _| !planning.freed.contains(posting));
    let request = |exported: &HashMap<String, u64>| {
        plan(&PlanRequest {
            postings,
            settings: &planning.settings,
            exported,
            from: planning.from,
            export_number: Some(planning.number),
            reference: &planning.reference,
        })
    };
    let mut picked = Picked::default();
    for journal in request(&live).journals {
        let next = picked_before + picked.journals.len();
        let Some(position) = wanted.position(&journal.key, next) else {
            continue;
        };
        match (journal.is_postable(), wanted) {
            (true, Wanted::Named(_)) => {
                picked.found.push(journal.key.clone());
                picked.journals.push((position, journal));
            }
            (true, Wanted::Postable) => picked.journals.push((position, journal)),
            (false, Wanted::Named(_)) => {
                picked.found.push(journal.key.clone());
                picked.problems.push(JournalProblems {
                    key: journal.key,
                    problems: journal.problems,
                });
            }
            (false, Wanted::Postable) => picked.held_back += 1,
        }
    }
    if !live.is_empty() && matches!(wanted, Wanted::Named(_)) {
        // Planned without the exported set, a wanted journal that did not come out may be one
        // whose postings another export holds: that is a conflict, not bad input.
        let found: HashSet<&JournalKey> = picked.found.iter().collect();
        picked.conflict = request(&HashMap::new())
            .journals
            .iter()
            .filter(|j| wanted.position(&j.key, 0).is_some() && !found.contains(&j.key))
            .find_map(|j| {
                j.postings
                    .iter()
                    .find_map(|p| live.get(p).map(|e| (p.clone(), *e)))
            });
    }
    Ok(picked)
}

/// The runs of planning so far, judged at the end.
#[derive(Debug, Default)]
pub struct Verdict {
    found: HashSet<JournalKey>,
    problems: Vec<JournalProblems>,
    conflict: Option<(String, u64)>,
    postable: usize,
    held_back: usize,
}

impl Verdict {
    /// Takes one run's outcome; answers its postable journals (to store).
    pub fn add(&mut self, picked: Picked) -> Vec<(usize, PlannedJournal)> {
        self.found.extend(picked.found);
        self.problems.extend(picked.problems);
        if self.conflict.is_none() {
            self.conflict = picked.conflict;
        }
        self.postable += picked.journals.len();
        self.held_back += picked.held_back;
        picked.journals
    }

    /// The postable journals so far.
    pub fn postable(&self) -> usize {
        self.postable
    }

    /// Journals left for a person so far ([`Wanted::Postable`]: those with problems).
    pub fn held_back(&self) -> usize {
        self.held_back
    }

    /// Every wanted journal came out and is postable; else why not: a journal whose postings
    /// another export holds (409), one that does not come out of planning, or ones with
    /// problems (422, per journal). [`Wanted::Postable`] takes what came out, even nothing.
    pub fn judge(self, wanted: &Wanted) -> Result<usize, AppError> {
        let Wanted::Named(position) = wanted else {
            return Ok(self.postable);
        };
        if self.found.len() < position.len() {
            if let Some((posting, export)) = self.conflict {
                return Err(Refused::AlreadyLive { posting, export }.into());
            }
            let mut missing: Vec<&JournalKey> = position
                .keys()
                .filter(|k| !self.found.contains(*k))
                .collect();
            missing.sort_by_key(|k| position[*k]);
            let names: Vec<String> = missing.iter().take(5).map(ToString::to_string).collect();
            let more = missing.len().saturating_sub(names.len());
            return Err(AppError::Invalid(format!(
                "journal {}{} does not come out of planning the postings with the current mapping; preview again",
                names.join(", "),
                if more > 0 {
                    format!(" and {more} more")
                } else {
                    String::new()
                }
            )));
        }
        if !self.problems.is_empty() {
            return Err(AppError::InvalidJournals {
                message: format!(
                    "{} of the accepted journals cannot be posted as they are",
                    self.problems.len()
                ),
                journals: self.problems,
            });
        }
        Ok(self.postable)
    }
}
