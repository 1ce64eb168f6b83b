//! The CSV form of the feed: SRM's G/L detail report saved as a file and dropped on the page.
//!
//! The `csv` crate splits the records; this module names the columns, counts lines as a
//! spreadsheet shows them and refuses what the crate lets through (a record of another length, a
//! quote that never closes).

use std::collections::HashMap;

use csv::{ReaderBuilder, StringRecord, Trim};

use super::fields::{PostingFields, UniqueIds};
use super::{FeedError, Location, Posting};

const REQUIRED: [&str; 6] = ["id", "date", "account", "debit", "credit", "source"];

/// The two fields of a last record appended to the text. The `csv` crate reads a quote still open
/// at the end of the input as a field that runs to the end (rust-csv issue 252); such a field
/// swallows this record (its comma included), so its absence is how an unterminated quote is
/// noticed.
const END: &str = "\u{1}srm-xero end of file\u{1}";

/// Parses a CSV file with a header row naming the feed's fields (any order, any case).
pub fn parse_csv(text: &str) -> Result<Vec<Posting>, FeedError> {
    let text = format!("{}\n{END},{END}", text.trim_start_matches('\u{feff}'));
    let mut lines = LineCounter::new(&text);
    let mut records = ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(Trim::All)
        .from_reader(text.as_bytes())
        .into_records()
        .map(|record| {
            let record = record.map_err(|e| FeedError::Csv(e.to_string()))?;
            let start = record.position().map_or(0, csv::Position::byte);
            Ok((lines.line_at(start), record))
        })
        .peekable();
    let mut next = || -> Result<Option<(u64, StringRecord)>, FeedError> {
        let Some(record) = records.next().transpose()? else {
            return Ok(None);
        };
        if records.peek().is_some() {
            return Ok(Some(record));
        }
        let (line, last) = record;
        if last.iter().eq([END, END]) {
            Ok(None)
        } else {
            Err(FeedError::Csv(format!(
                "a quoted field on line {line} never closes: add the missing `\"`"
            )))
        }
    };
    let header = next()?.map(|(_, fields)| fields).unwrap_or_default();
    let columns: HashMap<String, usize> = header
        .iter()
        .enumerate()
        .map(|(i, name)| (name.to_ascii_lowercase().replace(' ', "_"), i))
        .collect();
    if let Some(missing) = REQUIRED.into_iter().find(|c| !columns.contains_key(*c)) {
        return Err(FeedError::MissingColumn(missing));
    }
    let mut ids = UniqueIds::default();
    let mut postings = Vec::new();
    let mut number = 0;
    while let Some((line, record)) = next()? {
        number += 1;
        if record.len() != header.len() {
            return Err(FeedError::Csv(format!(
                "record {number} (line {line}) has {} fields, but the header row has {}",
                record.len(),
                header.len()
            )));
        }
        if record.iter().all(str::is_empty) {
            continue;
        }
        let cell = |name: &str| {
            columns
                .get(name)
                .and_then(|&i| record.get(i))
                .map(str::to_owned)
        };
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

/// The line (from 1) of a byte offset, counted as a spreadsheet does: LF, CRLF and a lone CR each
/// end a line. Offsets are asked in increasing order, so the text is scanned once.
struct LineCounter<'a> {
    text: &'a [u8],
    scanned: usize,
    line: u64,
}

impl<'a> LineCounter<'a> {
    fn new(text: &'a str) -> Self {
        LineCounter {
            text: text.as_bytes(),
            scanned: 0,
            line: 1,
        }
    }

    /// The line a record starting at `offset` is on (blank lines before it are not its own).
    fn line_at(&mut self, offset: u64) -> u64 {
        let mut end = usize::try_from(offset)
            .unwrap_or(usize::MAX)
            .min(self.text.len());
        while matches!(self.text.get(end), Some(b'\r' | b'\n')) {
            end += 1;
        }
        while self.scanned < end {
            let ends_line = match self.text[self.scanned] {
                b'\n' => true,
                b'\r' => self.text.get(self.scanned + 1) != Some(&b'\n'),
                _ => false,
            };
            self.line += u64::from(ends_line);
            self.scanned += 1;
        }
        self.line
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "id,date,account,debit,credit,source";

    #[test]
    fn a_record_of_another_length_is_refused() {
        let err = parse_csv(&format!("{HEADER}\nGL-1,2019-08-19\n")).unwrap_err();
        assert_eq!(
            err,
            FeedError::Csv("record 1 (line 2) has 2 fields, but the header row has 6".into())
        );
    }

    #[test]
    fn lines_are_counted_as_a_spreadsheet_shows_them() {
        // A blank line, a CRLF, a field over two lines and a lone CR all count.
        let text = format!(
            "{HEADER}\r\n\r\nGL-1,2019-08-19,1,\"1.00\",,\"A\nR\"\rGL-2,2019-08-19,1,x,,AR\n"
        );
        let err = parse_csv(&text).unwrap_err();
        assert_eq!(
            err.to_string(),
            "line 5 (GL-2): field `debit` `x` is not a number"
        );
    }

    #[test]
    fn a_quote_that_never_closes_is_refused_with_its_line() {
        let text = format!("{HEADER}\nGL-1,2019-08-19,1,1.00,,AR\nGL-2,2019-08-19,1,\"2.00,,AR\n");
        let err = parse_csv(&text).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the CSV file cannot be read: a quoted field on line 3 never closes: add the missing `\"`"
        );
        assert!(parse_csv(&format!("{HEADER}\n\"GL-1")).is_err());
        // Closed quotes, with or without a last line break, are fine.
        let fine = format!("{HEADER}\n\"GL-1\",2019-08-19,1,\"1,000.00\",,\"AR\"");
        assert_eq!(parse_csv(&fine).unwrap().len(), 1);
        assert_eq!(parse_csv(&format!("{fine}\n")).unwrap().len(), 1);
    }

    #[test]
    fn an_empty_file_has_no_header() {
        assert_eq!(parse_csv(""), Err(FeedError::MissingColumn("id")));
        assert_eq!(parse_csv(&format!("{HEADER}\n")), Ok(Vec::new()));
    }
}
