//! What can be wrong with a feed document, said so a bookkeeper can find it.

use std::fmt;

/// Where in a document a problem is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// The n-th posting (from 1) of a JSON document, with its id when it has one.
    Posting {
        /// Position in the `postings` array, from 1.
        index: usize,
        /// The posting's id, when it could be read.
        id: Option<String>,
    },
    /// A line of a CSV file (the header is line 1), with the posting's id when it has one.
    Line {
        /// The line number as a spreadsheet shows it.
        line: u64,
        /// The posting's id, when it could be read.
        id: Option<String>,
    },
    /// The n-th posting of the p-th page of a paged feed.
    Page {
        /// Page number, from 1.
        page: usize,
        /// Position on the page, from 1.
        index: usize,
        /// The posting's id.
        id: String,
    },
}

impl Location {
    fn id(&self) -> Option<&str> {
        match self {
            Location::Posting { id, .. } | Location::Line { id, .. } => id.as_deref(),
            Location::Page { id, .. } => Some(id),
        }
    }

    pub(super) fn with_id(self, posting_id: &str) -> Location {
        let id = Some(posting_id.to_owned());
        match self {
            Location::Posting { index, .. } => Location::Posting { index, id },
            Location::Line { line, .. } => Location::Line { line, id },
            page @ Location::Page { .. } => page,
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // Index 0: a single posting read on its own, outside any document.
            Location::Posting { index: 0, .. } => write!(f, "posting")?,
            Location::Posting { index, .. } => write!(f, "posting #{index}")?,
            Location::Line { line, .. } => write!(f, "line {line}")?,
            Location::Page { page, index, .. } => write!(f, "page {page}, posting #{index}")?,
        }
        match self.id() {
            Some(id) => write!(f, " ({id})"),
            None => Ok(()),
        }
    }
}

/// What is wrong with one field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FieldProblem {
    /// Required and absent or blank.
    #[error("is missing")]
    Missing,
    /// Not text where text belongs (a JSON object or array, say).
    #[error("must be text, found `{0}`")]
    NotText(String),
    /// An amount that does not read.
    #[error("{0}")]
    Amount(#[from] crate::amount::AmountError),
    /// A date in neither accepted form.
    #[error("`{0}` is not a date; write YYYY-MM-DD or MM/DD/YYYY")]
    Date(String),
    /// Longer than allowed.
    #[error("`{value}` is {length} characters long; at most {max} are allowed")]
    TooLong {
        /// The value as given.
        value: String,
        /// Its length in characters.
        length: usize,
        /// The limit.
        max: usize,
    },
}

/// Why a feed document or CSV file was refused. Nothing of a refused document is used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FeedError {
    /// Not JSON, or not shaped like a feed page.
    #[error("the feed is not a valid G/L page: {0}")]
    Syntax(String),
    /// The CSV file could not be read as CSV.
    #[error("the CSV file cannot be read: {0}")]
    Csv(String),
    /// A required CSV column is absent from the header row.
    #[error("the CSV header row has no `{0}` column")]
    MissingColumn(&'static str),
    /// One field of one posting.
    #[error("{at}: field `{field}` {problem}")]
    Field {
        /// Where.
        at: Location,
        /// The field's name as in the feed.
        field: &'static str,
        /// What is wrong.
        problem: FieldProblem,
    },
    /// Debit and credit both non-zero.
    #[error(
        "{at}: both debit ({debit}) and credit ({credit}) are non-zero; a posting is one or the other"
    )]
    BothSides {
        /// Where.
        at: Location,
        /// The debit as given.
        debit: String,
        /// The credit as given.
        credit: String,
    },
    /// The same posting id twice.
    #[error("{at}: posting id `{id}` appears twice (first at {first})")]
    DuplicateId {
        /// The id.
        id: String,
        /// The second occurrence.
        at: Location,
        /// The first occurrence.
        first: Location,
    },
}
