//! The one conversion from a posting's text fields to a [`Posting`], shared by JSON and CSV.

use std::collections::HashMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::{FeedError, FieldProblem, Location, MAX_ACCOUNT_LEN, Posting, Source};
use crate::amount::parse_amount;

/// A posting's fields as text, before any of them is trusted.
#[derive(Debug, Default)]
pub(super) struct PostingFields {
    pub id: Option<String>,
    pub date: Option<String>,
    pub account: Option<String>,
    pub division: Option<String>,
    pub account_description: Option<String>,
    pub debit: Option<String>,
    pub credit: Option<String>,
    pub source: Option<String>,
    pub reference: Option<String>,
    pub store: Option<String>,
    pub memo: Option<String>,
}

impl PostingFields {
    /// Checks every field and builds the posting, or names the first field that is wrong.
    pub fn into_posting(self, at: Location) -> Result<Posting, FeedError> {
        let fail = |at: &Location, field: &'static str, problem: FieldProblem| FeedError::Field {
            at: at.clone(),
            field,
            problem,
        };
        let id = non_blank(self.id).ok_or_else(|| fail(&at, "id", FieldProblem::Missing))?;
        let at = at.with_id(&id);
        let date_text =
            non_blank(self.date).ok_or_else(|| fail(&at, "date", FieldProblem::Missing))?;
        let date = parse_date(&date_text)
            .ok_or_else(|| fail(&at, "date", FieldProblem::Date(date_text)))?;
        let account =
            non_blank(self.account).ok_or_else(|| fail(&at, "account", FieldProblem::Missing))?;
        let length = account.chars().count();
        if length > MAX_ACCOUNT_LEN {
            let problem = FieldProblem::TooLong {
                value: account,
                length,
                max: MAX_ACCOUNT_LEN,
            };
            return Err(fail(&at, "account", problem));
        }
        let debit = amount(self.debit).map_err(|p| fail(&at, "debit", p))?;
        let credit = amount(self.credit).map_err(|p| fail(&at, "credit", p))?;
        if !debit.is_zero() && !credit.is_zero() {
            return Err(FeedError::BothSides {
                at,
                debit: debit.to_string(),
                credit: credit.to_string(),
            });
        }
        let source =
            non_blank(self.source).ok_or_else(|| fail(&at, "source", FieldProblem::Missing))?;
        Ok(Posting {
            id,
            date,
            account,
            division: non_blank(self.division),
            account_description: self
                .account_description
                .unwrap_or_default()
                .trim()
                .to_owned(),
            debit,
            credit,
            source: Source::from(source),
            reference: self.reference.unwrap_or_default().trim().to_owned(),
            store: non_blank(self.store),
            memo: self.memo.unwrap_or_default().trim().to_owned(),
        })
    }
}

fn non_blank(text: Option<String>) -> Option<String> {
    text.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty())
}

/// A blank or absent amount is zero: SRM's reports leave the unused column empty.
fn amount(text: Option<String>) -> Result<Decimal, FieldProblem> {
    match non_blank(text) {
        None => Ok(Decimal::ZERO),
        Some(text) => Ok(parse_amount(&text)?),
    }
}

/// Reads `YYYY-MM-DD` or `MM/DD/YYYY` (SRM's US-style reports), ten characters exactly.
fn parse_date(text: &str) -> Option<NaiveDate> {
    let text = text.trim();
    let format = match text.as_bytes() {
        [_, _, _, _, b'-', ..] => crate::day::ISO,
        [_, _, b'/', ..] => crate::day::US,
        _ => return None,
    };
    (text.len() == 10)
        .then(|| crate::day::parse_date(text, format))
        .flatten()
}

/// Remembers where each posting id was first seen, refusing a second occurrence.
#[derive(Debug, Default)]
pub(super) struct UniqueIds(HashMap<String, Location>);

impl UniqueIds {
    /// Admits `id` seen at `at`, or names both places it stands.
    pub fn admit(&mut self, id: &str, at: Location) -> Result<(), FeedError> {
        if let Some(first) = self.0.get(id) {
            return Err(FeedError::DuplicateId {
                id: id.to_owned(),
                at,
                first: first.clone(),
            });
        }
        self.0.insert(id.to_owned(), at);
        Ok(())
    }
}
