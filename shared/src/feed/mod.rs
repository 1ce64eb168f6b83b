//! SRM's G/L feed: the postings the export is made of, as JSON pages or a dropped CSV file.
//!
//! Both forms go through one conversion ([`fields`]), so they accept and refuse exactly the same
//! postings. A document is all or nothing: the first problem is returned, naming where it is.

mod csv;
mod error;
mod fields;
mod json;

use std::fmt;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

pub use self::csv::parse_csv;
pub use error::{FeedError, FieldProblem, Location};
pub use json::{FeedPage, parse_page};

/// Longest SRM account number (before any division suffix).
pub const MAX_ACCOUNT_LEN: usize = 10;

/// One G/L posting as SRM writes it: exactly one of debit or credit is non-zero (or both are zero).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "json::RawPosting")]
pub struct Posting {
    /// SRM's stable unique posting id: what "exported at most once" counts.
    pub id: String,
    /// The posting date.
    pub date: NaiveDate,
    /// SRM's G/L account number (at most 10 characters).
    pub account: String,
    /// SRM division, when the company uses them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub division: Option<String>,
    /// The account's description in SRM.
    pub account_description: String,
    /// Debit amount, exactly as SRM sent it.
    #[serde(with = "crate::amount::exact")]
    pub debit: Decimal,
    /// Credit amount, exactly as SRM sent it.
    #[serde(with = "crate::amount::exact")]
    pub credit: Decimal,
    /// The sub-ledger the posting came from.
    pub source: Source,
    /// SRM's document reference (invoice number, cheque number, …).
    pub reference: String,
    /// SRM store, when given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub store: Option<String>,
    /// Free text.
    pub memo: String,
}

impl Posting {
    /// Debit minus credit: positive for a debit, negative for a credit, like Xero's `LineAmount`.
    pub fn signed_amount(&self) -> Decimal {
        self.debit - self.credit
    }
}

/// Where a posting came from in SRM.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub enum Source {
    /// A/R invoices.
    Ar,
    /// A/P invoices.
    Ap,
    /// Cash receipts.
    Cr,
    /// Inventory adjustments.
    Ia,
    /// Miscellaneous G/L journals.
    Gj,
    /// G/L checks.
    Ck,
    /// Any other source, kept as SRM wrote it.
    Other(String),
}

impl Source {
    /// The code SRM uses.
    pub fn code(&self) -> &str {
        match self {
            Source::Ar => "AR",
            Source::Ap => "AP",
            Source::Cr => "CR",
            Source::Ia => "IA",
            Source::Gj => "GJ",
            Source::Ck => "CK",
            Source::Other(code) => code,
        }
    }

    /// What the code means, for people.
    pub fn label(&self) -> &str {
        match self {
            Source::Ar => "A/R invoices",
            Source::Ap => "A/P invoices",
            Source::Cr => "Cash receipts",
            Source::Ia => "Inventory adjustments",
            Source::Gj => "Miscellaneous G/L journals",
            Source::Ck => "G/L checks",
            Source::Other(code) => code,
        }
    }
}

impl From<String> for Source {
    fn from(code: String) -> Source {
        match code.as_str() {
            "AR" => Source::Ar,
            "AP" => Source::Ap,
            "CR" => Source::Cr,
            "IA" => Source::Ia,
            "GJ" => Source::Gj,
            "CK" => Source::Ck,
            _ => Source::Other(code),
        }
    }
}

impl From<Source> for String {
    fn from(source: Source) -> String {
        source.code().to_owned()
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// Gathers the pages of one feed, refusing a posting id seen on an earlier page.
#[derive(Debug, Default)]
pub struct FeedCollector {
    postings: Vec<Posting>,
    ids: fields::UniqueIds,
    company: Option<String>,
    currency: Option<String>,
    pages: usize,
}

impl FeedCollector {
    /// Adds one parsed page.
    pub fn add_page(&mut self, page: FeedPage) -> Result<(), FeedError> {
        self.company.get_or_insert(page.company);
        self.currency.get_or_insert(page.currency);
        self.pages += 1;
        let page_number = self.pages;
        for (index, posting) in page.postings.into_iter().enumerate() {
            let at = Location::Page {
                page: page_number,
                index: index + 1,
                id: posting.id.clone(),
            };
            self.ids.admit(&posting.id, at)?;
            self.postings.push(posting);
        }
        Ok(())
    }

    /// The company named by the first page.
    pub fn company(&self) -> Option<&str> {
        self.company.as_deref()
    }

    /// The currency named by the first page.
    pub fn currency(&self) -> Option<&str> {
        self.currency.as_deref()
    }

    /// How many postings so far.
    pub fn len(&self) -> usize {
        self.postings.len()
    }

    /// Whether no posting arrived yet.
    pub fn is_empty(&self) -> bool {
        self.postings.is_empty()
    }

    /// Every posting of every page, in feed order.
    pub fn into_postings(self) -> Vec<Posting> {
        self.postings
    }
}

/// In the OpenAPI document: a posting as the feed's JSON (and so Accept) takes it. Every field
/// may be a string or a JSON number (account numbers and amounts often are numbers); `null` or
/// absent leaves an optional field empty; unknown fields are ignored. What JSON Schema cannot
/// say is in the descriptions and refused with a 422 naming the field.
#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for Posting {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, SchemaType, Type};
        let field = |nullable: bool, description: &str| {
            let mut types = vec![Type::String, Type::Number];
            if nullable {
                types.push(Type::Null);
            }
            ObjectBuilder::new()
                .schema_type(SchemaType::from_iter(types))
                .description(Some(description))
        };
        ObjectBuilder::new()
            .description(Some(
                "One G/L posting as SRM writes it: exactly one of debit or credit is non-zero (or both are zero)",
            ))
            .property("id", field(false, "SRM's stable unique posting id (not blank)"))
            .required("id")
            .property(
                "date",
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .description(Some("The posting date: YYYY-MM-DD or MM/DD/YYYY")),
            )
            .required("date")
            .property("account", field(false, "SRM's G/L account number (not blank, at most 10 characters)"))
            .required("account")
            .property("division", field(true, "SRM division, when the company uses them"))
            .property("account_description", field(true, "The account's description in SRM"))
            .property("debit", field(true, "Debit amount: digits with an optional fraction and optional `,` thousands separators (or a JSON number), not negative; blank or absent is zero"))
            .property("credit", field(true, "Credit amount, written as the debit"))
            .property("source", field(false, "AR, AP, CR, IA, GJ, CK, or another code kept as SRM wrote it (not blank)"))
            .required("source")
            .property("reference", field(true, "SRM's document reference (invoice number, cheque number, …)"))
            .property("store", field(true, "SRM store, when given"))
            .property("memo", field(true, "Free text"))
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for Posting {}

/// In the OpenAPI document: SRM's source code as a string.
#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for Source {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .description(Some(
                "AR, AP, CR, IA, GJ, CK, or another code kept as SRM wrote it",
            ))
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for Source {}
