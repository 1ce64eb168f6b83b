//! Planning again, by the proxy: postings it stored are planned with `shared` against the
//! current mapping, the reference data and the ledger's exported set, and the journals a person
//! accepted (or retries) are picked out of that plan. Accept plans a draft one run of posting
//! dates at a time ([`pick`] per run, [`Verdict`] over them all); Retry plans the failed
//! journals' postings in one run.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use rusqlite::Connection;
use srm_xero_shared::api::JournalProblems;
use srm_xero_shared::{
    JournalKey, MappingSettings, PlanRequest, PlannedJournal, Posting, ReferenceData, plan,
};

use crate::error::AppError;
use crate::ledger::write::{Refused, live_exports};

/// The journals asked for, by key, each with its place in the request.
#[derive(Debug)]
pub struct Wanted {
    position: HashMap<JournalKey, usize>,
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
        Ok(Wanted { position })
    }

    /// The keys, in no particular order.
    pub fn keys(&self) -> impl Iterator<Item = &JournalKey> {
        self.position.keys()
    }

    /// How many.
    pub fn len(&self) -> usize {
        self.position.len()
    }

    /// Whether none (never, once made).
    pub fn is_empty(&self) -> bool {
        self.position.is_empty()
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
    /// A wanted journal that did not come out because a posting of it is live elsewhere.
    conflict: Option<(String, u64)>,
}

/// Plans `postings` (read on `conn`, with the exported set of `planning.tenant`) and picks the
/// wanted journals out of the plan.
pub fn pick(
    conn: &Connection,
    planning: &Planning,
    postings: &[Posting],
    wanted: &Wanted,
) -> rusqlite::Result<Picked> {
    let live = live_exports(
        conn,
        Some(&planning.tenant),
        postings.iter().map(|p| p.id.as_str()),
    )?;
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
        let Some(&position) = wanted.position.get(&journal.key) else {
            continue;
        };
        picked.found.push(journal.key.clone());
        if journal.is_postable() {
            picked.journals.push((position, journal));
        } else {
            picked.problems.push(JournalProblems {
                key: journal.key,
                problems: journal.problems,
            });
        }
    }
    if !live.is_empty() {
        // Planned without the exported set, a wanted journal that did not come out may be one
        // whose postings another export holds: that is a conflict, not bad input.
        let found: HashSet<&JournalKey> = picked.found.iter().collect();
        picked.conflict = request(&HashMap::new())
            .journals
            .iter()
            .filter(|j| wanted.position.contains_key(&j.key) && !found.contains(&j.key))
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
        picked.journals
    }

    /// Every wanted journal came out and is postable; else why not: a journal whose postings
    /// another export holds (409), one that does not come out of planning, or ones with
    /// problems (422, per journal).
    pub fn judge(self, wanted: &Wanted) -> Result<usize, AppError> {
        if self.found.len() < wanted.len() {
            if let Some((posting, export)) = self.conflict {
                return Err(Refused::AlreadyLive { posting, export }.into());
            }
            let mut missing: Vec<&JournalKey> = wanted
                .position
                .keys()
                .filter(|k| !self.found.contains(*k))
                .collect();
            missing.sort_by_key(|k| wanted.position[*k]);
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
