//! The lookup of past exports: what the proxy listed, the filters typed, the highlighted row, and
//! what to ask the proxy beyond the latest exports it lists.

use chrono::NaiveDate;
use srm_xero_shared::api::{ExportSearch, ExportSummary};

/// Everything that changes the lookup alone.
#[derive(Debug, Clone, PartialEq)]
pub enum LookupAction {
    /// The proxy listed exports.
    Loaded(Vec<ExportSummary>),
    /// Filter by number.
    SetNumber(String),
    /// Filter from a day on.
    SetFrom(String),
    /// Filter up to a day.
    SetTo(String),
    /// Move the highlighted row up (negative) or down.
    Move(i32),
    /// Close the lookup (the page removes it).
    Close,
}

/// The lookup of past exports.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Lookup {
    /// The exports the proxy listed, newest first (`None` while loading).
    pub results: Option<Vec<ExportSummary>>,
    /// Number typed to filter.
    pub number: String,
    /// Earliest day, `YYYY-MM-DD` (empty: no limit): an export's from-date or the day it was made.
    pub from: String,
    /// Latest day, `YYYY-MM-DD` (empty: no limit).
    pub to: String,
    /// The highlighted row among the visible ones.
    pub active: usize,
}

/// A typed day, if it is one.
fn day(text: &str) -> Option<NaiveDate> {
    text.trim().parse().ok()
}

impl Lookup {
    /// The exports that match the filters, newest first.
    pub fn visible(&self) -> Vec<&ExportSummary> {
        let number = self.number.trim();
        let (from, to) = (day(&self.from), day(&self.to));
        let within = |d: NaiveDate| from.is_none_or(|f| d >= f) && to.is_none_or(|t| d <= t);
        self.results
            .iter()
            .flatten()
            .filter(|e| number.is_empty() || e.number.to_string().starts_with(number))
            .filter(|e| within(e.from_date) || within(e.created_at.date_naive()))
            .collect()
    }

    /// What to ask the proxy beyond the latest exports it lists: an exact number, or the days
    /// typed (one end is enough).
    pub fn question(&self) -> Option<ExportSearch> {
        if let Ok(number) = self.number.trim().parse::<u64>() {
            return Some(ExportSearch {
                number: Some(number),
                ..ExportSearch::default()
            });
        }
        let (from, to) = (day(&self.from), day(&self.to));
        (from.is_some() || to.is_some()).then_some(ExportSearch {
            from,
            to,
            ..ExportSearch::default()
        })
    }

    /// Applies one of the lookup's own actions ([`LookupAction::Close`] is the page's).
    pub(super) fn apply(&mut self, action: LookupAction) {
        match action {
            LookupAction::Loaded(results) => {
                // Answers to narrower questions (one number, one day) add to the list, which
                // stays newest first.
                let list = self.results.get_or_insert_with(Vec::new);
                for summary in results {
                    match list.binary_search_by(|e| summary.number.cmp(&e.number)) {
                        Ok(known) => list[known] = summary,
                        Err(at) => list.insert(at, summary),
                    }
                }
                self.active = self.active.min(self.visible().len().saturating_sub(1));
            }
            LookupAction::SetNumber(text) => {
                self.number = text;
                self.active = 0;
            }
            LookupAction::SetFrom(text) => {
                self.from = text;
                self.active = 0;
            }
            LookupAction::SetTo(text) => {
                self.to = text;
                self.active = 0;
            }
            LookupAction::Move(delta) => {
                let count = self.visible().len();
                if count > 0 {
                    let step = delta.unsigned_abs() as usize;
                    self.active = if delta < 0 {
                        self.active.saturating_sub(step)
                    } else {
                        (self.active + step).min(count - 1)
                    };
                }
            }
            LookupAction::Close => {}
        }
    }
}
