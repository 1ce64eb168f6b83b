//! Xero's business rules for a manual journal, with Xero's messages where XERO.md knows them
//! (marked "exact") and plain, stable wording where it does not. Pure: journal + organisation +
//! settings + today in, errors/warnings/lines out.

use chrono::NaiveDate;
use rust_decimal::{Decimal, RoundingStrategy};

use super::config::{Settings, ThirdDecimal};
use super::journal_wire::{JournalIn, LineIn, read_amount};
use super::model::{Organisation, StoredLine, StoredTracking};
use super::wire::lock_date_text;

/// Exact (XERO.md).
pub const TWO_LINES: &str = "The manualJournalLines element must contain at least two individual manualJournalLine sub-elements";
/// System accounts that refuse manual-journal lines (XERO.md); ROUNDING, GST and others accept them.
pub const REFUSING_SYSTEM_ACCOUNTS: [&str; 4] =
    ["DEBTORS", "CREDITORS", "RETAINEDEARNINGS", "WAGEPAYABLES"];

/// Exact (XERO.md): `The total debits (100.00) must equal total credits (-10.00)`.
pub fn unbalanced(debits: Decimal, credits: Decimal) -> String {
    format!(
        "The total debits ({}) must equal total credits ({})",
        cents(debits),
        cents(credits)
    )
}

/// Exact (XERO.md): the warning for an unknown account code.
pub fn unknown_account(code: &str) -> String {
    format!("Account code '{code}' has been removed as it does not match a recognised account.")
}

/// Exact (XERO.md).
pub fn tax_type_misfit(tax_type: &str, code: &str) -> String {
    format!("The TaxType code '{tax_type}' cannot be used with account code '{code}'.")
}

/// Exact (XERO.md).
pub fn before_period_lock(lock: NaiveDate) -> String {
    format!(
        "The document date cannot be before the period lock date, currently set at {}",
        lock_date_text(lock)
    )
}

/// Exact (XERO.md).
pub fn before_year_end_lock(lock: NaiveDate) -> String {
    format!(
        "The document date cannot be before the end of year lock date, currently set at {}",
        lock_date_text(lock)
    )
}

fn cents(d: Decimal) -> String {
    format!("{:.2}", d.round_dp(2))
}

/// The verdict on one journal.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Checked {
    pub errors: Vec<String>,
    pub warnings: Vec<String>,
    pub lines: Vec<StoredLine>,
    pub date: Option<NaiveDate>,
    pub status: String,
    pub line_amount_types: String,
}

/// Applies every rule to `journal`.
pub fn check(
    journal: &JournalIn,
    org: &Organisation,
    settings: &Settings,
    today: NaiveDate,
) -> Checked {
    let mut out = Checked {
        status: journal.Status.clone().unwrap_or_else(|| "DRAFT".into()),
        line_amount_types: journal
            .LineAmountTypes
            .clone()
            .unwrap_or_else(|| "NoTax".into()),
        ..Checked::default()
    };
    let narration = journal.Narration.as_deref().unwrap_or_default();
    if narration.trim().is_empty() {
        out.errors.push("Narration must be specified.".into());
    }
    if let Some(max) = settings
        .max_narration
        .filter(|m| narration.chars().count() > *m)
    {
        out.errors
            .push(format!("Narration must not exceed {max} characters."));
    }
    if !matches!(out.status.as_str(), "DRAFT" | "POSTED") {
        out.errors.push(format!(
            "Status '{}' is not valid for a new manual journal: use DRAFT or POSTED.",
            out.status
        ));
    }
    if !matches!(
        out.line_amount_types.as_str(),
        "NoTax" | "Exclusive" | "Inclusive"
    ) {
        out.errors.push(format!(
            "LineAmountTypes '{}' is not valid: use Exclusive, Inclusive or NoTax.",
            out.line_amount_types
        ));
    }
    out.date = match journal.Date.as_deref() {
        None => Some(today),
        Some(text) => {
            let day = NaiveDate::parse_from_str(text.get(..10).unwrap_or(text), "%Y-%m-%d").ok();
            if day.is_none() {
                out.errors
                    .push(format!("The Date '{text}' is not a valid date."));
            }
            day
        }
    };
    let line_amount_types = out.line_amount_types.clone();
    for line in journal.JournalLines.iter().flatten() {
        check_line(line, org, settings, &line_amount_types, &mut out);
    }
    if out.lines.len() < 2 {
        out.errors.push(TWO_LINES.into());
    }
    let debits: Decimal = out
        .lines
        .iter()
        .map(|l| l.line_amount)
        .filter(Decimal::is_sign_positive)
        .sum();
    let credits: Decimal = out
        .lines
        .iter()
        .map(|l| l.line_amount)
        .filter(Decimal::is_sign_negative)
        .sum();
    if debits + credits != Decimal::ZERO {
        out.errors.push(unbalanced(debits, credits));
    }
    if let (Some(date), "POSTED") = (out.date, out.status.as_str()) {
        // DRAFT journals may be saved inside a locked period (XERO.md).
        if let Some(lock) = org.end_of_year_lock_date.filter(|l| date <= *l) {
            out.errors.push(before_year_end_lock(lock));
        } else if let Some(lock) = org.period_lock_date.filter(|l| date <= *l) {
            out.errors.push(before_period_lock(lock));
        }
    }
    out
}

