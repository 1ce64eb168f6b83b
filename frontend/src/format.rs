//! Formatting for people and files: amounts with thousands separators, the results and
//! reconciliation CSVs, the caller token's claims (read for display only; the proxy verifies the
//! token).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde::Deserialize;
use srm_xero_shared::Money;
use srm_xero_shared::api::{
    ExportDetail, JournalState, LineTracking, Reconciliation, ReconciliationRow,
};

/// `1234567.5` → `1,234,567.50`; negative amounts keep their sign in front.
pub fn amount(money: Money) -> String {
    let plain = money.to_plain_string();
    let (sign, digits) = plain
        .strip_prefix('-')
        .map_or(("", plain.as_str()), |rest| ("-", rest));
    let (whole, cents) = digits.split_once('.').unwrap_or((digits, "00"));
    format!("{sign}{}.{cents}", grouped(whole))
}

/// `1234567` → `1,234,567`.
pub fn count(n: u64) -> String {
    grouped(&n.to_string())
}

/// Digits with a comma between thousands.
fn grouped(whole: &str) -> String {
    let mut out = String::with_capacity(whole.len() + whole.len() / 3);
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// An amount with the currency code in front, when known: `CAD 1,250.00`.
pub fn money(value: Money, currency: Option<&str>) -> String {
    match currency {
        Some(code) => format!("{code} {}", amount(value)),
        None => amount(value),
    }
}

/// A journal state in words.
pub fn state_label(state: JournalState) -> &'static str {
    match state {
        JournalState::Pending => "Pending",
        JournalState::Posting => "Posting",
        JournalState::Posted => "Created",
        JournalState::Failed => "Failed",
        JournalState::Voided => "Voided",
        JournalState::NeedsAttention => "Needs attention",
    }
}

/// Seconds as "38 s", "4 min 10 s", "1 h 5 min".
pub fn duration(seconds: u64) -> String {
    match seconds {
        0..60 => format!("{seconds} s"),
        60..3600 => format!("{} min {} s", seconds / 60, seconds % 60),
        _ => format!("{} h {} min", seconds / 3600, seconds % 3600 / 60),
    }
}

/// A moment in the user's locale (the browser's), or ISO 8601 outside a browser.
pub fn when(at: chrono::DateTime<chrono::Utc>) -> String {
    #[cfg(target_arch = "wasm32")]
    {
        #[allow(clippy::cast_precision_loss)]
        let millis = at.timestamp_millis() as f64;
        let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(millis));
        String::from(date.to_locale_string("default", &wasm_bindgen::JsValue::UNDEFINED))
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        at.format("%Y-%m-%d %H:%M UTC").to_string()
    }
}

/// A day in the user's locale (the browser's), or `YYYY-MM-DD` outside a browser.
pub fn day(date: chrono::NaiveDate) -> String {
    #[cfg(target_arch = "wasm32")]
    {
        use chrono::Datelike as _;
        // Noon, so no time zone moves it to another day.
        let local = js_sys::Date::new_with_year_month_day_hr_min_sec(
            u32::try_from(date.year()).unwrap_or_default(),
            i32::try_from(date.month0()).unwrap_or_default(),
            i32::try_from(date.day()).unwrap_or_default(),
            12,
            0,
            0,
        );
        String::from(local.to_locale_date_string("default", &wasm_bindgen::JsValue::UNDEFINED))
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        date.to_string()
    }
}

/// Today by the browser's clock (UTC), `None` outside a browser.
pub fn today() -> Option<chrono::NaiveDate> {
    now_millis()
        .and_then(chrono::DateTime::from_timestamp_millis)
        .map(|now| now.date_naive())
}

/// Milliseconds since 1970 now (the browser's clock), `None` outside a browser.
pub fn now_millis() -> Option<i64> {
    #[cfg(target_arch = "wasm32")]
    {
        #[allow(clippy::cast_possible_truncation)]
        Some(js_sys::Date::now() as i64)
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        None
    }
}

