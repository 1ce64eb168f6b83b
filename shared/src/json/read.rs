//! [`Read`]: a [`Json`] tree into a type, field names and forms exactly as serde writes them.

use std::collections::{BTreeMap, HashMap};
use std::hash::BuildHasher;

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;

use super::{Json, JsonError};
use crate::api::{
    ConnectStart, ConnectionMessage, ConnectionState, ConnectionStatus, Counts, ExportCreated,
    ExportDetail, ExportStatus, ExportSummary, ExportedPostings, HistoryEntry, JournalRow,
    JournalState, MappingDocument, MappingHistoryEntry, OrganisationRef, Progress, VoidInfo,
    Waiting,
};
use crate::feed::{Posting, PostingFields};
use crate::mapping::{
    AccountRule, CodeSource, DimensionMap, Grouping, LineMode, MappingSettings, PostAs,
    RoundingSettings, TrackingSettings,
};
use crate::money::Money;
use crate::plan::{JournalKey, PlannedLine, SrmAccount};
use crate::xero::TrackingRef;
use crate::xero::dates::{parse_iso_date, parse_rfc3339};

/// A type read from a JSON value.
pub trait Read: Sized {
    /// Reads `value`; [`JsonError::Field`] with an empty name when it is not of this type's form.
    fn read(value: &Json) -> Result<Self, JsonError>;
}

const WRONG: JsonError = JsonError::Field("");

/// A string's text, or a number's literal text (amounts and account numbers may be either).
pub fn text_or_number(value: &Json) -> Option<&str> {
    match value {
        Json::Str(text) | Json::Num(text) => Some(text),
        _ => None,
    }
}

/// Any value (an answer whose body is not used).
impl Read for () {
    fn read(_: &Json) -> Result<(), JsonError> {
        Ok(())
    }
}

impl Read for Json {
    fn read(value: &Json) -> Result<Json, JsonError> {
        Ok(value.clone())
    }
}

impl Read for String {
    fn read(value: &Json) -> Result<String, JsonError> {
        value.str().map(str::to_owned)
    }
}

impl Read for bool {
    fn read(value: &Json) -> Result<bool, JsonError> {
        match value {
            Json::Bool(b) => Ok(*b),
            _ => Err(WRONG),
        }
    }
}

macro_rules! read_integer {
    ($($t:ty),*) => {$(
        impl Read for $t {
            fn read(value: &Json) -> Result<$t, JsonError> {
                match value {
                    Json::Num(text) => text.parse().map_err(|_| WRONG),
                    _ => Err(WRONG),
                }
            }
        }
    )*};
}
read_integer!(u32, u64, i64);

impl<T: Read> Read for Option<T> {
    fn read(value: &Json) -> Result<Option<T>, JsonError> {
        match value {
            Json::Null => Ok(None),
            other => T::read(other).map(Some),
        }
    }
}

impl<T: Read> Read for Vec<T> {
    fn read(value: &Json) -> Result<Vec<T>, JsonError> {
        match value {
            Json::Arr(items) => items.iter().map(T::read).collect(),
            _ => Err(WRONG),
        }
    }
}

fn entries<T: Read>(value: &Json) -> Result<impl Iterator<Item = (String, T)>, JsonError> {
    let Json::Obj(fields) = value else {
        return Err(WRONG);
    };
    let read: Result<Vec<(String, T)>, JsonError> = fields
        .iter()
        .map(|(k, v)| T::read(v).map(|v| (k.clone(), v)))
        .collect();
    read.map(Vec::into_iter)
}

impl<T: Read> Read for BTreeMap<String, T> {
    fn read(value: &Json) -> Result<BTreeMap<String, T>, JsonError> {
        // Inserted one by one: `collect` would compile another sort.
        let mut map = BTreeMap::new();
        for (key, item) in entries(value)? {
            map.insert(key, item);
        }
        Ok(map)
    }
}

impl<T: Read, S: BuildHasher + Default> Read for HashMap<String, T, S> {
    fn read(value: &Json) -> Result<HashMap<String, T, S>, JsonError> {
        entries(value).map(Iterator::collect)
    }
}

