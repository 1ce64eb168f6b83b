//! Validation of a planned journal against Xero's reference data: the checks Xero itself would
//! make (XERO.md), done before anything is sent. The browser and the proxy both call this.

use std::collections::HashMap;

use crate::mapping::{CodeSource, PostAs};
use crate::plan::{PlannedJournal, PlannedLine};
use crate::problem::{LockKind, Problem, TextField};
use crate::xero::limits;
use crate::xero::reference::{Account, ReferenceData, TaxRate, TrackingCategory};

/// System accounts that Xero refuses in manual journals (XERO.md).
pub const REFUSED_SYSTEM_ACCOUNTS: [&str; 4] =
    ["DEBTORS", "CREDITORS", "RETAINEDEARNINGS", "WAGEPAYABLES"];

/// Reference data indexed for look-ups; build once per plan.
#[derive(Debug)]
pub struct ReferenceIndex<'a> {
    reference: &'a ReferenceData,
    accounts: HashMap<String, &'a Account>,
    tax_rates: HashMap<&'a str, &'a TaxRate>,
    categories: HashMap<String, &'a TrackingCategory>,
}

impl<'a> ReferenceIndex<'a> {
    /// Indexes accounts by code and categories by name (Xero matches both without regard to case).
    pub fn new(reference: &'a ReferenceData) -> ReferenceIndex<'a> {
        ReferenceIndex {
            reference,
            accounts: reference
                .accounts
                .iter()
                .filter_map(|a| Some((a.code.as_deref()?.to_lowercase(), a)))
                .collect(),
            tax_rates: reference
                .tax_rates
                .iter()
                .map(|t| (t.tax_type.as_str(), t))
                .collect(),
            categories: reference
                .tracking_categories
                .iter()
                .filter(|c| c.status.as_deref().is_none_or(|s| s == "ACTIVE"))
                .map(|c| (c.name.to_lowercase(), c))
                .collect(),
        }
    }

    /// The account with this code.
    pub fn account(&self, code: &str) -> Option<&'a Account> {
        self.accounts.get(&code.to_lowercase()).copied()
    }
}

/// Every problem Xero would find with the journal, found first. Problems are not repeated.
pub fn validate_journal(journal: &PlannedJournal, index: &ReferenceIndex<'_>) -> Vec<Problem> {
    let mut problems = Vec::new();
    let mut add = |p: Problem| {
        if !problems.contains(&p) {
            problems.push(p);
        }
    };
    for line in &journal.lines {
        check_account(line, index).into_iter().for_each(&mut add);
        check_tax(line, index).into_iter().for_each(&mut add);
        check_tracking(line, index).into_iter().for_each(&mut add);
        if let Some(p) = too_long(
            TextField::Description,
            &line.description,
            limits::DESCRIPTION,
        ) {
            add(p);
        }
    }
    if let Some(p) = too_long(TextField::Narration, &journal.narration, limits::NARRATION) {
        add(p);
    }
    if let Some(p) = check_lock_dates(journal, index.reference) {
        add(p);
    }
    problems
}

fn check_account(line: &PlannedLine, index: &ReferenceIndex<'_>) -> Option<Problem> {
    let code = &line.account_code;
    if let Some(p) = too_long(TextField::AccountCode, code, limits::ACCOUNT_CODE) {
        return Some(p);
    }
    let Some(account) = index.account(code) else {
        return Some(match (line.code_source, line.srm_accounts.first()) {
            (CodeSource::SameCode, Some(srm)) => Problem::UnmappedAccount {
                srm_account: srm.account.clone(),
                division: srm.division.clone(),
            },
            _ if line.rounding => Problem::UnknownAccount {
                code: code.clone(),
                used_for: "the rounding account".into(),
            },
            (_, srm) => Problem::UnknownAccount {
                code: code.clone(),
                used_for: srm.map_or_else(
                    || "mapped".into(),
                    |s| format!("mapped from SRM account {}", s.account),
                ),
            },
        });
    };
    let name = account.name.clone();
    if account.status() != "ACTIVE" {
        return Some(Problem::InactiveAccount {
            code: code.clone(),
            name,
            status: account.status().to_owned(),
        });
    }
    if let Some(system) = account
        .system_account
        .as_deref()
        .filter(|s| REFUSED_SYSTEM_ACCOUNTS.contains(s))
    {
        return Some(Problem::SystemAccount {
            code: code.clone(),
            name,
            system: system.to_owned(),
        });
    }
    (account.account_type.as_deref() == Some("BANK")).then(|| Problem::BankAccount {
        code: code.clone(),
        name,
    })
}

fn check_tax(line: &PlannedLine, index: &ReferenceIndex<'_>) -> Option<Problem> {
    let tax_type = line.tax_type.as_ref()?;
    let code = line.account_code.clone();
    let active = index
        .tax_rates
        .get(tax_type.as_str())
        .filter(|t| t.status.as_deref().is_none_or(|s| s == "ACTIVE"));
    let Some(rate) = active else {
        return Some(Problem::UnknownTaxType {
            tax_type: tax_type.clone(),
            code,
        });
    };
    let class = index.account(&code)?.class.clone()?;
    (!rate.applies_to_class(&class)).then(|| Problem::TaxTypeMismatch {
        tax_type: tax_type.clone(),
        code,
        class,
    })
}

fn check_tracking(line: &PlannedLine, index: &ReferenceIndex<'_>) -> Vec<Problem> {
    let mut problems = Vec::new();
    if line.tracking.len() > limits::TRACKING_PER_LINE {
        problems.push(Problem::TooManyTrackingCategories {
            count: line.tracking.len(),
        });
    }
    for tracking in &line.tracking {
        for text in [&tracking.name, &tracking.option] {
            problems.extend(too_long(TextField::Tracking, text, limits::TRACKING_NAME));
        }
        let Some(category) = index.categories.get(&tracking.name.to_lowercase()) else {
            problems.push(Problem::UnknownTrackingCategory {
                category: tracking.name.clone(),
            });
            continue;
        };
        let option_active = category.options.iter().any(|o| {
            o.name.eq_ignore_ascii_case(&tracking.option)
                && o.status.as_deref().is_none_or(|s| s == "ACTIVE")
        });
        if !option_active {
            problems.push(Problem::UnknownTrackingOption {
                category: category.name.clone(),
                option: tracking.option.clone(),
            });
        }
    }
    problems
}

/// Posted journals on or before a lock date are refused by Xero; drafts are allowed.
fn check_lock_dates(journal: &PlannedJournal, reference: &ReferenceData) -> Option<Problem> {
    if journal.status == PostAs::Draft {
        return None;
    }
    let org = &reference.organisation;
    [
        (org.end_of_year_lock_date, LockKind::EndOfYear),
        (org.period_lock_date, LockKind::Period),
    ]
    .into_iter()
    .filter_map(|(lock_date, lock)| Some((lock_date?, lock)))
    .filter(|(lock_date, _)| journal.date <= *lock_date)
    .max_by_key(|(lock_date, _)| *lock_date)
    .map(|(lock_date, lock)| Problem::BeforeLockDate {
        date: journal.date,
        lock_date,
        lock,
    })
}

fn too_long(field: TextField, text: &str, max: usize) -> Option<Problem> {
    let length = text.chars().count();
    (length > max).then(|| Problem::TooLong {
        field,
        value: text.chars().take(40).collect(),
        length,
        max,
    })
}
