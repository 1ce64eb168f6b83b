//! Planning: SRM postings → the journals to post, each with its key, lines and problems.
//!
//! Postings are filtered (from-date, cut-off, already exported), grouped by date and the chosen
//! dimension, turned into lines, balanced, and validated against Xero's reference data. The result
//! is deterministic: the same postings in any order give the same journals.

mod key;
mod lines;
pub mod narration;

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::feed::Posting;
use crate::mapping::{MappingSettings, PostAs};
use crate::money::Money;
use crate::problem::{Problem, Severity};
use crate::validate::{ReferenceIndex, validate_journal};
use crate::xero::reference::ReferenceData;
use crate::xero::{LineAmountTypes, ManualJournal, ManualJournalLine};

pub use key::JournalKey;
pub use lines::{PlannedLine, SrmAccount};

/// What to plan.
#[derive(Debug, Clone, Copy)]
pub struct PlanRequest<'a> {
    /// The postings read from the feed (any order).
    pub postings: &'a [Posting],
    /// The tenant's mapping.
    pub settings: &'a MappingSettings,
    /// Posting ids already in a posted or in-flight journal, with their export number.
    pub exported: &'a HashMap<String, u64>,
    /// Sync from this date (inclusive).
    pub from: NaiveDate,
    /// The export number, once the proxy has given one (the narration says "new" before).
    pub export_number: Option<u64>,
    /// Xero's accounts, tax rates, tracking and lock dates.
    pub reference: &'a ReferenceData,
}

/// A journal ready to post, or held back by its problems.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PlannedJournal {
    /// Derived from its posting ids; also in the narration.
    pub key: JournalKey,
    /// The posting date.
    pub date: NaiveDate,
    /// The group beside the date ("Division 1", "Store 001", …).
    pub group: String,
    /// The narration sent to Xero.
    pub narration: String,
    /// The link back to SRM, when configured.
    pub url: Option<String>,
    /// POSTED or DRAFT.
    pub status: PostAs,
    /// The lines, non-zero, in a stable order; a rounding line comes last.
    pub lines: Vec<PlannedLine>,
    /// The SRM posting ids it is made of, sorted.
    pub postings: Vec<String>,
    /// Everything wrong with it.
    pub problems: Vec<Problem>,
}

impl PlannedJournal {
    /// Whether it may be sent: nothing blocking and something to post.
    pub fn is_postable(&self) -> bool {
        self.problems
            .iter()
            .all(|p| p.severity() == Severity::Warning)
    }

    /// The sum of the debit lines.
    pub fn debits(&self) -> Money {
        self.lines
            .iter()
            .map(|l| l.amount)
            .filter(|a| a.is_positive())
            .sum()
    }

    /// The sum of the credit lines, as a positive amount.
    pub fn credits(&self) -> Money {
        -self
            .lines
            .iter()
            .map(|l| l.amount)
            .filter(|a| !a.is_positive())
            .sum::<Money>()
    }

    /// The journal as Xero's `ManualJournal`.
    pub fn to_xero(&self) -> ManualJournal {
        ManualJournal {
            narration: self.narration.clone(),
            journal_lines: self
                .lines
                .iter()
                .map(|line| ManualJournalLine {
                    line_amount: line.amount,
                    account_code: Some(line.account_code.clone()),
                    description: Some(line.description.clone()),
                    tax_type: line.tax_type.clone(),
                    tracking: line.tracking.clone(),
                    ..ManualJournalLine::default()
                })
                .collect(),
            date: Some(self.date),
            line_amount_types: Some(LineAmountTypes::NoTax),
            status: Some(self.status.status()),
            url: self.url.clone(),
            show_on_cash_basis_reports: Some(true),
            ..ManualJournal::default()
        }
    }
}

/// Postings left out of the plan, and why.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Skipped {
    /// Already in a posted or in-flight journal: (posting id, export number).
    pub already_exported: Vec<(String, u64)>,
    /// Dated before the from-date.
    pub before_from: usize,
    /// Dated before the cut-off date.
    pub before_cutoff: usize,
}

/// The outcome of planning.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Plan {
    /// Postings read.
    pub postings_read: usize,
    /// Postings left out.
    pub skipped: Skipped,
    /// The journals, by date then group.
    pub journals: Vec<PlannedJournal>,
}

impl Plan {
    /// The journals that may be sent.
    pub fn postable(&self) -> impl Iterator<Item = &PlannedJournal> {
        self.journals.iter().filter(|j| j.is_postable())
    }

    /// Whether any journal has a blocking problem.
    pub fn has_blocking(&self) -> bool {
        self.journals.iter().any(|j| {
            j.problems
                .iter()
                .any(|p| p.severity() == Severity::Blocking)
        })
    }
}

/// Plans postings into journals and validates them.
pub fn plan(request: &PlanRequest<'_>) -> Plan {
    let PlanRequest {
        postings,
        settings,
        exported,
        from,
        ..
    } = *request;
    let mut skipped = Skipped::default();
    let mut groups: BTreeMap<(NaiveDate, String), Vec<&Posting>> = BTreeMap::new();
    for posting in postings {
        if posting.date < from {
            skipped.before_from += 1;
        } else if settings
            .cutoff_date
            .is_some_and(|cutoff| posting.date < cutoff)
        {
            skipped.before_cutoff += 1;
        } else if let Some(&export) = exported.get(&posting.id) {
            skipped.already_exported.push((posting.id.clone(), export));
        } else {
            let group = settings.grouping.group_label(posting);
            groups
                .entry((posting.date, group))
                .or_default()
                .push(posting);
        }
    }
    skipped.already_exported.sort_unstable();
    let index = ReferenceIndex::new(request.reference);
    let journals = groups
        .into_iter()
        .map(|((date, group), members)| plan_journal(date, group, &members, request, &index))
        .collect();
    Plan {
        postings_read: postings.len(),
        skipped,
        journals,
    }
}

fn plan_journal(
    date: NaiveDate,
    group: String,
    postings: &[&Posting],
    request: &PlanRequest<'_>,
    index: &ReferenceIndex<'_>,
) -> PlannedJournal {
    let settings = request.settings;
    let mut ids: Vec<String> = postings.iter().map(|p| p.id.clone()).collect();
    ids.sort_unstable();
    let key = JournalKey::from_posting_ids(ids.iter().map(String::as_str));
    let (mut lines, mut problems) = lines::form_lines(postings, settings);
    if lines.is_empty() {
        problems.push(Problem::NetsToZero);
    } else {
        problems.extend(lines::balance(&mut lines, settings));
        if lines.len() < 2 {
            problems.push(Problem::TooFewLines { lines: lines.len() });
        }
    }
    // Growing by pushes leaves room for four lines; an export keeps thousands of journals.
    lines.shrink_to_fit();
    let export = request
        .export_number
        .map_or_else(|| "new".to_owned(), |n| n.to_string());
    let date_text = date.to_string();
    let fields = narration::Fields {
        date: &date_text,
        group: &group,
        export: &export,
        key: key.as_str(),
    };
    let fill = |template: &str| narration::fill(template, &fields);
    let narration = fill(&settings.narration_template);
    let url = settings.url_template.as_deref().map(fill);
    let mut journal = PlannedJournal {
        narration,
        url,
        key,
        date,
        group,
        status: settings.status,
        lines,
        postings: ids,
        problems,
    };
    if !journal.problems.contains(&Problem::NetsToZero) {
        let found = validate_journal(&journal, index);
        journal.problems.extend(found);
    }
    journal
}
