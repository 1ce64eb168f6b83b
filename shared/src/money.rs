//! Two-decimal money, the only kind of amount a Xero journal line carries.

use std::fmt;
use std::iter::Sum;
use std::ops::{Add, AddAssign, Neg, Sub};

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::value::RawValue;

/// An amount in cents precision: at most two decimals, always shown with exactly two.
///
/// In journal lines debits are positive and credits negative, as Xero's `LineAmount` is. It
/// serialises as a JSON *number* with two decimals (`1250.00`) written from text, never via `f64`;
/// it deserialises exactly from a JSON number or string (from text, so use `serde_json::from_str`
/// or `from_slice`, not `from_value`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Money(Decimal);

/// An amount with more than two decimals where only cents are allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{0} has more than two decimals")]
pub struct ExcessPrecision(pub Decimal);

impl Money {
    /// Nothing.
    pub const ZERO: Money = Money(Decimal::ZERO);

    /// Money from a whole number of cents.
    pub fn from_cents(cents: i64) -> Money {
        Money(Decimal::new(cents, 2))
    }

    /// Money from an exact decimal that has at most two (significant) decimals.
    pub fn try_from_decimal(value: Decimal) -> Result<Money, ExcessPrecision> {
        let normal = value.normalize();
        if normal.scale() > 2 {
            return Err(ExcessPrecision(value));
        }
        Ok(Money::two_places(normal))
    }

    /// The one place amounts are rounded: to the cent, halves away from zero (as accountants do).
    pub fn round(value: Decimal) -> Money {
        Money::two_places(value.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero))
    }

    fn two_places(mut value: Decimal) -> Money {
        value.rescale(2);
        if value.is_zero() {
            value.set_sign_positive(true);
        }
        Money(value)
    }

    /// The amount as a decimal with two places.
    pub fn amount(self) -> Decimal {
        self.0
    }

    /// Whether this is exactly zero.
    pub fn is_zero(self) -> bool {
        self.0.is_zero()
    }

    /// Whether this is above zero (a debit, in a journal line).
    pub fn is_positive(self) -> bool {
        self.0.is_sign_positive() && !self.0.is_zero()
    }

    /// The absolute value.
    #[must_use]
    pub fn abs(self) -> Money {
        Money(self.0.abs())
    }

    /// The amount as text with exactly two decimals and no separators: `-1250.00`.
    pub fn to_plain_string(self) -> String {
        self.0.to_string()
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl Add for Money {
    type Output = Money;
    fn add(self, rhs: Money) -> Money {
        Money::two_places(self.0 + rhs.0)
    }
}

impl AddAssign for Money {
    fn add_assign(&mut self, rhs: Money) {
        *self = *self + rhs;
    }
}

impl Sub for Money {
    type Output = Money;
    fn sub(self, rhs: Money) -> Money {
        Money::two_places(self.0 - rhs.0)
    }
}

impl Neg for Money {
    type Output = Money;
    fn neg(self) -> Money {
        Money::two_places(-self.0)
    }
}

impl Sum for Money {
    fn sum<I: Iterator<Item = Money>>(iter: I) -> Money {
        iter.fold(Money::ZERO, Add::add)
    }
}

impl Serialize for Money {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // A raw JSON number keeps both decimals (`1250.00`); an f64 would print `1250.0`.
        let raw =
            RawValue::from_string(self.to_plain_string()).map_err(serde::ser::Error::custom)?;
        raw.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Money {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Money, D::Error> {
        let raw = Box::<RawValue>::deserialize(deserializer)?;
        let value =
            crate::amount::exact::decimal_from_raw(&raw).map_err(serde::de::Error::custom)?;
        Money::try_from_decimal(value).map_err(serde::de::Error::custom)
    }
}

/// In the OpenAPI document: a JSON number with exactly two decimals.
#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for Money {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::Number)
            .description(Some("Money: a number with exactly two decimals; debits positive, credits negative in journal lines"))
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for Money {}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(s: &str) -> Decimal {
        Decimal::from_str_exact(s).unwrap()
    }

    #[test]
    fn keeps_two_places_and_refuses_more() {
        assert_eq!(
            Money::try_from_decimal(dec("12.5"))
                .unwrap()
                .to_plain_string(),
            "12.50"
        );
        assert_eq!(
            Money::try_from_decimal(dec("12.5000")).unwrap(),
            Money::from_cents(1250)
        );
        assert_eq!(
            Money::try_from_decimal(dec("0.005")),
            Err(ExcessPrecision(dec("0.005")))
        );
    }

    #[test]
    fn rounds_halves_away_from_zero_in_one_place() {
        assert_eq!(Money::round(dec("0.005")), Money::from_cents(1));
        assert_eq!(Money::round(dec("-0.005")), Money::from_cents(-1));
        assert_eq!(Money::round(dec("2.344")), Money::from_cents(234));
        assert_eq!((-Money::ZERO).to_plain_string(), "0.00");
    }

    #[test]
    fn json_round_trip_is_exact_and_always_two_decimals() {
        let m: Money = serde_json::from_str("0.1").unwrap();
        assert_eq!(m.amount(), dec("0.10"));
        assert_eq!(serde_json::to_string(&m).unwrap(), "0.10");
        let m: Money = serde_json::from_str("\"-1250\"").unwrap();
        assert_eq!(serde_json::to_string(&m).unwrap(), "-1250.00");
        assert!(serde_json::from_str::<Money>("1.001").is_err());
        let big: Money = serde_json::from_str("12345678901234.99").unwrap();
        assert_eq!(big.to_plain_string(), "12345678901234.99");
    }
}