/// "Waiting 38 s for Xero's rate limit (minute)": why posting is paused, and for how long.
pub fn waiting(
    reason: &str,
    until: Option<chrono::DateTime<chrono::Utc>>,
    now: Option<i64>,
) -> String {
    let left = until
        .zip(now)
        .map(|(until, now)| (until.timestamp_millis() - now).max(0) / 1000)
        .and_then(|s| u64::try_from(s).ok());
    match left {
        Some(seconds) => format!("Waiting {} for {reason}.", duration(seconds)),
        None => format!("Posting is paused: {reason}."),
    }
}

/// A cell as a spreadsheet will take it: one that starts with `=`, `+`, `-` or `@` would run as
/// a formula (CSV injection from a memo or a Xero message), so it gets a leading `'` and reads
/// as text; a plain number (a negative amount) is left as it is and stays a number.
pub fn spreadsheet_safe(text: &str) -> std::borrow::Cow<'_, str> {
    let formula = text.starts_with(['=', '+', '-', '@']);
    if formula && !is_plain_number(text) {
        std::borrow::Cow::Owned(format!("'{text}"))
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}

/// `-1250.00`, `+3`, `42`: an optional sign, digits, and at most one decimal point among them.
fn is_plain_number(text: &str) -> bool {
    let all_digits = |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
    let unsigned = text.strip_prefix(['+', '-']).unwrap_or(text);
    match unsigned.split_once('.') {
        Some((whole, fraction)) => all_digits(whole) && all_digits(fraction),
        None => all_digits(unsigned),
    }
}

fn csv_field(out: &mut String, text: &str) {
    let text = &*spreadsheet_safe(text);
    if text.contains([',', '"', '\n', '\r']) {
        out.push('"');
        out.push_str(&text.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(text);
    }
}

/// A CSV document (RFC 4180): the header, then one line per row, every cell spreadsheet-safe.
fn csv(header: &str, rows: impl Iterator<Item = Vec<String>>) -> String {
    let mut out = String::from(header);
    out.push_str("\r\n");
    for fields in rows {
        for (i, field) in fields.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            csv_field(&mut out, field);
        }
        out.push_str("\r\n");
    }
    out
}

/// The export's journals as CSV, one row per journal.
pub fn results_csv(detail: &ExportDetail) -> String {
    csv(
        "export,journal_key,date,group,narration,total,lines,status,xero_manual_journal_id,xero_url,messages,voided_by,voided_reason",
        detail.journals.iter().map(|row| {
            vec![
                detail.summary.number.to_string(),
                row.key.to_string(),
                row.date.to_string(),
                row.group.clone(),
                row.narration.clone(),
                row.total.to_plain_string(),
                row.line_count.to_string(),
                state_label(row.state).to_owned(),
                row.xero_id.clone().unwrap_or_default(),
                row.xero_url.clone().unwrap_or_default(),
                row.messages.join("; "),
                row.voided
                    .as_ref()
                    .map(|v| v.by.clone())
                    .unwrap_or_default(),
                row.voided
                    .as_ref()
                    .map(|v| v.reason.clone())
                    .unwrap_or_default(),
            ]
        }),
    )
}

/// `Division: Vancouver; Store: 001`: a cell's tracking options.
pub fn tracking(options: &[LineTracking]) -> String {
    options
        .iter()
        .map(|t| format!("{}: {}", t.category, t.option))
        .collect::<Vec<_>>()
        .join("; ")
}