impl Read for NaiveDate {
    fn read(value: &Json) -> Result<NaiveDate, JsonError> {
        parse_iso_date(value.str()?).ok_or(WRONG)
    }
}

impl Read for DateTime<Utc> {
    fn read(value: &Json) -> Result<DateTime<Utc>, JsonError> {
        parse_rfc3339(value.str()?).ok_or(WRONG)
    }
}

/// A decimal written as a string or a number (`amount::exact`).
impl Read for Decimal {
    fn read(value: &Json) -> Result<Decimal, JsonError> {
        let text = text_or_number(value).ok_or(WRONG)?;
        crate::amount::exact::decimal_from_text(text).map_err(|_| WRONG)
    }
}

impl Read for Money {
    fn read(value: &Json) -> Result<Money, JsonError> {
        Money::try_from_decimal(Decimal::read(value)?).map_err(|_| WRONG)
    }
}

impl Read for JournalKey {
    fn read(value: &Json) -> Result<JournalKey, JsonError> {
        String::read(value).map(JournalKey::from_text)
    }
}

/// A posting, checked exactly as a feed posting is (the `Deserialize` of [`Posting`]).
impl Read for Posting {
    fn read(value: &Json) -> Result<Posting, JsonError> {
        PostingFields::from_json(value)
            .map_err(|_| WRONG)?
            .into_posting(crate::feed::Location::Posting { index: 0, id: None })
            .map_err(|_| WRONG)
    }
}

/// Unit enums, by the names serde gives their variants.
macro_rules! read_names {
    ($t:ty { $($name:literal => $variant:expr),* $(,)? }) => {
        impl Read for $t {
            fn read(value: &Json) -> Result<$t, JsonError> {
                match value.str()? {
                    $($name => Ok($variant),)*
                    _ => Err(WRONG),
                }
            }
        }
    };
}

read_names!(ConnectionState {
    "disconnected" => ConnectionState::Disconnected,
    "choosing_organisation" => ConnectionState::ChoosingOrganisation,
    "connected" => ConnectionState::Connected,
    "reconnect_needed" => ConnectionState::ReconnectNeeded,
});
/// Enums with their own name table (`as_str`/`FromStr` in [`crate::api`]).
macro_rules! read_by_name {
    ($($t:ty),*) => {
        $(impl Read for $t {
            fn read(value: &Json) -> Result<$t, JsonError> {
                value.str()?.parse().map_err(|_| WRONG)
            }
        })*
    };
}

read_by_name!(ExportStatus, JournalState);
read_names!(PostAs {
    "POSTED" => PostAs::Posted,
    "DRAFT" => PostAs::Draft,
});
read_names!(Grouping {
    "date" => Grouping::Date,
    "date_division" => Grouping::DateDivision,
    "date_store" => Grouping::DateStore,
    "date_source" => Grouping::DateSource,
});
read_names!(LineMode {
    "net" => LineMode::Net,
    "gross" => LineMode::Gross,
});
read_names!(CodeSource {
    "rule" => CodeSource::Rule,
    "same_code" => CodeSource::SameCode,
});

/// Structs: `field` for a required field (an `Option` may be absent), `default` for
/// `#[serde(default)]`.
macro_rules! read_struct {
    ($t:ident { $($field:ident: $how:ident $(($name:literal))?),* $(,)? }) => {
        impl Read for $t {
            fn read(value: &Json) -> Result<$t, JsonError> {
                if !matches!(value, Json::Obj(_)) {
                    return Err(WRONG);
                }
                Ok($t {
                    $($field: read_struct!(@ value, $how, $field $(, $name)?),)*
                })
            }
        }
    };
    (@ $value:ident, field, $field:ident) => { $value.field(stringify!($field))? };
    (@ $value:ident, field, $field:ident, $name:literal) => { $value.field($name)? };
    (@ $value:ident, default, $field:ident) => { $value.field_or_default(stringify!($field))? };
    (@ $value:ident, default, $field:ident, $name:literal) => { $value.field_or_default($name)? };
}

