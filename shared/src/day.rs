//! Calendar dates in a fixed layout, read through chrono's own items.
//!
//! `NaiveDate::parse_from_str(text, "%Y-%m-%d")` reads exactly the same, but interprets its format
//! string each time: that interpreter, and every layout it knows (RFC 2822 among them), is code
//! the browser bundle does not need when the layout is fixed (≈ 3 KB of the wasm gzipped). The
//! layouts below are what chrono makes of those format strings (a test checks it).

use chrono::NaiveDate;
use chrono::format::{Item, Numeric, Pad, Parsed, parse};

/// `%Y-%m-%d`: ISO 8601's calendar date.
pub const ISO: &[Item<'static>] = &[
    Item::Numeric(Numeric::Year, Pad::Zero),
    Item::Literal("-"),
    Item::Numeric(Numeric::Month, Pad::Zero),
    Item::Literal("-"),
    Item::Numeric(Numeric::Day, Pad::Zero),
];

/// `%m/%d/%Y`: the US layout of SRM's reports.
pub const US: &[Item<'static>] = &[
    Item::Numeric(Numeric::Month, Pad::Zero),
    Item::Literal("/"),
    Item::Numeric(Numeric::Day, Pad::Zero),
    Item::Literal("/"),
    Item::Numeric(Numeric::Year, Pad::Zero),
];

/// `text` read in `layout`, as `NaiveDate::parse_from_str` reads it with the matching format.
pub fn parse_date(text: &str, layout: &[Item<'_>]) -> Option<NaiveDate> {
    let mut parsed = Parsed::new();
    parse(&mut parsed, text, layout.iter()).ok()?;
    parsed.to_naive_date().ok()
}

// proptest is a native-only dev-dependency.
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::{ISO, US, parse_date};
    use chrono::NaiveDate;
    use chrono::format::StrftimeItems;
    use proptest::prelude::*;

    #[test]
    fn layouts_are_what_chrono_makes_of_their_format_strings() {
        assert_eq!(StrftimeItems::new("%Y-%m-%d").collect::<Vec<_>>(), ISO);
        assert_eq!(StrftimeItems::new("%m/%d/%Y").collect::<Vec<_>>(), US);
    }

    proptest! {
        #[test]
        fn reads_any_text_exactly_as_parse_from_str(text in "\\PC{0,12}|[0-9/ -]{8,12}") {
            prop_assert_eq!(parse_date(&text, ISO), NaiveDate::parse_from_str(&text, "%Y-%m-%d").ok());
            prop_assert_eq!(parse_date(&text, US), NaiveDate::parse_from_str(&text, "%m/%d/%Y").ok());
        }

        #[test]
        fn reads_back_every_day_it_is_given(days in 0i64..200_000) {
            let day = NaiveDate::from_ymd_opt(1900, 1, 1).unwrap() + chrono::Days::new(days.unsigned_abs());
            prop_assert_eq!(parse_date(&day.format("%Y-%m-%d").to_string(), ISO), Some(day));
            prop_assert_eq!(parse_date(&day.format("%m/%d/%Y").to_string(), US), Some(day));
        }
    }
}
