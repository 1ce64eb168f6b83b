//! The JSON page of SRM's G/L feed (`GET {gl-feed-url}?from=…&cursor=…`).

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use super::fields::{PostingFields, UniqueIds};
use super::{FeedError, FieldProblem, Location, Posting};
use crate::json::{self, Json, JsonError, text_or_number};
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

impl PostingFields {
    /// A JSON posting's fields: strings as their text, numbers as their literal text, `null` or
    /// absent as `None`; any other value names its field.
    pub(crate) fn from_json(value: &Json) -> Result<PostingFields, (&'static str, FieldProblem)> {
        let text = |field: &'static str| match value.get(field) {
            Json::Null => Ok(None),
            other => text_or_number(other)
                .map(|t| Some(t.to_owned()))
                .ok_or_else(|| (field, FieldProblem::NotText(other.to_string()))),
        };
        Ok(PostingFields {
            id: text("id")?,
            date: text("date")?,
            account: text("account")?,
            division: text("division")?,
            account_description: text("account_description")?,
            debit: text("debit")?,
            credit: text("credit")?,
            source: text("source")?,
            reference: text("reference")?,
            store: text("store")?,
            memo: text("memo")?,
        })
    }
}

/// Parses one feed page. Every posting is checked; the first problem refuses the whole page.
pub fn parse_page(text: &str) -> Result<FeedPage, FeedError> {
    let syntax = |e: JsonError| FeedError::Syntax(e.to_string());
    let page = json::parse(text).map_err(syntax)?;
    if !matches!(page, Json::Obj(_)) {
        return Err(syntax(JsonError::Field("")));
    }
    let company: Option<String> = page.field("company").map_err(syntax)?;
    let currency: Option<String> = page.field("currency").map_err(syntax)?;
    let next_cursor: Option<String> = page.field("next_cursor").map_err(syntax)?;
    let Json::Arr(raw_postings) = page.get("postings") else {
        return Err(syntax(JsonError::Field("postings")));
    };
    let mut ids = UniqueIds::default();
    let mut postings = Vec::with_capacity(raw_postings.len());
    for (index, raw_posting) in raw_postings.iter().enumerate() {
        let at = Location::Posting {
            index: index + 1,
            id: None,
        };
        if !matches!(raw_posting, Json::Obj(_)) {
            return Err(syntax(JsonError::Field("postings")));
        }
        let fields =
            PostingFields::from_json(raw_posting).map_err(|(field, problem)| FeedError::Field {
                at: at.clone(),
                field,
                problem,
            })?;
        let posting = fields.into_posting(at.clone())?;
        ids.admit(&posting.id, at.with_id(&posting.id))?;
        postings.push(posting);
    }
    Ok(FeedPage {
        company: company.unwrap_or_default(),
        currency: currency.unwrap_or_default(),
        postings,
        next_cursor: next_cursor.filter(|c| !c.is_empty()),
    })
}
