//! Xero's side: reference data the planner validates against, the ManualJournals wire format, and
//! the shapes of Xero's error answers. Field names follow the official OpenAPI spec.

pub mod dates;
pub mod errors;
pub mod journal;
pub mod reference;

pub use errors::{ApiException, ProblemDetails};
pub use journal::{
    LineAmountTypes, ManualJournal, ManualJournalLine, ManualJournalStatus, ManualJournals,
    TrackingRef, ValidationError,
};

/// Limits Xero sets (or that we keep to where Xero's are unconfirmed, see XERO.md).
pub mod limits {
    /// Journals per `PUT /ManualJournals` call.
    pub const JOURNALS_PER_CALL: usize = 50;
    /// Characters in an account code.
    pub const ACCOUNT_CODE: usize = 10;
    /// Characters in a narration (Xero's own limit is unconfirmed; we keep to this).
    pub const NARRATION: usize = 255;
    /// Characters in a line description (unconfirmed at Xero; we keep to this).
    pub const DESCRIPTION: usize = 4000;
    /// Characters in a tracking category or option name.
    pub const TRACKING_NAME: usize = 100;
    /// Tracking categories on one line.
    pub const TRACKING_PER_LINE: usize = 2;
    /// Characters in an `Idempotency-Key` header.
    pub const IDEMPOTENCY_KEY: usize = 128;
}
