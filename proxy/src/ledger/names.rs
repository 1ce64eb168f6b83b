//! States in SQL: the one place journal states, export statuses and the close's run triggers and
//! outcomes become text and back, through the shared enums' name tables (`as_str`/`FromStr`). A
//! stored name the enum does not know is an error (a corrupt or newer database), never a silent
//! default.

use std::str::FromStr;

use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ToSql, ToSqlOutput, ValueRef};
use srm_xero_shared::api::{ExportStatus, JournalState, RunOutcome, RunTrigger};

/// An enum stored by its name: `params![Named(JournalState::Posting)]`, `r.get::<_, Named<_>>(0)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Named<T>(pub T);

/// The enums stored by name.
pub trait Name: Copy + FromStr {
    /// The stored text.
    fn name(self) -> &'static str;
}

impl Name for JournalState {
    fn name(self) -> &'static str {
        self.as_str()
    }
}

impl Name for ExportStatus {
    fn name(self) -> &'static str {
        self.as_str()
    }
}

impl Name for RunTrigger {
    fn name(self) -> &'static str {
        self.as_str()
    }
}

impl Name for RunOutcome {
    fn name(self) -> &'static str {
        self.as_str()
    }
}

impl<T: Name> ToSql for Named<T> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::from(self.0.name()))
    }
}

impl<T: Name> FromSql for Named<T>
where
    T::Err: std::error::Error + Send + Sync + 'static,
{
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        value
            .as_str()?
            .parse()
            .map(Named)
            .map_err(|e| FromSqlError::Other(Box::new(e)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_state_round_trips_and_an_unknown_one_is_an_error() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        for state in JournalState::ALL {
            let back: Named<JournalState> = conn
                .query_row("SELECT ?1", [Named(*state)], |r| r.get(0))
                .unwrap();
            assert_eq!(back.0, *state);
            assert_eq!(
                serde_json::to_value(state).unwrap(),
                serde_json::Value::from(state.as_str()),
                "the stored name is serde's"
            );
        }
        let unknown = conn.query_row("SELECT 'archived'", [], |r| {
            r.get::<_, Named<JournalState>>(0)
        });
        let error = unknown.unwrap_err().to_string();
        assert!(
            error.contains("`archived` is not a journal state"),
            "{error}"
        );
        let status: Named<ExportStatus> = conn
            .query_row("SELECT 'exported'", [], |r| r.get(0))
            .unwrap();
        assert_eq!(status.0, ExportStatus::Exported);
    }
}
