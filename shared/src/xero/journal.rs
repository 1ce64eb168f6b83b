//! The ManualJournals wire format (schemas `ManualJournals`, `ManualJournal`, `ManualJournalLine`).
//!
//! One struct serves requests and answers, as in the spec; answer-only fields are optional.
//! `LineAmount` is [`Money`]: written as a two-decimal JSON number, read exactly.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::money::Money;

/// The array wrapper Xero wants around journals, and answers with.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ManualJournals {
    /// Answer envelope: request id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Answer envelope: `OK`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Answer envelope: the app's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_name: Option<String>,
    /// Answer envelope: when Xero answered (MS-JSON).
    #[serde(
        rename = "DateTimeUTC",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub date_time_utc: Option<String>,
    /// Paging of list answers.
    #[serde(
        rename = "pagination",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub pagination: Option<Pagination>,
    /// Envelope-level warnings.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<ValidationError>,
    /// The journals.
    pub manual_journals: Vec<ManualJournal>,
}

/// Paging information of a list answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Pagination {
    /// This page, from 1.
    pub page: u32,
    /// Items per page.
    pub page_size: u32,
    /// Pages in all.
    pub page_count: u32,
    /// Items in all.
    pub item_count: u32,
}

/// One manual journal.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ManualJournal {
    /// The only field Xero requires; carries our journal key.
    pub narration: String,
    /// The lines; a list answer without `page` leaves them empty.
    #[serde(default)]
    pub journal_lines: Vec<ManualJournalLine>,
    /// The journal's date (`YYYY-MM-DD` sent, MS-JSON answered).
    #[serde(
        default,
        with = "super::dates::iso_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub date: Option<NaiveDate>,
    /// How line amounts relate to tax.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line_amount_types: Option<LineAmountTypes>,
    /// DRAFT or POSTED (Xero defaults to DRAFT: always send it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<ManualJournalStatus>,
    /// A link back to the source, shown in Xero as "Go to …".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Whether cash-basis reports show the journal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub show_on_cash_basis_reports: Option<bool>,
    /// Answer only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub has_attachments: Option<bool>,
    /// Answer only, MS-JSON, kept as Xero wrote it.
    #[serde(
        rename = "UpdatedDateUTC",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub updated_date_utc: Option<String>,
    /// Xero's id for the journal (answer only).
    #[serde(
        rename = "ManualJournalID",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub manual_journal_id: Option<String>,
    /// `OK`, `WARNING` or `ERROR` (answers with `summarizeErrors=false`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_attribute_string: Option<String>,
    /// Warnings Xero attached, e.g. a dropped unknown account code.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<ValidationError>,
    /// Why Xero refused the journal.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub validation_errors: Vec<ValidationError>,
    /// Answer only; kept as Xero wrote them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<serde_json::Value>,
}

/// One line: debits positive, credits negative.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ManualJournalLine {
    /// The amount, exactly two decimals.
    pub line_amount: Money,
    /// The Xero account code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_code: Option<String>,
    /// Xero's account id (answers).
    #[serde(rename = "AccountID", default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    /// The line's text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The tax type, when one applies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tax_type: Option<String>,
    /// At most two tracking categories with their options.
    #[serde(default)]
    pub tracking: Vec<TrackingRef>,
    /// Answer only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tax_amount: Option<Money>,
    /// Answer only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_blank: Option<bool>,
}

/// A tracking category and option on a line, matched by name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "PascalCase")]
pub struct TrackingRef {
    /// The category's name.
    pub name: String,
    /// The option's name (a line with a name but no option silently loses its tracking at Xero).
    pub option: String,
    /// Answer only.
    #[serde(
        rename = "TrackingCategoryID",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub tracking_category_id: Option<String>,
    /// Answer only.
    #[serde(
        rename = "TrackingOptionID",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub tracking_option_id: Option<String>,
}

/// A message in `ValidationErrors` or `Warnings`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ValidationError {
    /// Xero's sentence.
    pub message: String,
}

/// Line amounts and tax.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum LineAmountTypes {
    /// Amounts exclude tax.
    Exclusive,
    /// Amounts include tax.
    Inclusive,
    /// No tax (what we send).
    NoTax,
}

/// A manual journal's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum ManualJournalStatus {
    /// Saved, not posted; allowed inside a locked period.
    Draft,
    /// Posted to the ledger.
    Posted,
    /// Deleted.
    Deleted,
    /// Voided.
    Voided,
    /// Archived.
    Archived,
}
