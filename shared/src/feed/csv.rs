//! The CSV form of the feed: SRM's G/L detail report saved as a file and dropped on the page.
//!
//! `csv-core` splits the records (quotes, doubled quotes, any line ending); this module names the
//! columns, counts lines as a spreadsheet shows them and refuses what the splitter lets through (a
//! record of another length, a quote that never closes). `csv-core` rather than `csv`: the page
//! reads a whole file that is already text, so `csv`'s buffered reader, byte and string records
//! and their error types would add about 8 KB (gzipped) to the bundle for nothing it uses.

use std::collections::HashMap;

use csv_core::{ReadRecordResult, Reader};

use super::fields::{PostingFields, UniqueIds};
use super::{FeedError, Location, Posting};

const REQUIRED: [&str; 6] = ["id", "date", "account", "debit", "credit", "source"];

/// The two fields of a last record appended to the text. `csv-core` reads a quote still open at
/// the end of the input as a field that runs to the end (rust-csv issue 252); such a field
/// swallows this record (its comma included), so its absence is how an unterminated quote is
/// noticed.
const END: &str = "\u{1}srm-xero end of file\u{1}";

/// Parses a CSV file with a header row naming the feed's fields (any order, any case).
pub fn parse_csv(text: &str) -> Result<Vec<Posting>, FeedError> {
    let text = format!("{}\n{END},{END}", text.trim_start_matches('\u{feff}'));
    let mut lines = LineCounter::new(&text);
    let mut records = Records::new(&text)
        .map(|(start, record)| (lines.line_at(start), record))
        .peekable();
    let mut next = || -> Result<Option<(u64, Vec<String>)>, FeedError> {
        let Some(record) = records.next() else {
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

/// The records of a CSV text, each with the byte offset it starts at and its fields trimmed.
struct Records<'a> {
    splitter: Reader,
    text: &'a str,
    at: usize,
    /// A record's unquoted bytes and where each field ends, kept from record to record.
    out: Vec<u8>,
    ends: Vec<usize>,
}

impl<'a> Records<'a> {
    fn new(text: &'a str) -> Self {
        Records {
            splitter: Reader::new(),
            text,
            at: 0,
            out: vec![0; 256],
            ends: vec![0; 16],
        }
    }
}

impl Iterator for Records<'_> {
    type Item = (usize, Vec<String>);

    fn next(&mut self) -> Option<Self::Item> {
        let start = self.at;
        let (out, ends) = (&mut self.out, &mut self.ends);
        let (mut written, mut fields) = (0, 0);
        loop {
            // The whole text is given at once; once it is used up, the empty rest tells the
            // splitter the input has ended.
            let input = &self.text.as_bytes()[self.at..];
            let (result, read, wrote, ended) =
                self.splitter
                    .read_record(input, &mut out[written..], &mut ends[fields..]);
            self.at += read;
            written += wrote;
            fields += ended;
            match result {
                ReadRecordResult::InputEmpty => {}
                ReadRecordResult::OutputFull => out.resize(out.len() * 2, 0),
                ReadRecordResult::OutputEndsFull => ends.resize(ends.len() * 2, 0),
                ReadRecordResult::Record => break,
                ReadRecordResult::End => return None,
            }
        }
        // Fields are cut at ASCII delimiters and quotes of UTF-8 text, so each is UTF-8 itself.
        let mut from = 0;
        let record = ends[..fields]
            .iter()
            .map(|&end| {
                let field = String::from_utf8_lossy(&out[from..end]).trim().to_owned();
                from = end;
                field
            })
            .collect();
        Some((start, record))
    }
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
    fn line_at(&mut self, offset: usize) -> u64 {
        let mut end = offset.min(self.text.len());
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
    fn records_longer_and_wider_than_the_first_buffers_are_read_whole() {
        // 40 columns (the field-end buffer starts at 16) and a memo of 3,000 bytes with quotes
        // and line breaks (the field buffer starts at 256).
        let extra: Vec<String> = (0..34).map(|n| format!("extra {n}")).collect();
        let memo = "Tractor 🚜 \"big\", ½ day\n".repeat(120);
        let text = format!(
            "{HEADER},memo,{}\nGL-1,2019-08-19,1,1.00,,AR,\"{}\",{}\nGL-2,2019-08-19,1,,1.00,AR,short,{}\n",
            extra.join(","),
            memo.replace('"', "\"\""),
            extra.join(","),
            extra.join(","),
        );
        let postings = parse_csv(&text).unwrap();
        assert_eq!(postings.len(), 2);
        assert_eq!(postings[0].memo, memo.trim());
        assert_eq!(postings[1].memo, "short");
    }

    #[test]
    fn an_empty_file_has_no_header() {
        assert_eq!(parse_csv(""), Err(FeedError::MissingColumn("id")));
        assert_eq!(parse_csv(&format!("{HEADER}\n")), Ok(Vec::new()));
    }
}
