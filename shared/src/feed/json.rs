//! The JSON page of SRM's G/L feed (`GET {gl-feed-url}?from=…&cursor=…`).

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use super::fields::{PostingFields, UniqueIds};
use super::{FeedError, FieldProblem, Location, Posting};
use crate::objects::objects_only;

objects_only!(deserialize: RawPosting);

/// One page of the feed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FeedPage {
    /// The SRM company's name.
    pub company: String,
    /// The company's currency code.
    pub currency: String,
    /// The page's postings, every one valid.
    pub postings: Vec<Posting>,
    /// Where the next page is; `None` on the last page.
    pub next_cursor: Option<String>,
}

/// A page as it arrives: its postings raw, so each is checked and named on its own.
#[derive(Deserialize)]
struct RawPage {
    #[serde(default)]
    company: Option<String>,
    #[serde(default)]
    currency: Option<String>,
    postings: Vec<RawPosting>,
    #[serde(default)]
    next_cursor: Option<String>,
}

/// A posting as it arrives: every field raw, so a wrong one is named rather than a serde error.
#[derive(Deserialize, Default)]
#[serde(remote = "Self")]
pub(super) struct RawPosting {
    id: Option<Box<RawValue>>,
    date: Option<Box<RawValue>>,
    account: Option<Box<RawValue>>,
    division: Option<Box<RawValue>>,
    account_description: Option<Box<RawValue>>,
    debit: Option<Box<RawValue>>,
    credit: Option<Box<RawValue>>,
    source: Option<Box<RawValue>>,
    reference: Option<Box<RawValue>>,
    store: Option<Box<RawValue>>,
    memo: Option<Box<RawValue>>,
}

impl RawPosting {
    fn into_posting(self, at: &Location) -> Result<Posting, FeedError> {
        let text = |raw: Option<Box<RawValue>>, field: &'static str| {
            raw.map(|raw| raw_text(&raw))
                .transpose()
                .map_err(|problem| FeedError::Field {
                    at: at.clone(),
                    field,
                    problem,
                })
        };
        PostingFields {
            id: text(self.id, "id")?,
            date: text(self.date, "date")?,
            account: text(self.account, "account")?,
            division: text(self.division, "division")?,
            account_description: text(self.account_description, "account_description")?,
            debit: text(self.debit, "debit")?,
            credit: text(self.credit, "credit")?,
            source: text(self.source, "source")?,
            reference: text(self.reference, "reference")?,
            store: text(self.store, "store")?,
            memo: text(self.memo, "memo")?,
        }
        .into_posting(at.clone())
    }
}

impl TryFrom<RawPosting> for Posting {
    type Error = FeedError;
    fn try_from(raw: RawPosting) -> Result<Posting, FeedError> {
        raw.into_posting(&Location::Posting { index: 0, id: None })
    }
}

/// A JSON string's text, or a number's literal text (account numbers and amounts may be numbers).
fn raw_text(raw: &RawValue) -> Result<String, FieldProblem> {
    let literal = raw.get();
    match literal.as_bytes().first() {
        Some(b'"') => {
            serde_json::from_str(literal).map_err(|_| FieldProblem::NotText(literal.to_owned()))
        }
        Some(b'-' | b'0'..=b'9') => Ok(literal.to_owned()),
        _ => Err(FieldProblem::NotText(literal.to_owned())),
    }
}

/// Parses one feed page. Every posting is checked; the first problem refuses the whole page.
pub fn parse_page(text: &str) -> Result<FeedPage, FeedError> {
    let raw: RawPage = serde_json::from_str(text).map_err(|e| FeedError::Syntax(e.to_string()))?;
    let mut ids = UniqueIds::default();
    let mut postings = Vec::with_capacity(raw.postings.len());
    for (index, raw_posting) in raw.postings.into_iter().enumerate() {
        let at = Location::Posting {
            index: index + 1,
            id: None,
        };
        let posting = raw_posting.into_posting(&at)?;
        ids.admit(&posting.id, at.with_id(&posting.id))?;
        postings.push(posting);
    }
    Ok(FeedPage {
        company: raw.company.unwrap_or_default(),
        currency: raw.currency.unwrap_or_default(),
        postings,
        next_cursor: raw.next_cursor.filter(|c| !c.is_empty()),
    })
}
