//! Everything that can be wrong with a planned journal, each with its data and a fix in plain words.
//!
//! The browser shows these beside each journal before anything is posted; the proxy refuses a
//! journal with a blocking one. One list, so both sides always agree.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::money::Money;

/// How much a problem matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// The journal cannot be posted until it is fixed.
    Blocking,
    /// The journal can be posted, but someone should know.
    Warning,
    /// There is nothing to post; the journal is left out.
    Skipped,
}

/// Which lock date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum LockKind {
    /// The period lock date (advisers may still post; we do not).
    Period,
    /// The end-of-year lock date.
    EndOfYear,
}

/// Which text field is too long.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum TextField {
    /// The journal narration.
    Narration,
    /// A line description.
    Description,
    /// An account code.
    AccountCode,
    /// A tracking category or option name.
    Tracking,
}

/// A problem with one journal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Problem {
    /// Debits and credits differ by more than the rounding account may absorb.
    #[error("Debits {debits} and credits {credits} differ by {difference}.")]
    Unbalanced {
        /// Sum of debit lines.
        debits: Money,
        /// Sum of credit lines (as a positive amount).
        credits: Money,
        /// Debits minus credits.
        difference: Money,
    },
    /// Fewer than two lines with an amount.
    #[error("A journal needs at least two lines with amounts; this one has {lines}.")]
    TooFewLines {
        /// Lines with an amount.
        lines: usize,
    },
    /// Every account nets to zero.
    #[error("The postings net to zero on every account, so there is nothing to post.")]
    NetsToZero,
    /// An amount with more than two decimals while rounding is off.
    #[error("The amount {amount} on {account} has more than two decimals.")]
    ExcessPrecision {
        /// Which line (SRM accounts).
        account: String,
        /// The exact amount.
        amount: String,
    },
    /// An SRM account with no rule whose own code is not in Xero.
    #[error("SRM account {} has no Xero account.", srm_label(srm_account, division.as_deref()))]
    UnmappedAccount {
        /// SRM's account.
        srm_account: String,
        /// Its division.
        division: Option<String>,
    },
    /// A code (from a rule, or the rounding account) that Xero does not have.
    #[error("Xero has no account with code {code} ({used_for}).")]
    UnknownAccount {
        /// The code.
        code: String,
        /// What it is used for: "mapped from SRM account 4000" or "the rounding account".
        used_for: String,
    },
    /// An archived or deleted account.
    #[error("Xero account {code} {name} is {status}.")]
    InactiveAccount {
        /// The code.
        code: String,
        /// The account's name.
        name: String,
        /// ARCHIVED or DELETED.
        status: String,
    },
    /// A system account that manual journals cannot use.
    #[error(
        "Xero account {code} {name} is the {system} system account, which manual journals cannot use."
    )]
    SystemAccount {
        /// The code.
        code: String,
        /// The account's name.
        name: String,
        /// DEBTORS, CREDITORS, …
        system: String,
    },
    /// A bank account (Xero is reported to refuse these in manual journals; unconfirmed).
    #[error(
        "Xero account {code} {name} is a bank account; Xero may refuse manual journal lines on it."
    )]
    BankAccount {
        /// The code.
        code: String,
        /// The account's name.
        name: String,
    },
    /// A tax type Xero does not have, or not active.
    #[error("Xero has no active tax type {tax_type} (used on account {code}).")]
    UnknownTaxType {
        /// The tax type.
        tax_type: String,
        /// The account it is set for.
        code: String,
    },
    /// A tax type that does not apply to the account's class.
    #[error("The TaxType code '{tax_type}' cannot be used with account code '{code}'.")]
    TaxTypeMismatch {
        /// The tax type.
        tax_type: String,
        /// The account.
        code: String,
        /// The account's class.
        class: String,
    },
    /// No such tracking category (or not active).
    #[error("Xero has no active tracking category \"{category}\".")]
    UnknownTrackingCategory {
        /// The category's name.
        category: String,
    },
    /// No such option in the category (or archived).
    #[error("Tracking category \"{category}\" has no active option \"{option}\".")]
    UnknownTrackingOption {
        /// The category's name.
        category: String,
        /// The option's name.
        option: String,
    },
    /// More than two tracking categories on a line.
    #[error("A line carries {count} tracking categories; Xero allows two.")]
    TooManyTrackingCategories {
        /// How many.
        count: usize,
    },
    /// A posted journal dated on or before a lock date.
    #[error("The date {date} is on or before the {} ({lock_date}).", lock_label(*lock))]
    BeforeLockDate {
        /// The journal's date.
        date: NaiveDate,
        /// The lock date.
        lock_date: NaiveDate,
        /// Which one.
        lock: LockKind,
    },
    /// A text longer than Xero takes.
    #[error("The {} \"{value}\" is {length} characters long; Xero takes at most {max}.", field_label(*field))]
    TooLong {
        /// Which field.
        field: TextField,
        /// The start of the text.
        value: String,
        /// Its length.
        length: usize,
        /// The limit.
        max: usize,
    },
}

