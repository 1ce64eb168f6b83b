//! The CSV form of the feed: SRM's G/L detail report saved as a file and dropped on the page.

use std::collections::HashMap;

use super::fields::{PostingFields, UniqueIds};
use super::{FeedError, Location, Posting};

const REQUIRED: [&str; 6] = ["id", "date", "account", "debit", "credit", "source"];

/// Parses a CSV file with a header row naming the feed's fields (any order, any case).
pub fn parse_csv(text: &str) -> Result<Vec<Posting>, FeedError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .trim(csv::Trim::All)
        .from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let header = reader
        .headers()
        .map_err(|e| FeedError::Csv(e.to_string()))?
        .clone();
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
    for record in reader.records() {
        let record = record.map_err(|e| FeedError::Csv(e.to_string()))?;
        let line = record.position().map_or(0, csv::Position::line);
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
