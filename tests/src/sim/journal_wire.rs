//! ManualJournals on the wire: the request as Xero reads it (amounts kept as their exact JSON text)
//! and the elements Xero answers with.

#![allow(non_snake_case)] // Field names are Xero's, so serde needs no renames.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use super::model::{StoredJournal, StoredLine};
use super::wire::{ms_date, ms_day};

/// A tracking entry as sent.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct TrackingIn {
    pub Name: Option<String>,
    pub Option: Option<String>,
}

/// A line as sent. `LineAmount` stays raw JSON text so it is read exactly.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct LineIn {
    pub LineAmount: Option<Box<RawValue>>,
    pub AccountCode: Option<String>,
    pub AccountID: Option<String>,
    pub Description: Option<String>,
    pub TaxType: Option<String>,
    pub Tracking: Option<Vec<TrackingIn>>,
}

/// A journal as sent.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct JournalIn {
    pub ManualJournalID: Option<String>,
    pub Narration: Option<String>,
    pub Date: Option<String>,
    pub Status: Option<String>,
    pub LineAmountTypes: Option<String>,
    pub Url: Option<String>,
    pub ShowOnCashBasisReports: Option<bool>,
    pub JournalLines: Option<Vec<LineIn>>,
}

#[derive(Deserialize)]
struct Wrapper {
    ManualJournals: Option<Vec<JournalIn>>,
}

/// Reads a body: the `{"ManualJournals":[…]}` wrapper or one bare journal, as Xero accepts both.
/// (Two passes because serde's untagged enums cannot hold `RawValue`.)
pub fn parse_body(body: &[u8]) -> Result<Vec<JournalIn>, String> {
    let wrapper: Wrapper = serde_json::from_slice(body).map_err(|e| e.to_string())?;
    match wrapper.ManualJournals {
        Some(list) => Ok(list),
        None => serde_json::from_slice::<JournalIn>(body)
            .map(|j| vec![j])
            .map_err(|e| e.to_string()),
    }
}

/// Reads a `LineAmount`'s exact decimal (a JSON number, or a string holding one).
pub fn read_amount(raw: &RawValue) -> Option<Decimal> {
    let text = raw.get().trim();
    let text = text
        .strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .unwrap_or(text);
    text.parse::<Decimal>()
        .ok()
        .or_else(|| Decimal::from_scientific(text).ok())
}

/// `{"Message": …}`
#[derive(Debug, Clone, Serialize)]
pub struct Message {
    pub Message: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct TrackingOut {
    pub Name: Option<String>,
    pub Option: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub TrackingCategoryID: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub TrackingOptionID: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct LineOut {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub LineAmount: Option<Box<RawValue>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub AccountCode: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub AccountID: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub Description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub TaxType: Option<String>,
    pub Tracking: Vec<TrackingOut>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub TaxAmount: Option<Box<RawValue>>,
    pub IsBlank: bool,
}

/// One element of an answer.
#[derive(Debug, Clone, Serialize)]
pub struct JournalOut {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ManualJournalID: Option<String>,
    pub Narration: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub Date: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub Status: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub LineAmountTypes: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub Url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ShowOnCashBasisReports: Option<bool>,
    pub HasAttachments: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub UpdatedDateUTC: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub StatusAttributeString: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub Warnings: Vec<Message>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ValidationErrors: Vec<Message>,
    pub JournalLines: Vec<LineOut>,
}

/// Decimal text as a JSON number, exactly.
pub fn number(value: Decimal) -> Box<RawValue> {
    RawValue::from_string(value.to_string()).unwrap_or_else(|_| zero())
}

fn zero() -> Box<RawValue> {
    RawValue::from_string("0".into()).unwrap_or_default()
}

fn messages(list: &[String]) -> Vec<Message> {
    list.iter()
        .map(|m| Message { Message: m.clone() })
        .collect()
}

fn line_out(line: &StoredLine) -> LineOut {
    LineOut {
        LineAmount: Some(number(line.line_amount)),
        AccountCode: Some(line.account_code.clone()),
        AccountID: Some(line.account_id.clone()),
        Description: line.description.clone(),
        TaxType: Some(line.tax_type.clone()),
        Tracking: line
            .tracking
            .iter()
            .map(|t| TrackingOut {
                Name: Some(t.name.clone()),
                Option: Some(t.option.clone()),
                TrackingCategoryID: Some(t.category_id.clone()),
                TrackingOptionID: Some(t.option_id.clone()),
            })
            .collect(),
        TaxAmount: Some(number(Decimal::new(0, 2))),
        IsBlank: false,
    }
}

/// A stored journal as Xero shows it; `with_lines` false gives the list GET's empty lines.
pub fn stored_out(j: &StoredJournal, with_lines: bool, warnings: &[String]) -> JournalOut {
    JournalOut {
        ManualJournalID: Some(j.manual_journal_id.clone()),
        Narration: j.narration.clone(),
        Date: Some(ms_day(j.date)),
        Status: Some(j.status.clone()),
        LineAmountTypes: Some(j.line_amount_types.clone()),
        Url: j.url.clone(),
        ShowOnCashBasisReports: j.show_on_cash_basis_reports,
        HasAttachments: false,
        UpdatedDateUTC: Some(ms_date(j.updated)),
        StatusAttributeString: Some(if warnings.is_empty() { "OK" } else { "WARNING" }.into()),
        Warnings: messages(warnings),
        ValidationErrors: Vec::new(),
        JournalLines: if with_lines {
            j.lines.iter().map(line_out).collect()
        } else {
            Vec::new()
        },
    }
}

/// A refused journal echoed back with its errors.
pub fn refused_out(j: &JournalIn, errors: &[String], warnings: &[String]) -> JournalOut {
    JournalOut {
        ManualJournalID: None,
        Narration: j.Narration.clone().unwrap_or_default(),
        Date: j.Date.as_deref().map(|d| {
            chrono::NaiveDate::parse_from_str(d.get(..10).unwrap_or(d), "%Y-%m-%d")
                .map_or_else(|_| d.to_owned(), ms_day)
        }),
        Status: Some(j.Status.clone().unwrap_or_else(|| "DRAFT".into())),
        LineAmountTypes: Some(j.LineAmountTypes.clone().unwrap_or_else(|| "NoTax".into())),
        Url: j.Url.clone(),
        ShowOnCashBasisReports: j.ShowOnCashBasisReports,
        HasAttachments: false,
        UpdatedDateUTC: None,
        StatusAttributeString: Some("ERROR".into()),
        Warnings: messages(warnings),
        ValidationErrors: messages(errors),
        JournalLines: j
            .JournalLines
            .iter()
            .flatten()
            .map(|l| LineOut {
                LineAmount: l
                    .LineAmount
                    .as_deref()
                    .and_then(read_amount)
                    .map(number)
                    .or_else(|| l.LineAmount.clone()),
                AccountCode: l.AccountCode.clone(),
                AccountID: None,
                Description: l.Description.clone(),
                TaxType: l.TaxType.clone(),
                Tracking: l
                    .Tracking
                    .iter()
                    .flatten()
                    .map(|t| TrackingOut {
                        Name: t.Name.clone(),
                        Option: t.Option.clone(),
                        TrackingCategoryID: None,
                        TrackingOptionID: None,
                    })
                    .collect(),
                TaxAmount: None,
                IsBlank: false,
            })
            .collect(),
    }
}