/// The reconciliation as CSV: every cell (day, account, tracking) with both sides and the
/// difference, and for a cell that differs, the journals behind it and what happened to them.
pub fn reconciliation_csv(report: &Reconciliation) -> String {
    let behind = |row: &ReconciliationRow| {
        report
            .differences
            .iter()
            .find(|d| d.rows.contains(row))
            .map(|d| {
                d.journals
                    .iter()
                    .map(|j| {
                        format!(
                            "{} ({}, export #{}, {})",
                            j.key, j.change, j.export, j.manual_journal_id
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("; ")
            })
            .unwrap_or_default()
    };
    csv(
        "date,account,tracking,srm,xero,difference,journals",
        report.rows.iter().map(|row| {
            vec![
                row.date.to_string(),
                row.account_code.clone(),
                tracking(&row.tracking),
                row.srm.to_plain_string(),
                row.xero.to_plain_string(),
                row.difference.to_plain_string(),
                behind(row),
            ]
        }),
    )
}

/// What the caller token says about its holder (unverified: for showing and hiding controls only).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Caller {
    /// The `name` claim.
    pub name: Option<String>,
    /// `scope` contains `xero:admin`.
    pub admin: bool,
    /// The `exp` claim (seconds since 1970).
    pub expires: Option<i64>,
}

/// Reads a JWT's payload claims; an unreadable token gives the default (no admin).
pub fn caller(token: &str) -> Caller {
    let claims = token
        .split('.')
        .nth(1)
        .and_then(|payload| URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok())
        .and_then(|bytes| String::from_utf8(bytes).ok())
        // From text, as every other answer: one JSON reader in the bundle.
        .and_then(|text| serde_json::from_str::<Claims>(&text).ok());
    let Some(claims) = claims else {
        return Caller::default();
    };
    Caller {
        name: claims.name,
        admin: claims
            .scope
            .as_deref()
            .unwrap_or("")
            .split_whitespace()
            .any(|s| s == "xero:admin"),
        expires: claims.exp,
    }
}

/// The claims the page reads (the proxy checks the rest).
#[derive(Deserialize)]
struct Claims {
    name: Option<String>,
    scope: Option<String>,
    exp: Option<i64>,
}

/// What a query value keeps as it is: RFC 3986's unreserved characters.
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Percent-encodes a query value (or a path segment).
pub fn query_value(text: &str) -> String {
    utf8_percent_encode(text, QUERY_VALUE).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures;

    #[test]
    fn the_reconciliation_csv_names_the_journals_behind_a_difference_and_starts_no_formula() {
        let mut report = fixtures::reconciliation();
        report.rows[1].account_code = "=1+2".into();
        report.differences[0].rows[0].account_code = "=1+2".into();
        let csv = reconciliation_csv(&report);
        let lines: Vec<&str> = csv.split("\r\n").collect();
        assert_eq!(
            lines[0],
            "date,account,tracking,srm,xero,difference,journals"
        );
        assert_eq!(
            lines[1],
            "2019-08-19,1200,Division: 1,1250.00,1250.00,0.00,"
        );
        let key = srm_xero_shared::JournalKey::from_posting_ids(["GL-5", "GL-7"]);
        assert_eq!(
            lines[2],
            format!(
                "2019-08-20,'=1+2,Division: =1+2,-1000.50,0.00,1000.50,\"{key} (voided, export #12, 9b0e1c2d-0000-4000-8000-000000000005)\""
            )
        );
    }

    #[test]
    fn amounts_have_thousands_separators_and_two_decimals() {
        assert_eq!(amount(Money::from_cents(123_456_750)), "1,234,567.50");
        assert_eq!(amount(Money::from_cents(-100_000)), "-1,000.00");
        assert_eq!(amount(Money::from_cents(99_999)), "999.99");
        assert_eq!(amount(Money::ZERO), "0.00");
        assert_eq!(
            money(Money::from_cents(125_000), Some("CAD")),
            "CAD 1,250.00"
        );
    }

    #[test]
    fn a_pause_says_how_long() {
        let until = chrono::DateTime::from_timestamp(1_000, 0).unwrap();
        assert_eq!(
            waiting("Xero's rate limit", Some(until), Some(962_000)),
            "Waiting 38 s for Xero's rate limit."
        );
        assert_eq!(
            waiting("reconnect needed", None, Some(0)),
            "Posting is paused: reconnect needed."
        );
    }

    #[test]
    fn durations_read_naturally() {
        assert_eq!(duration(38), "38 s");
        assert_eq!(duration(250), "4 min 10 s");
        assert_eq!(duration(3900), "1 h 5 min");
    }

    #[test]
    fn the_results_csv_has_a_row_per_journal_and_quotes_what_needs_it() {
        let csv = results_csv(&fixtures::export_detail());
        let lines: Vec<&str> = csv.split("\r\n").filter(|l| !l.is_empty()).collect();
        assert_eq!(lines.len(), 6);
        assert!(lines[0].starts_with("export,journal_key,date"));
        assert!(
            lines[1].contains(",1250.00,2,Created,mj-1,"),
            "{}",
            lines[1]
        );
        assert!(
            lines[3].contains("Failed,,,Account code '4100' has been archived.,,"),
            "{}",
            lines[3]
        );
        assert!(lines[5].ends_with("Voided,,,,Dana,Keyed into Xero by hand"));
        let attention = results_csv(&fixtures::export_needing_attention());
        let row = attention.split("\r\n").nth(2).unwrap();
        assert!(
            row.contains(",300.00,2,Needs attention,,,\"Xero gave no clear answer"),
            "{row}"
        );
        let mut out = String::new();
        csv_field(&mut out, "a, \"b\"");
        assert_eq!(out, "\"a, \"\"b\"\"\"");
    }

    #[test]
    fn formulas_are_neutralised_and_amounts_stay_numbers() {
        for (cell, written) in [
            ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"),
            ("+1+1", "'+1+1"),
            ("-2+3", "'-2+3"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("-", "'-"),
            ("-1.", "'-1."),
            ("-1250.00", "-1250.00"),
            ("+3", "+3"),
            ("1250.00", "1250.00"),
            ("Rental revenue", "Rental revenue"),
            ("", ""),
        ] {
            assert_eq!(spreadsheet_safe(cell), written, "{cell}");
        }
        let mut out = String::new();
        csv_field(&mut out, "=1,2");
        assert_eq!(out, "\"'=1,2\"");
    }

    #[test]
    fn the_caller_token_says_who_and_whether_admin() {
        // {"sub":"u1","name":"Dana","exp":2000000000,"scope":"xero:post xero:admin"}
        let token = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1MSIsIm5hbWUiOiJEYW5hIiwiZXhwIjoyMDAwMDAwMDAwLCJzY29wZSI6Inhlcm86cG9zdCB4ZXJvOmFkbWluIn0.sig";
        let who = caller(token);
        assert_eq!(who.name.as_deref(), Some("Dana"));
        assert!(who.admin);
        assert_eq!(who.expires, Some(2_000_000_000));
        assert_eq!(caller("not a token"), Caller::default());
    }

    #[test]
    fn query_values_are_percent_encoded() {
        assert_eq!(query_value("a b/c+d"), "a%20b%2Fc%2Bd");
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod properties {
    use proptest::prelude::*;
    use rust_decimal::Decimal;

    use super::spreadsheet_safe;

    proptest! {
        /// Whatever SRM or Xero wrote (memos, narrations, messages): the cell never starts a
        /// formula, and dropping the one added quote gives the text back.
        #[test]
        fn no_cell_starts_a_formula_and_nothing_is_lost(text in any::<String>()) {
            let safe = spreadsheet_safe(&text);
            let restored = safe.strip_prefix('\'').filter(|_| safe != text).unwrap_or(&safe);
            prop_assert_eq!(restored, text.as_str());
            if safe.starts_with(['=', '+', '-', '@']) {
                prop_assert_eq!(&*safe, text.as_str(), "only a plain number may start so");
                // A sign followed by digits and at most a point: a number, never a formula.
                let rest = &text[1..];
                prop_assert!(rest.bytes().any(|b| b.is_ascii_digit()), "{}", text);
                prop_assert!(rest.bytes().all(|b| b.is_ascii_digit() || b == b'.'), "{}", text);
                prop_assert!(rest.matches('.').count() <= 1, "{}", text);
            }
        }

        /// An amount, negative or not, stays a number.
        #[test]
        fn amounts_are_left_as_they_are(units in any::<i64>(), scale in 0u32..=4) {
            let amount = Decimal::new(units, scale).to_string();
            prop_assert_eq!(spreadsheet_safe(&amount), amount.as_str());
        }
    }
}
