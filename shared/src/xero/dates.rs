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
    parse_iso_date(text.get(..10)?)
}

/// Reads `YYYY-MM-DD` (four-digit year), by hand: chrono's format parser is large in wasm.
pub fn parse_iso_date(text: &str) -> Option<NaiveDate> {
    let b = text.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    NaiveDate::from_ymd_opt(
        i32::try_from(digits(&b[..4])?).ok()?,
        digits(&b[5..7])?,
        digits(&b[8..])?,
    )
}

/// Reads `MM/DD/YYYY` (SRM's US-style reports).
pub fn parse_us_date(text: &str) -> Option<NaiveDate> {
    let b = text.as_bytes();
    if b.len() != 10 || b[2] != b'/' || b[5] != b'/' {
        return None;
    }
    NaiveDate::from_ymd_opt(
        i32::try_from(digits(&b[6..])?).ok()?,
        digits(&b[..2])?,
        digits(&b[3..5])?,
    )
}

/// Reads an RFC 3339 moment as serde writes `DateTime<Utc>`: `YYYY-MM-DDThh:mm:ss[.frac]` then
/// `Z` or `±hh:mm`.
pub fn parse_rfc3339(text: &str) -> Option<DateTime<Utc>> {
    let b = text.as_bytes();
    if b.len() < 20 || !matches!(b[10], b'T' | b't' | b' ') || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let date = parse_iso_date(&text[..10])?;
    let (hour, minute, second) = (
        digits(&b[11..13])?,
        digits(&b[14..16])?,
        digits(&b[17..19])?,
    );
    let mut rest = &b[19..];
    let mut nanos = 0;
    if let Some((b'.', fraction)) = rest.split_first() {
        let len = fraction.iter().take_while(|c| c.is_ascii_digit()).count();
        if len == 0 {
            return None;
        }
        for (i, d) in fraction[..len].iter().enumerate().take(9) {
            nanos += u32::from(d - b'0') * 10_u32.pow(8 - u32::try_from(i).ok()?);
        }
        rest = &fraction[len..];
    }
    let offset_seconds = match rest {
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let seconds = i64::from(digits(&[*h1, *h2])? * 3600 + digits(&[*m1, *m2])? * 60);
            if *sign == b'-' { -seconds } else { seconds }
        }
        _ => return None,
    };
    let local = date.and_hms_nano_opt(hour, minute, second, nanos)?;
    let utc = local.checked_sub_signed(chrono::TimeDelta::seconds(offset_seconds))?;
    Some(utc.and_utc())
}

/// ASCII digits as a number.
fn digits(bytes: &[u8]) -> Option<u32> {
    bytes.iter().try_fold(0_u32, |n, &b| {
        b.is_ascii_digit().then(|| n * 10 + u32::from(b - b'0'))
    })
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
    fn reads_moments_as_serde_writes_them() {
        for moment in [
            "2019-08-19T10:11:12Z",
            "2019-08-19T10:11:12.5Z",
            "2019-08-19T10:11:12.123456789Z",
            "2019-08-19T23:11:12-05:30",
            "2019-08-19T01:11:12+02:00",
        ] {
            let expected: DateTime<Utc> = moment.parse().unwrap();
            assert_eq!(parse_rfc3339(moment), Some(expected), "{moment}");
            let written = serde_json::to_string(&expected).unwrap();
            assert_eq!(parse_rfc3339(written.trim_matches('"')), Some(expected));
        }
        for bad in [
            "2019-08-19",
            "2019-08-19T10:11:12",
            "2019-08-19T10:11:12.Z",
            "2019-08-19T25:00:00Z",
        ] {
            assert_eq!(parse_rfc3339(bad), None, "{bad}");
        }
    }

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
        assert_eq!(parse_us_date("03/14/2019"), Some(day));
        assert_eq!(parse_us_date("2019-03-14"), None);
        assert_eq!(
            parse_ms_json("/Date(1552357217359)/")
                .unwrap()
                .timestamp_millis(),
            1_552_357_217_359
        );
    }
}
