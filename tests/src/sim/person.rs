//! What a person does to a manual journal in Xero's own screens, after the product posted it:
//! voids a posted journal, deletes a draft, or edits one (its lines, amounts or date) and saves
//! it again. Each goes through the rules Xero applies to a save ([`super::rules`]): an edit that
//! does not balance, names an unusable account or lands in a locked period is refused with Xero's
//! words. The journal keeps its ManualJournalID; `UpdatedDateUTC` moves to now, so
//! `If-Modified-Since` finds it.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde_json::value::RawValue;

use super::config::Settings;
use super::journal_wire::{JournalIn, LineIn, TrackingIn};
use super::model::StoredJournal;
use super::rules;
use super::state::SimState;

/// A journal as a person saves it after editing: its date and every line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalEdit {
    /// The journal's date.
    pub date: NaiveDate,
    /// Every line, as saved.
    pub lines: Vec<LineEdit>,
}

/// One line of an edited journal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineEdit {
    /// The account's code.
    pub account_code: String,
    /// Debit positive, credit negative.
    pub line_amount: Decimal,
    /// The line's text.
    pub description: Option<String>,
    /// Tracking: (category name, option name).
    pub tracking: Vec<(String, String)>,
}

impl JournalEdit {
    /// The journal as it stands, to change before saving.
    pub fn of(journal: &StoredJournal) -> JournalEdit {
        JournalEdit {
            date: journal.date,
            lines: journal
                .lines
                .iter()
                .map(|l| LineEdit {
                    account_code: l.account_code.clone(),
                    line_amount: l.line_amount,
                    description: l.description.clone(),
                    tracking: l
                        .tracking
                        .iter()
                        .map(|t| (t.name.clone(), t.option.clone()))
                        .collect(),
                })
                .collect(),
        }
    }

    /// Adds `amount` to the debit lines and takes it from the credit lines, each on the first of
    /// its side: the journal still balances, with a different total.
    #[must_use]
    pub fn grown_by(mut self, amount: Decimal) -> JournalEdit {
        if let Some(debit) = self
            .lines
            .iter_mut()
            .find(|l| l.line_amount > Decimal::ZERO)
        {
            debit.line_amount += amount;
        }
        if let Some(credit) = self
            .lines
            .iter_mut()
            .find(|l| l.line_amount < Decimal::ZERO)
        {
            credit.line_amount -= amount;
        }
        self
    }

    /// The edit as the request body Xero's screen sends, for [`rules::check`].
    fn as_sent(&self, journal: &StoredJournal) -> JournalIn {
        JournalIn {
            ManualJournalID: Some(journal.manual_journal_id.clone()),
            Narration: Some(journal.narration.clone()),
            Date: Some(self.date.to_string()),
            Status: Some(journal.status.clone()),
            LineAmountTypes: Some(journal.line_amount_types.clone()),
            Url: journal.url.clone(),
            ShowOnCashBasisReports: journal.show_on_cash_basis_reports,
            JournalLines: Some(
                self.lines
                    .iter()
                    .map(|l| LineIn {
                        LineAmount: RawValue::from_string(l.line_amount.to_string()).ok(),
                        AccountCode: Some(l.account_code.clone()),
                        AccountID: None,
                        Description: l.description.clone(),
                        TaxType: None,
                        Tracking: Some(
                            l.tracking
                                .iter()
                                .map(|(name, option)| TrackingIn {
                                    Name: Some(name.clone()),
                                    Option: Some(option.clone()),
                                })
                                .collect(),
                        ),
                    })
                    .collect(),
            ),
        }
    }
}

/// Why a person's change was refused: Xero's words.
pub type Refusal = Vec<String>;

fn find<'a>(
    state: &'a mut SimState,
    tenant: &str,
    id: &str,
) -> Result<&'a mut StoredJournal, Refusal> {
    state
        .journals
        .iter_mut()
        .find(|j| j.tenant_id == tenant && j.manual_journal_id.eq_ignore_ascii_case(id))
        .ok_or_else(|| vec![format!("ManualJournal '{id}' could not be found.")])
}

/// Voids a posted journal (Xero offers Void on posted journals only).
pub fn void(
    state: &mut SimState,
    tenant: &str,
    id: &str,
    now: DateTime<Utc>,
) -> Result<(), Refusal> {
    change_status(state, tenant, id, ("POSTED", "VOIDED"), now)
}

/// Deletes a draft journal (Xero offers Delete on drafts only; a posted one is voided).
pub fn delete(
    state: &mut SimState,
    tenant: &str,
    id: &str,
    now: DateTime<Utc>,
) -> Result<(), Refusal> {
    change_status(state, tenant, id, ("DRAFT", "DELETED"), now)
}

/// Moves a journal from the one status Xero allows the change from to the next.
fn change_status(
    state: &mut SimState,
    tenant: &str,
    id: &str,
    (from, to): (&str, &str),
    now: DateTime<Utc>,
) -> Result<(), Refusal> {
    let journal = find(state, tenant, id)?;
    if journal.status != from {
        return Err(vec![format!(
            "A {} manual journal cannot become {to}: only a {from} one can.",
            journal.status
        )]);
    }
    journal.status = to.into();
    journal.updated = now;
    Ok(())
}

