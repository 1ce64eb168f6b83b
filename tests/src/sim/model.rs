//! The simulator's own model of a Xero organisation and what it stores. Independent of the
//! product's wire types on purpose: a bug shared by both would otherwise go unseen.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;

/// An account in the chart (`Account` schema).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub account_id: String,
    pub code: String,
    pub name: String,
    /// `AccountType`: BANK, CURRENT, CURRLIAB, EQUITY, REVENUE, SALES, DIRECTCOSTS, …
    pub account_type: String,
    /// ACTIVE | ARCHIVED | DELETED
    pub status: String,
    pub tax_type: String,
    /// DEBTORS, CREDITORS, ROUNDING, RETAINEDEARNINGS, … or empty.
    pub system_account: String,
    pub updated: DateTime<Utc>,
}

/// Which `CanApplyTo…` flag of a tax rate an account's type needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountClass {
    Asset,
    Equity,
    Expense,
    Liability,
    Revenue,
}

impl Account {
    /// The account's class, from its type (Xero's fixed mapping).
    pub fn class(&self) -> AccountClass {
        match self.account_type.as_str() {
            "EQUITY" => AccountClass::Equity,
            "EXPENSE" | "OVERHEADS" | "DIRECTCOSTS" | "DEPRECIATN" => AccountClass::Expense,
            "CURRLIAB" | "LIABILITY" | "TERMLIAB" | "PAYG" => AccountClass::Liability,
            "REVENUE" | "SALES" | "OTHERINCOME" => AccountClass::Revenue,
            _ => AccountClass::Asset,
        }
    }
}

/// A tax rate (`TaxRate` schema).
#[allow(clippy::struct_excessive_bools)] // Xero's five CanApplyTo flags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaxRate {
    pub tax_type: String,
    pub name: String,
    pub status: String,
    pub rate: Decimal,
    pub assets: bool,
    pub equity: bool,
    pub expenses: bool,
    pub liabilities: bool,
    pub revenue: bool,
}

impl TaxRate {
    /// Whether this rate may be used on an account of `class`.
    pub fn applies_to(&self, class: AccountClass) -> bool {
        match class {
            AccountClass::Asset => self.assets,
            AccountClass::Equity => self.equity,
            AccountClass::Expense => self.expenses,
            AccountClass::Liability => self.liabilities,
            AccountClass::Revenue => self.revenue,
        }
    }
}

/// A tracking option.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackingOption {
    pub id: String,
    pub name: String,
    pub status: String,
}

/// A tracking category with its options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackingCategory {
    pub id: String,
    pub name: String,
    pub status: String,
    pub options: Vec<TrackingOption>,
}

/// One Xero organisation (a tenant).
#[derive(Debug, Clone)]
pub struct Organisation {
    pub tenant_id: String,
    pub organisation_id: String,
    pub name: String,
    pub short_code: String,
    pub base_currency: String,
    pub country_code: String,
    pub period_lock_date: Option<NaiveDate>,
    pub end_of_year_lock_date: Option<NaiveDate>,
    pub financial_year_end_day: u32,
    pub financial_year_end_month: u32,
    pub created: DateTime<Utc>,
    /// When settings (lock dates, chart, tracking) last changed, for `If-Modified-Since`.
    pub modified: DateTime<Utc>,
    pub accounts: Vec<Account>,
    pub tax_rates: Vec<TaxRate>,
    pub tracking: Vec<TrackingCategory>,
}

impl Organisation {
    /// The account with this code (Xero codes compare case-insensitively).
    pub fn account(&self, code: &str) -> Option<&Account> {
        self.accounts
            .iter()
            .find(|a| a.code.eq_ignore_ascii_case(code))
    }

    /// The tax rate with this tax type.
    pub fn tax_rate(&self, tax_type: &str) -> Option<&TaxRate> {
        self.tax_rates
            .iter()
            .find(|t| t.tax_type.eq_ignore_ascii_case(tax_type))
    }
}

/// One tracking assignment on a stored line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredTracking {
    pub category_id: String,
    pub name: String,
    pub option_id: String,
    pub option: String,
}

/// A stored journal line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredLine {
    pub account_code: String,
    pub account_id: String,
    pub line_amount: Decimal,
    pub description: Option<String>,
    pub tax_type: String,
    pub tracking: Vec<StoredTracking>,
}

/// A manual journal as the simulator stored it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredJournal {
    pub tenant_id: String,
    pub manual_journal_id: String,
    pub narration: String,
    pub date: NaiveDate,
    pub status: String,
    pub line_amount_types: String,
    pub url: Option<String>,
    pub show_on_cash_basis_reports: Option<bool>,
    pub lines: Vec<StoredLine>,
    pub created: DateTime<Utc>,
    pub updated: DateTime<Utc>,
    /// The `Idempotency-Key` of the call that created it, if any.
    pub idempotency_key: Option<String>,
}
