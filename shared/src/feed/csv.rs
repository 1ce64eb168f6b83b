//! The CSV form of the feed: SRM's G/L detail report saved as a file and dropped on the page.

use std::collections::HashMap;

use super::fields::{PostingFields, UniqueIds};
use super::{FeedError, Location, Posting};

const REQUIRED: [&str; 6] = ["id", "date", "account", "debit", "credit", "source"];

/// Parses a CSV file with a header row naming the feed's fields (any order, any case).
pub fn parse_csv(text: &str) -> Result<Vec<Posting>, FeedError> {
    let mut records = records(text.trim_start_matches('\u{feff}')).into_iter();
    let header = records.next().map(|(_, fields)| fields).unwrap_or_default();
    let columns: HashMap<String, usize> = header
        .iter()
        .enumerate()
        .map(|(i, name)| (name.trim().to_ascii_lowercase().replace(' ', "_"), i))
        .collect();
    if let Some(missing) = REQUIRED.into_iter().find(|c| !columns.contains_key(*c)) {
        return Err(FeedError::MissingColumn(missing));
    }
    let mut ids = UniqueIds::default();
    let mut postings = Vec::new();
    for (number, (line, record)) in records.enumerate() {
        if record.len() != header.len() {
            return Err(FeedError::Csv(format!(
                "record {} (line {line}) has {} fields, but the header row has {}",
                number + 1,
                record.len(),
                header.len()
            )));
        }
        if record.iter().all(String::is_empty) {
            continue;
        }
        let cell = |name: &str| columns.get(name).and_then(|&i| record.get(i)).cloned();
        let fields = PostingFields {
            id: cell("id"),
            date: cell("date"),
            account: cell("account"),
            division: cell("division"),
            account_description: cell("account_description"),
            debit: cell("debit"),
            credit: cell("credit"),
            source: cell("source"),
            reference: cell("reference"),
            store: cell("store"),
            memo: cell("memo"),
        };
        let at = Location::Line { line, id: None };
        let posting = fields.into_posting(at.clone())?;
        ids.admit(&posting.id, at.with_id(&posting.id))?;
        postings.push(posting);
    }
    Ok(postings)
}

/// Splits CSV text into records, each with the line it starts on, every field trimmed: `,`
/// between fields; a field starting with `"` is quoted, `""` inside it is a quote, and text after
/// its closing quote is kept; CR, LF or CRLF end a record; blank lines are skipped.
fn records(text: &str) -> Vec<(u64, Vec<String>)> {
    let mut records = Vec::new();
    let mut fields: Vec<String> = Vec::new();
    let mut field = String::new();
    let mut line = 1;
    let mut start_line = 1;
    let mut chars = text.chars().peekable();
    // Whether the current field began with a quote and it is still open.
    let mut quoted = false;
    let mut at_field_start = true;
    let end_field = |fields: &mut Vec<String>, field: &mut String| {
        fields.push(field.trim().to_owned());
        field.clear();
    };
    while let Some(c) = chars.next() {
        if c == '\n' {
            line += 1;
        }
        if quoted {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    chars.next();
                    field.push('"');
                } else {
                    quoted = false;
                }
            } else {
                field.push(c);
            }
            continue;
        }
        match c {
            '"' if at_field_start => {
                quoted = true;
                at_field_start = false;
            }
            ',' => {
                end_field(&mut fields, &mut field);
                at_field_start = true;
            }
            '\r' | '\n' => {
                if c == '\r' && chars.peek() == Some(&'\n') {
                    chars.next();
                    line += 1;
                }
                // A line with nothing on it is no record.
                if !(fields.is_empty() && field.is_empty() && at_field_start) {
                    end_field(&mut fields, &mut field);
                    records.push((start_line, std::mem::take(&mut fields)));
                }
                at_field_start = true;
                start_line = line;
            }
            _ => {
                field.push(c);
                at_field_start = false;
            }
        }
    }
    if !(fields.is_empty() && field.is_empty() && at_field_start && !quoted) {
        end_field(&mut fields, &mut field);
        records.push((start_line, fields));
    }
    records
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(text: &str) -> Vec<(u64, Vec<&'static str>)> {
        records(text)
            .into_iter()
            .map(|(line, fields)| {
                let fields = fields.into_iter().map(|f| &*f.leak()).collect();
                (line, fields)
            })
            .collect()
    }

    #[test]
    fn splits_records_as_the_csv_format_says() {
        assert_eq!(
            plain("a, b ,c\r\n\r\n\"x,\"\"y\"\"\",2,\"multi\nline\"\n\"q\"z,,\nlast"),
            vec![
                (1, vec!["a", "b", "c"]),
                (3, vec!["x,\"y\"", "2", "multi\nline"]),
                (5, vec!["qz", "", ""]),
                (6, vec!["last"]),
            ]
        );
        assert_eq!(plain(""), vec![]);
        assert_eq!(plain("\"\"\n"), vec![(1, vec![""])]);
        assert_eq!(plain("a\rb\n"), vec![(1, vec!["a"]), (1, vec!["b"])]);
    }

    /// The `csv` crate (which this reader replaced in the browser) reads every sample alike. The
    /// crate counts neither skipped blank lines nor the LF of a CRLF in a record's line; this
    /// reader counts lines as a spreadsheet shows them (as `Location::Line` promises), so those
    /// samples compare fields only.
    #[cfg(not(target_arch = "wasm32"))]
    #[test]
    fn agrees_with_the_csv_crate() {
        let samples = [
            "a,b\n1,2\n",
            "a,b\r\n1,2\r\n\r\n3,4",
            " a , \" b \"\n\"x\"\"y\",\"two\nlines\"\n5,6\n",
            "a,b,c\n,,\n1,\"\",3\n\n\n7,8,9\n",
            "x\n\"q\"tail\nmid\"quote\n",
            "\n\nh1,h2\nv1,v2",
        ];
        for sample in samples {
            let mut reader = ::csv::ReaderBuilder::new()
                .has_headers(false)
                .flexible(true)
                .trim(::csv::Trim::All)
                .from_reader(sample.as_bytes());
            let expected: Vec<(u64, Vec<String>)> = reader
                .records()
                .map(|r| {
                    let r = r.unwrap();
                    let line = r.position().unwrap().line();
                    (line, r.iter().map(str::to_owned).collect())
                })
                .collect();
            let ours = records(sample);
            if sample.contains('\r') || sample.contains("\n\n") {
                let fields =
                    |r: Vec<(u64, Vec<String>)>| r.into_iter().map(|(_, f)| f).collect::<Vec<_>>();
                assert_eq!(fields(ours), fields(expected), "{sample:?}");
            } else {
                assert_eq!(ours, expected, "{sample:?}");
            }
        }
    }

    #[test]
    fn a_record_of_another_length_is_refused() {
        let err = parse_csv("id,date,account,debit,credit,source\nGL-1,2019-08-19\n").unwrap_err();
        assert!(matches!(err, FeedError::Csv(_)), "{err}");
    }
}
