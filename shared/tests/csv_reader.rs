//! The CSV reader over generated files (native only: proptest): free text with commas, quotes,
//! line breaks, `½`, `🚜` and any Unicode, amounts with thousands separators, both date forms.
//! Every posting reads back as written, a problem names the line a spreadsheet shows, and a
//! quote that never closes is refused.
#![cfg(not(target_arch = "wasm32"))]

use chrono::{Days, NaiveDate};
use proptest::prelude::*;
use rust_decimal::Decimal;
use srm_xero_shared::Posting;
use srm_xero_shared::feed::{Source, parse_csv};

const HEADER: &str =
    "Id,Date,Account,Division,Account Description,Debit,Credit,Source,Reference,Store,Memo";

/// Text an SRM user could type: any Unicode, or pieces that CSV and amounts make hard.
fn free_text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just(",".to_owned()),
        Just("\"".to_owned()),
        Just("\"\"".to_owned()),
        Just("\n".to_owned()),
        Just("\r\n".to_owned()),
        Just("½".to_owned()),
        Just("🚜".to_owned()),
        Just("1,250.00".to_owned()),
        Just(" ".to_owned()),
        "[a-zA-Z0-9 ]{1,6}",
        any::<String>(),
    ];
    prop::collection::vec(piece, 0..6).prop_map(|pieces| pieces.concat())
}

/// `1234567.89` → `1,234,567.89`.
fn separated(cents: u64) -> String {
    let whole = (cents / 100).to_string();
    let mut out = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    format!("{out}.{:02}", cents % 100)
}

/// One posting as generated: what the file says and what it must read as.
#[derive(Debug, Clone)]
struct Row {
    cells: Vec<String>,
    posting: Posting,
}

fn non_blank(text: &str) -> Option<String> {
    Some(text.trim().to_owned()).filter(|t| !t.is_empty())
}

fn rows() -> impl Strategy<Value = Vec<Row>> {
    let row = (
        free_text(),
        0_u64..4000,
        any::<bool>(),
        "[0-9A-Za-z½🚜]{1,10}",
        (free_text(), free_text(), free_text()),
        (1_u64..100_000_000_000, any::<bool>()),
        prop_oneof![
            Just("AR".to_owned()),
            Just("GJ".to_owned()),
            "[A-Z½🚜]{1,4}"
        ],
        (free_text(), free_text()),
    );
    prop::collection::vec(row, 0..12).prop_map(|rows| {
        rows.into_iter()
            .enumerate()
            .map(
                |(
                    i,
                    (
                        id,
                        days,
                        us,
                        account,
                        (division, description, store),
                        (cents, debit),
                        source,
                        (reference, memo),
                    ),
                )| {
                    // A unique prefix keeps ids apart whatever the text after it.
                    let id = format!("{i}:{id}");
                    let date = NaiveDate::from_ymd_opt(2015, 1, 1).unwrap() + Days::new(days);
                    let amount = Decimal::new(i64::try_from(cents).unwrap(), 2);
                    let (debit_cell, credit_cell) = if debit {
                        (separated(cents), String::new())
                    } else {
                        (String::new(), separated(cents))
                    };
                    let cells = vec![
                        id.clone(),
                        if us {
                            date.format("%m/%d/%Y").to_string()
                        } else {
                            date.to_string()
                        },
                        account.clone(),
                        division.clone(),
                        description.clone(),
                        debit_cell,
                        credit_cell,
                        source.clone(),
                        reference.clone(),
                        store.clone(),
                        memo.clone(),
                    ];
                    let posting = Posting {
                        id: id.trim().to_owned(),
                        date,
                        account,
                        division: non_blank(&division),
                        account_description: description.trim().to_owned(),
                        debit: if debit { amount } else { Decimal::ZERO },
                        credit: if debit { Decimal::ZERO } else { amount },
                        source: Source::from(source),
                        reference: reference.trim().to_owned(),
                        store: non_blank(&store),
                        memo: memo.trim().to_owned(),
                    };
                    Row { cells, posting }
                },
            )
            .collect()
    })
}

/// A CSV field: quoted when it must be (or when asked), quotes doubled.
fn field(text: &str, always: bool) -> String {
    if always || text.contains([',', '"', '\n', '\r']) || text.trim() != text {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

/// The file's records (header first), each ending with CRLF or LF.
fn records(rows: &[Row], always_quote: bool, crlf: bool) -> Vec<String> {
    let end = if crlf { "\r\n" } else { "\n" };
    std::iter::once(format!("{HEADER}{end}"))
        .chain(rows.iter().map(|row| {
            let cells: Vec<String> = row.cells.iter().map(|c| field(c, always_quote)).collect();
            format!("{}{end}", cells.join(","))
        }))
        .collect()
}

/// Lines as a spreadsheet counts them: LF, CRLF or a lone CR each end one.
fn lines_in(text: &str) -> u64 {
    let lone_cr = text
        .match_indices('\r')
        .filter(|(at, _)| !text[at + 1..].starts_with('\n'));
    u64::try_from(text.matches('\n').count() + lone_cr.count()).unwrap()
}

proptest! {
    #[test]
    fn every_posting_reads_back_as_written(rows in rows(), always_quote in any::<bool>(), crlf in any::<bool>()) {
        let text = records(&rows, always_quote, crlf).concat();
        let read = parse_csv(&text).map_err(|e| TestCaseError::fail(format!("{e}\n{text:?}")))?;
        let expected: Vec<Posting> = rows.into_iter().map(|r| r.posting).collect();
        prop_assert_eq!(read, expected);
    }

    #[test]
    fn a_bad_amount_names_the_line_a_spreadsheet_shows(rows in rows(), pick in any::<prop::sample::Index>(), crlf in any::<bool>()) {
        prop_assume!(!rows.is_empty());
        let mut rows = rows;
        let bad = pick.index(rows.len());
        rows[bad].cells[5] = "12 apples".into();
        rows[bad].cells[6] = String::new();
        let records = records(&rows, false, crlf);
        let line = 1 + lines_in(&records[..=bad].concat());
        let err = parse_csv(&records.concat()).unwrap_err();
        prop_assert_eq!(
            err.to_string(),
            format!("line {line} ({}): field `debit` `12 apples` is not a number", rows[bad].posting.id)
        );
    }

    #[test]
    fn a_quote_that_never_closes_is_refused(rows in rows(), tail in "[^\"]{0,40}", crlf in any::<bool>()) {
        let records = records(&rows, false, crlf);
        let before = records.concat();
        let line = 1 + lines_in(&before);
        let err = parse_csv(&format!("{before}\"{tail}")).unwrap_err();
        prop_assert_eq!(
            err.to_string(),
            format!("the CSV file cannot be read: a quoted field on line {line} never closes: add the missing `\"`")
        );
    }
}