read_struct!(OrganisationRef {
    tenant_id: field,
    name: field
});
read_struct!(ConnectionStatus {
    state: field,
    organisation: field,
    choices: default,
    scopes: default,
    last_refreshed_at: field,
    connected_by: field,
    message: field,
});
read_struct!(ConnectStart {
    authorize_url: field
});
read_struct!(ConnectionMessage {
    kind: field("type"),
    ok: field,
    state: field,
    message: field,
});
read_struct!(MappingDocument {
    settings: field,
    version: field,
    updated_by: field,
    updated_at: field,
});
read_struct!(MappingHistoryEntry {
    version: field,
    settings: field,
    changed_by: field,
    changed_at: field,
});
read_struct!(ExportedPostings {
    exported: field,
    last_exported_date: field,
});
read_struct!(ExportCreated { number: field });
read_struct!(Counts {
    pending: field,
    posting: field,
    posted: field,
    failed: field,
    voided: field,
    needs_attention: default,
});
read_struct!(ExportSummary {
    number: field,
    from_date: field,
    created_at: field,
    created_by: field,
    status: field,
    counts: field,
    organisation: default,
});
read_struct!(Waiting {
    reason: field,
    until: field
});
read_struct!(Progress {
    number: field,
    status: field,
    counts: field,
    waiting: field,
    eta_seconds: field,
    sequence: field,
});
read_struct!(VoidInfo {
    by: field,
    at: field,
    reason: field
});
read_struct!(JournalRow {
    key: field,
    date: field,
    group: field,
    narration: field,
    total: field,
    line_count: field,
    state: field,
    xero_id: field,
    xero_url: field,
    messages: default,
    voided: field,
});
read_struct!(ExportDetail {
    summary: field,
    journals: field,
    waiting: field,
});
read_struct!(HistoryEntry {
    at: field,
    who: field,
    what: field
});
read_struct!(SrmAccount {
    account: field,
    division: field,
    description: field,
});
read_struct!(TrackingRef {
    name: field("Name"),
    option: field("Option"),
    tracking_category_id: default("TrackingCategoryID"),
    tracking_option_id: default("TrackingOptionID"),
});
read_struct!(PlannedLine {
    account_code: field,
    code_source: field,
    srm_accounts: field,
    description: field,
    amount: field,
    tracking: field,
    tax_type: field,
    rounding: field,
});

// The mapping's structs take `#[serde(default)]` as a whole: an absent field keeps its default.
impl Read for MappingSettings {
    fn read(value: &Json) -> Result<MappingSettings, JsonError> {
        let d = MappingSettings::default();
        Ok(MappingSettings {
            accounts: or(value, "accounts", d.accounts)?,
            tracking: or(value, "tracking", d.tracking)?,
            tax_types: or(value, "tax_types", d.tax_types)?,
            rounding: or(value, "rounding", d.rounding)?,
            status: or(value, "status", d.status)?,
            grouping: or(value, "grouping", d.grouping)?,
            lines: or(value, "lines", d.lines)?,
            cutoff_date: or(value, "cutoff_date", d.cutoff_date)?,
            narration_template: or(value, "narration_template", d.narration_template)?,
            url_template: or(value, "url_template", d.url_template)?,
        })
    }
}

impl Read for TrackingSettings {
    fn read(value: &Json) -> Result<TrackingSettings, JsonError> {
        let d = TrackingSettings::default();
        Ok(TrackingSettings {
            division: or(value, "division", d.division)?,
            store: or(value, "store", d.store)?,
        })
    }
}

impl Read for RoundingSettings {
    fn read(value: &Json) -> Result<RoundingSettings, JsonError> {
        let d = RoundingSettings::default();
        Ok(RoundingSettings {
            account: or(value, "account", d.account)?,
            tolerance: or(value, "tolerance", d.tolerance)?,
            round_extra_decimals: or(value, "round_extra_decimals", d.round_extra_decimals)?,
        })
    }
}

read_struct!(AccountRule {
    srm_account: field,
    division: field,
    xero_code: field,
});
read_struct!(DimensionMap {
    category: field,
    options: default,
});

/// Field `key`, or `default` when absent; the object must be an object.
fn or<T: Read>(value: &Json, key: &'static str, default: T) -> Result<T, JsonError> {
    match value {
        Json::Obj(fields) if fields.iter().any(|(k, _)| k == key) => value.field(key),
        Json::Obj(_) => Ok(default),
        _ => Err(WRONG),
    }
}