/// Saves `edit` over a draft or posted journal, checked as Xero checks a save.
pub fn edit(
    state: &mut SimState,
    tenant: &str,
    id: &str,
    edit: &JournalEdit,
    now: DateTime<Utc>,
) -> Result<(), Refusal> {
    let settings: Settings = state.settings.clone();
    let org = state
        .org(tenant)
        .cloned()
        .ok_or_else(|| vec![format!("no organisation {tenant}")])?;
    let journal = find(state, tenant, id)?;
    if !matches!(journal.status.as_str(), "DRAFT" | "POSTED") {
        return Err(vec![format!(
            "A {} manual journal cannot be edited.",
            journal.status
        )]);
    }
    let checked = rules::check(&edit.as_sent(journal), &org, &settings, now.date_naive());
    if !checked.errors.is_empty() {
        return Err(checked.errors);
    }
    journal.lines = checked.lines;
    journal.date = checked.date.unwrap_or(edit.date);
    journal.updated = now;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::org::{ACME_TENANT_ID, demo_organisations};
    use crate::rng::SplitMix64;
    use crate::sim::model::StoredLine;

    fn at(hour: u32) -> DateTime<Utc> {
        NaiveDate::from_ymd_opt(2019, 8, 20)
            .unwrap()
            .and_hms_opt(hour, 0, 0)
            .unwrap()
            .and_utc()
    }

    fn state_with(status: &str) -> SimState {
        let orgs = demo_organisations(at(0));
        let org = orgs[0].clone();
        let line = |code: &str, amount: i64| StoredLine {
            account_code: org.account(code).unwrap().code.clone(),
            account_id: org.account(code).unwrap().account_id.clone(),
            line_amount: Decimal::new(amount, 2),
            description: None,
            tax_type: "NONE".into(),
            tracking: Vec::new(),
        };
        let codes = crate::demo::org::codes::AR_CLEARING;
        let revenue = crate::demo::org::codes::RENTAL;
        SimState {
            settings: Settings::default(),
            app: super::super::config::AppRegistration::default(),
            journals: vec![StoredJournal {
                tenant_id: ACME_TENANT_ID.into(),
                manual_journal_id: "mj-1".into(),
                narration: "SRM · key a".into(),
                date: NaiveDate::from_ymd_opt(2019, 8, 19).unwrap(),
                status: status.into(),
                line_amount_types: "NoTax".into(),
                url: None,
                show_on_cash_basis_reports: Some(true),
                lines: vec![line(codes, 10_000), line(revenue, -10_000)],
                created: at(1),
                updated: at(1),
                idempotency_key: None,
            }],
            orgs,
            calls: Vec::new(),
            identity: super::super::tokens::IdentityStore::default(),
            limits: super::super::limits::LimitState::default(),
            idempotency: super::super::idempotency::IdempotencyStore::default(),
            faults: super::super::faults::FaultQueue::default(),
            rng: SplitMix64::new(1),
        }
    }

    #[test]
    fn a_posted_journal_is_voided_and_a_draft_deleted_never_the_other_way() {
        let mut posted = state_with("POSTED");
        assert!(delete(&mut posted, ACME_TENANT_ID, "mj-1", at(2)).is_err());
        void(&mut posted, ACME_TENANT_ID, "MJ-1", at(2)).unwrap();
        assert_eq!(posted.journals[0].status, "VOIDED");
        assert_eq!(posted.journals[0].updated, at(2));
        assert!(void(&mut posted, ACME_TENANT_ID, "mj-1", at(3)).is_err());

        let mut draft = state_with("DRAFT");
        assert!(void(&mut draft, ACME_TENANT_ID, "mj-1", at(2)).is_err());
        delete(&mut draft, ACME_TENANT_ID, "mj-1", at(2)).unwrap();
        assert_eq!(draft.journals[0].status, "DELETED");
        assert!(void(&mut draft, "another-org", "mj-1", at(2)).is_err());
    }

    #[test]
    fn an_edit_must_balance_and_keeps_the_id() {
        let mut state = state_with("POSTED");
        let grown = JournalEdit::of(&state.journals[0]).grown_by(Decimal::new(2_500, 2));
        edit(&mut state, ACME_TENANT_ID, "mj-1", &grown, at(3)).unwrap();
        let journal = &state.journals[0];
        assert_eq!(journal.manual_journal_id, "mj-1");
        assert_eq!(journal.lines[0].line_amount, Decimal::new(12_500, 2));
        assert_eq!(journal.lines[1].line_amount, Decimal::new(-12_500, 2));
        assert_eq!(journal.updated, at(3));

        let mut lopsided = JournalEdit::of(&state.journals[0]);
        lopsided.lines[0].line_amount += Decimal::ONE;
        let refused = edit(&mut state, ACME_TENANT_ID, "mj-1", &lopsided, at(4)).unwrap_err();
        assert!(refused[0].starts_with("The total debits"), "{refused:?}");
        assert_eq!(
            state.journals[0].updated,
            at(3),
            "a refused edit changes nothing"
        );
    }
}