fn check_line(
    line: &LineIn,
    org: &Organisation,
    settings: &Settings,
    line_amount_types: &str,
    out: &mut Checked,
) {
    let code = line.AccountCode.as_deref().unwrap_or_default();
    let by_id = line.AccountID.as_deref().and_then(|id| {
        org.accounts
            .iter()
            .find(|a| a.account_id.eq_ignore_ascii_case(id))
    });
    let Some(account) = by_id.or_else(|| org.account(code)) else {
        // Xero drops the line with a warning, which may then unbalance the journal (XERO.md).
        out.warnings.push(unknown_account(code));
        return;
    };
    let code = account.code.as_str();
    if account.status != "ACTIVE" {
        out.errors.push(format!(
            "Account code '{code}' has been archived, or has been deleted. Each line item must reference a valid account."
        ));
    }
    if REFUSING_SYSTEM_ACCOUNTS.contains(&account.system_account.as_str()) {
        out.errors.push(format!(
            "Account code '{code}' is a system account ({}) and cannot be used in a manual journal.",
            account.system_account
        ));
    }
    if settings.refuse_bank_accounts && account.account_type == "BANK" {
        out.errors.push(format!(
            "Account code '{code}' is a bank account and cannot be used in a manual journal."
        ));
    }
    let amount = match line.LineAmount.as_deref().map(read_amount) {
        None => {
            out.errors.push("LineAmount must be specified.".into());
            Decimal::ZERO
        }
        Some(None) => {
            out.errors.push(format!(
                "LineAmount '{}' is not a valid number.",
                line.LineAmount
                    .as_deref()
                    .map(serde_json::value::RawValue::get)
                    .unwrap_or_default()
            ));
            Decimal::ZERO
        }
        Some(Some(a)) if a.scale() > 2 && a.normalize().scale() > 2 => match settings.third_decimal
        {
            ThirdDecimal::Refuse => {
                out.errors
                    .push(format!("LineAmount {a} has more than two decimal places."));
                a
            }
            ThirdDecimal::Round => {
                a.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
            }
        },
        Some(Some(a)) => a,
    };
    if let Some(desc) = &line.Description
        && let Some(max) = settings
            .max_description
            .filter(|m| desc.chars().count() > *m)
    {
        out.errors
            .push(format!("Description must not exceed {max} characters."));
    }
    let tax_type = match line.TaxType.as_deref() {
        Some(t) => {
            match org.tax_rate(t).filter(|r| r.status == "ACTIVE") {
                None => out
                    .errors
                    .push(format!("The TaxType code '{t}' is not a valid tax type.")),
                Some(rate) if !rate.applies_to(account.class()) => {
                    out.errors.push(tax_type_misfit(t, code));
                }
                Some(_) => {}
            }
            t.to_owned()
        }
        None if line_amount_types == "NoTax" => "NONE".into(),
        None => account.tax_type.clone(),
    };
    let tracking = check_tracking(line, org, settings, out);
    out.lines.push(StoredLine {
        account_code: account.code.clone(),
        account_id: account.account_id.clone(),
        line_amount: amount,
        description: line.Description.clone(),
        tax_type,
        tracking,
    });
}

fn check_tracking(
    line: &LineIn,
    org: &Organisation,
    settings: &Settings,
    out: &mut Checked,
) -> Vec<StoredTracking> {
    let entries = line.Tracking.as_deref().unwrap_or_default();
    if entries.len() > 2 {
        out.errors
            .push("A line may have at most 2 tracking categories.".into());
    }
    let mut kept = Vec::new();
    for entry in entries {
        let name = entry.Name.as_deref().unwrap_or_default();
        let Some(option_name) = entry.Option.as_deref().filter(|o| !o.is_empty()) else {
            // Reported: a Name without an Option silently loses its tracking.
            if !settings.drop_tracking_without_option {
                out.errors.push(format!(
                    "A tracking option must be given for tracking category '{name}'."
                ));
            }
            continue;
        };
        let category = org
            .tracking
            .iter()
            .find(|c| c.status == "ACTIVE" && c.name.eq_ignore_ascii_case(name));
        let Some(category) = category else {
            out.errors
                .push(format!("The tracking category '{name}' does not exist."));
            continue;
        };
        let option = category
            .options
            .iter()
            .find(|o| o.status == "ACTIVE" && o.name.eq_ignore_ascii_case(option_name));
        let Some(option) = option else {
            out.errors.push(format!(
                "The tracking option '{option_name}' does not exist in tracking category '{}'.",
                category.name
            ));
            continue;
        };
        kept.push(StoredTracking {
            category_id: category.id.clone(),
            name: category.name.clone(),
            option_id: option.id.clone(),
            option: option.name.clone(),
        });
    }
    kept
}
