//! The text of each state-like enum, in one table per type: `as_str`, `Display` and `FromStr`
//! come from [`text_names!`], and a test checks the table against the serde names (what the wire
//! and the database hold), so a name is never spelled twice.

use std::fmt;

/// Text that names none of a type's values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownName {
    /// What was being named ("journal state", …).
    pub what: &'static str,
    /// The text as given.
    pub text: String,
    /// Every name that would have been understood.
    pub expected: &'static [&'static str],
}

impl fmt::Display for UnknownName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`{}` is not a {}; expected one of: {}",
            self.text,
            self.what,
            self.expected.join(", ")
        )
    }
}

impl std::error::Error for UnknownName {}

/// Gives an enum its one name table: `ALL`, `NAMES`, `as_str`, `Display` and `FromStr`.
///
/// ```
/// # use srm_xero_shared::text_names;
/// #[derive(Debug, Clone, Copy, PartialEq, Eq)]
/// enum Light { Red, Green }
/// text_names!(Light, "light", { Red => "red", Green => "green" });
/// assert_eq!("green".parse::<Light>(), Ok(Light::Green));
/// assert_eq!(Light::Red.to_string(), "red");
/// assert!("blue".parse::<Light>().is_err());
/// ```
#[macro_export]
macro_rules! text_names {
    ($ty:ident, $what:literal, { $($variant:ident => $name:literal),+ $(,)? }) => {
        impl $ty {
            /// Every value, in declaration order.
            pub const ALL: &'static [$ty] = &[$($ty::$variant),+];
            /// Every value's name, in declaration order.
            pub const NAMES: &'static [&'static str] = &[$($name),+];

            /// The name, as serde writes it.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($ty::$variant => $name),+
                }
            }
        }

        impl ::std::fmt::Display for $ty {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::std::str::FromStr for $ty {
            type Err = $crate::names::UnknownName;

            fn from_str(text: &str) -> Result<$ty, $crate::names::UnknownName> {
                match text {
                    $($name => Ok($ty::$variant),)+
                    _ => Err($crate::names::UnknownName {
                        what: $what,
                        text: text.to_owned(),
                        expected: $ty::NAMES,
                    }),
                }
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use std::fmt::Debug;
    use std::str::FromStr;

    use serde::Serialize;
    use serde::de::DeserializeOwned;

    use crate::api::{ConnectionState, ExportStatus, JournalState};
    use crate::mapping::{CodeSource, Grouping, LineMode, PostAs};

    /// The table and serde agree on every value, both ways, and a wrong name is refused by both.
    fn agrees_with_serde<T>(all: &[T])
    where
        T: Copy + Debug + PartialEq + Serialize + DeserializeOwned + FromStr + ToString,
        <T as FromStr>::Err: Debug,
    {
        for &value in all {
            let name = value.to_string();
            assert_eq!(serde_json::to_value(value).unwrap(), name.as_str());
            let read: T = serde_json::from_value(serde_json::Value::from(name.clone())).unwrap();
            assert_eq!(read, value);
            assert_eq!(name.parse::<T>().unwrap(), value);
        }
        assert!("no such name".parse::<T>().is_err());
        assert!(serde_json::from_str::<T>("\"no such name\"").is_err());
    }

    #[test]
    fn every_name_table_agrees_with_serde() {
        agrees_with_serde(JournalState::ALL);
        agrees_with_serde(ExportStatus::ALL);
        agrees_with_serde(ConnectionState::ALL);
        agrees_with_serde(Grouping::ALL);
        agrees_with_serde(PostAs::ALL);
        agrees_with_serde(LineMode::ALL);
        agrees_with_serde(CodeSource::ALL);
    }

    #[test]
    fn an_unknown_name_says_what_would_have_been_understood() {
        let err = "done".parse::<JournalState>().unwrap_err();
        assert_eq!(
            err.to_string(),
            "`done` is not a journal state; expected one of: pending, posting, posted, failed, voided, needs_attention"
        );
        assert_eq!("posted".parse::<JournalState>(), Ok(JournalState::Posted));
        assert_eq!(JournalState::Failed.as_str(), "failed");
    }
}
