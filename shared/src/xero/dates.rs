//! Xero's dates: MS-JSON (`/Date(1552521600000+0000)/`) in answers, `YYYY-MM-DD` in requests.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Deserializer, Serializer};

/// Reads an MS-JSON date (`/Date(ms)/` or `/Date(ms+hhmm)/`); the offset only says how Xero
/// displays it, the milliseconds are UTC.
pub fn parse_ms_json(text: &str) -> Option<DateTime<Utc>> {
    let inner = text.strip_prefix("/Date(")?.strip_suffix(")/")?;
    let digits_end = inner
        .char_indices()
        .skip(1)
        .find(|(_, c)| matches!(c, '+' | '-'))
        .map_or(inner.len(), |(i, _)| i);
    let millis: i64 = inner[..digits_end].parse().ok()?;
    DateTime::from_timestamp_millis(millis)
}

/// Writes a date as Xero answers it: midnight UTC in MS-JSON with a `+0000` offset.
pub fn format_ms_json(date: NaiveDate) -> String {
    let millis = date
        .and_hms_opt(0, 0, 0)
        .map_or(0, |t| t.and_utc().timestamp_millis());
    format!("/Date({millis}+0000)/")
}

/// Reads a date in any form Xero writes one: MS-JSON, `YYYY-MM-DD` or `YYYY-MM-DDThh:mm:ss`.
pub fn parse_any(text: &str) -> Option<NaiveDate> {
    if let Some(moment) = parse_ms_json(text) {
        return Some(moment.date_naive());
    }
    crate::day::parse_date(text.get(..10)?, crate::day::ISO)
}

fn deserialize_option<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<NaiveDate>, D::Error> {
    let text: Option<String> = Option::deserialize(deserializer)?;
    text.map(|t| {
        parse_any(&t).ok_or_else(|| serde::de::Error::custom(format!("`{t}` is not a Xero date")))
    })
    .transpose()
}

/// Serde for `Option<NaiveDate>` written `YYYY-MM-DD` (requests) and read in any Xero form.
pub mod iso_option {
    use super::{Deserializer, NaiveDate, Serializer};

    /// Writes `YYYY-MM-DD`.
    #[allow(clippy::ref_option)] // serde's `with` hands us `&Option<_>`
    pub fn serialize<S: Serializer>(
        date: &Option<NaiveDate>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match date {
            Some(d) => serializer.collect_str(d),
            None => serializer.serialize_none(),
        }
    }

    /// Reads any Xero date form.
    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<NaiveDate>, D::Error> {
        super::deserialize_option(deserializer)
    }
}

/// Serde for `Option<NaiveDate>` written as MS-JSON (answers) and read in any Xero form.
pub mod ms_option {
    use super::{Deserializer, NaiveDate, Serializer, format_ms_json};

    /// Writes `/Date(ms+0000)/`.
    #[allow(clippy::ref_option)] // serde's `with` hands us `&Option<_>`
    pub fn serialize<S: Serializer>(
        date: &Option<NaiveDate>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match date {
            Some(d) => serializer.serialize_str(&format_ms_json(*d)),
            None => serializer.serialize_none(),
        }
    }

    /// Reads any Xero date form.
    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<NaiveDate>, D::Error> {
        super::deserialize_option(deserializer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_and_writes_ms_json_dates() {
        let day = NaiveDate::from_ymd_opt(2019, 3, 14).unwrap();
        assert_eq!(parse_any("/Date(1552521600000+0000)/"), Some(day));
        assert_eq!(parse_any("/Date(1552521600000)/"), Some(day));
        assert_eq!(parse_any("2019-03-14"), Some(day));
        assert_eq!(parse_any("2019-03-14T00:00:00"), Some(day));
        assert_eq!(format_ms_json(day), "/Date(1552521600000+0000)/");
        assert_eq!(parse_any("/Date(abc)/"), None);
        assert_eq!(parse_any("2019-02-30"), None);
        assert_eq!(
            parse_ms_json("/Date(1552357217359)/")
                .unwrap()
                .timestamp_millis(),
            1_552_357_217_359
        );
    }
}