fn srm_label(account: &str, division: Option<&str>) -> String {
    match division {
        Some(d) => format!("{account} (division {d})"),
        None => account.to_owned(),
    }
}

fn lock_label(lock: LockKind) -> &'static str {
    match lock {
        LockKind::Period => "period lock date",
        LockKind::EndOfYear => "end-of-year lock date",
    }
}

fn field_label(field: TextField) -> &'static str {
    match field {
        TextField::Narration => "narration",
        TextField::Description => "line description",
        TextField::AccountCode => "account code",
        TextField::Tracking => "tracking name",
    }
}

impl Problem {
    /// How much it matters.
    pub fn severity(&self) -> Severity {
        match self {
            Problem::NetsToZero => Severity::Skipped,
            Problem::BankAccount { .. } => Severity::Warning,
            _ => Severity::Blocking,
        }
    }

    /// What to do about it, in plain words.
    pub fn fix(&self) -> String {
        match self {
            Problem::Unbalanced { difference, .. } => format!(
                "Find the SRM posting that is missing its other side. If the difference is only a rounding \
                 residue, set a rounding account with a tolerance of at least {} in the mapping.",
                difference.abs()
            ),
            Problem::TooFewLines { .. } => {
                "Check the day's postings in SRM: a journal needs a debit side and a credit side.".to_owned()
            }
            Problem::NetsToZero => "Nothing to do: the journal is left out.".to_owned(),
            Problem::ExcessPrecision { .. } => "Turn on \"round amounts to the cent\" in the mapping (the residue goes \
                 to the rounding account), or correct the posting in SRM."
                .to_owned(),
            Problem::UnmappedAccount { srm_account, .. } => format!(
                "Map SRM account {srm_account} to a Xero account in the mapping, or add account \
                 {srm_account} to Xero's chart of accounts."
            ),
            Problem::UnknownAccount { .. } => "Choose an existing Xero account in the mapping.".to_owned(),
            Problem::InactiveAccount { code, .. } => {
                format!("Map to an active Xero account instead, or restore account {code} in Xero.")
            }
            Problem::SystemAccount { .. } => {
                "Map it to an ordinary clearing account; Xero keeps system accounts for its own entries.".to_owned()
            }
            Problem::BankAccount { .. } => {
                "Prefer a clearing account; bank movements belong in Xero's bank transactions.".to_owned()
            }
            Problem::UnknownTaxType { code, .. } => {
                format!("Choose one of Xero's active tax types for account {code} in the mapping, or none.")
            }
            Problem::TaxTypeMismatch { code, class, .. } => format!(
                "Choose a tax type that applies to {} accounts for account {code} in the mapping, or none.",
                class.to_lowercase()
            ),
            Problem::UnknownTrackingCategory { category } => format!(
                "Create the tracking category \"{category}\" in Xero, or choose an existing one in the mapping."
            ),
            Problem::UnknownTrackingOption { category, option } => format!(
                "Add the option \"{option}\" to \"{category}\" in Xero, or map the division or store to an \
                 existing option."
            ),
            Problem::TooManyTrackingCategories { .. } => {
                "Track by division or by store, not more than two categories.".to_owned()
            }
            Problem::BeforeLockDate { .. } => "Sync from a later date, ask your accountant to move the lock date, \
                 or post as DRAFT in the mapping."
                .to_owned(),
            Problem::TooLong { .. } => "Shorten it in the mapping (or in SRM).".to_owned(),
        }
    }
}
