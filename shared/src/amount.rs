//! Reading decimal amounts exactly from text, as SRM and Xero write them.
//!
//! Amounts never pass through `f64`: `0.1` is one tenth. JSON numbers are read from their literal
//! text (through `serde_json::value::RawValue`), so the same parser serves JSON and CSV.

use std::str::FromStr;

use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serializer};
use serde_json::value::RawValue;

/// Why a piece of text is not an amount.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AmountError {
    /// Nothing but white space.
    #[error("is empty")]
    Empty,
    /// Not a plain decimal number.
    #[error("`{0}` is not a number")]
    NotANumber(String),
    /// A currency sign or code: amounts are currency-free.
    #[error("`{0}` has a currency sign; amounts are written without one")]
    Currency(String),
    /// Thousands separators in the wrong places.
    #[error("`{0}` has misplaced thousands separators")]
    Separators(String),
    /// Below zero: SRM writes a credit in the credit column, never a negative debit.
    #[error("`{0}` is negative; put the amount in the other column instead")]
    Negative(String),
}

/// Parses a non-negative decimal amount: digits with an optional fraction, optional `,` thousands
/// separators in groups of three, optional surrounding quotes (JSON strings) and white space.
pub fn parse_amount(text: &str) -> Result<Decimal, AmountError> {
    let trimmed = text.trim().trim_matches('"').trim();
    if trimmed.is_empty() {
        return Err(AmountError::Empty);
    }
    if has_currency(trimmed) {
        return Err(AmountError::Currency(trimmed.to_owned()));
    }
    let plain = strip_separators(trimmed)?;
    let value = if is_exponent_form(&plain) {
        Decimal::from_scientific(&plain)
    } else {
        Decimal::from_str_exact(&plain)
    }
    .map_err(|_| AmountError::NotANumber(trimmed.to_owned()))?;
    if value.is_sign_negative() && !value.is_zero() {
        return Err(AmountError::Negative(trimmed.to_owned()));
    }
    Ok(value.abs())
}

/// A currency sign anywhere, or an ISO code such as `CAD 5.00` / `5.00 CAD`.
fn has_currency(text: &str) -> bool {
    let is_code = |word: &str| word.len() == 3 && word.chars().all(|c| c.is_ascii_uppercase());
    text.chars().any(|c| matches!(c, '$' | '€' | '£' | '¥'))
        || text.split_whitespace().count() > 1 && text.split_whitespace().any(is_code)
}

fn is_exponent_form(text: &str) -> bool {
    let mut parts = text.splitn(2, ['e', 'E']);
    let mantissa = parts.next().unwrap_or_default();
    let Some(exponent) = parts.next() else {
        return false;
    };
    !mantissa.is_empty()
        && mantissa
            .chars()
            .all(|c| c.is_ascii_digit() || c == '.' || c == '-')
        && !exponent.is_empty()
        && exponent
            .trim_start_matches(['+', '-'])
            .chars()
            .all(|c| c.is_ascii_digit())
}

/// Removes thousands separators, checking that they stand every three digits of the whole part.
fn strip_separators(text: &str) -> Result<String, AmountError> {
    if !text.contains(',') {
        return Ok(text.to_owned());
    }
    let (sign, unsigned) = text
        .strip_prefix('-')
        .map_or(("", text), |rest| ("-", rest));
    let (whole, fraction) = unsigned
        .split_once('.')
        .map_or((unsigned, None), |(w, f)| (w, Some(f)));
    let groups: Vec<&str> = whole.split(',').collect();
    let well_placed = groups.first().is_some_and(|g| (1..=3).contains(&g.len()))
        && groups[1..].iter().all(|g| g.len() == 3)
        && groups.iter().all(|g| g.chars().all(|c| c.is_ascii_digit()))
        && fraction.is_none_or(|f| !f.contains(','));
    if !well_placed {
        return Err(AmountError::Separators(text.to_owned()));
    }
    let mut plain = format!("{sign}{}", groups.concat());
    if let Some(f) = fraction {
        plain.push('.');
        plain.push_str(f);
    }
    Ok(plain)
}

/// In the OpenAPI document: an amount as [`exact`] reads it, a decimal string or a JSON number.
#[cfg(feature = "openapi")]
pub fn openapi_schema() -> utoipa::openapi::schema::Object {
    use utoipa::openapi::schema::{ObjectBuilder, SchemaType, Type};
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::String, Type::Number]))
        .description(Some(
            "An amount, read exactly: a decimal string (optional `,` thousands separators) or a JSON number; not negative",
        ))
        .build()
}

/// Serde for a [`Decimal`] written as a JSON string and read exactly from a string or a number.
pub mod exact {
    use super::{Decimal, Deserialize, Deserializer, FromStr, RawValue, Serializer};

    /// Writes the decimal as a string, keeping every digit.
    pub fn serialize<S: Serializer>(value: &Decimal, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(value)
    }

    /// Reads a decimal from a JSON string or number without going through `f64`.
    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Decimal, D::Error> {
        let raw = Box::<RawValue>::deserialize(deserializer)?;
        decimal_from_raw(&raw).map_err(serde::de::Error::custom)
    }

    /// Reads a (possibly negative) decimal from a raw JSON string or number.
    pub fn decimal_from_raw(raw: &RawValue) -> Result<Decimal, String> {
        let text = raw.get().trim();
        let inner = text.trim_matches('"');
        let parsed = if inner.contains(['e', 'E']) {
            Decimal::from_scientific(inner)
        } else {
            Decimal::from_str(inner)
        };
        parsed.map_err(|_| format!("`{text}` is not a decimal number"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(s: &str) -> Decimal {
        Decimal::from_str_exact(s).unwrap()
    }

    #[test]
    fn reads_plain_and_separated_amounts_exactly() {
        assert_eq!(parse_amount("0.1").unwrap(), dec("0.1"));
        assert_eq!(parse_amount(" 1,250.005 ").unwrap(), dec("1250.005"));
        assert_eq!(
            parse_amount("\"12,345,678.90\"").unwrap(),
            dec("12345678.90")
        );
        assert_eq!(parse_amount("1.5E+2").unwrap(), dec("150"));
        assert_eq!(parse_amount("1250.00").unwrap().scale(), 2);
    }

    #[test]
    fn refuses_what_is_not_a_plain_amount() {
        assert_eq!(parse_amount("  "), Err(AmountError::Empty));
        assert_eq!(
            parse_amount("12a"),
            Err(AmountError::NotANumber("12a".into()))
        );
        assert_eq!(
            parse_amount("$5.00"),
            Err(AmountError::Currency("$5.00".into()))
        );
        assert_eq!(
            parse_amount("CAD 5.00"),
            Err(AmountError::Currency("CAD 5.00".into()))
        );
        assert_eq!(
            parse_amount("12,34.5"),
            Err(AmountError::Separators("12,34.5".into()))
        );
        assert_eq!(
            parse_amount("1,2345"),
            Err(AmountError::Separators("1,2345".into()))
        );
        assert_eq!(
            parse_amount("-3.00"),
            Err(AmountError::Negative("-3.00".into()))
        );
        assert_eq!(
            parse_amount("1.2.3"),
            Err(AmountError::NotANumber("1.2.3".into()))
        );
    }
}
