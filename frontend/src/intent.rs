//! What the user asks for that needs more than a change of state: each [`Intent`] becomes the
//! named effects it takes, read off the current state. Changes of state alone go to the reducer
//! as actions.

use std::rc::Rc;

use chrono::NaiveDate;
use srm_xero_shared::api::{MappingChange, ReconciliationQuery};
use srm_xero_shared::{JournalKey, MappingSettings};

use crate::effects::Effects;
use crate::format;
use crate::state::{Action, Area, State};

/// A user's request that calls the proxy, the feed or the browser.
#[derive(Debug, Clone, PartialEq)]
pub enum Intent {
    /// Preview from SRM's feed, from the "Sync from" date.
    Preview,
    /// Preview from a dropped CSV file.
    File(web_sys::File),
    /// Accept the previewed journals.
    Accept,
    /// Enter (or "Open") in the Export Transaction # field.
    OpenTyped,
    /// Open export #N.
    OpenExport(u64),
    /// Open the lookup of past exports.
    Lookup,
    /// Save the mapping.
    SaveMapping(Rc<MappingSettings>),
    /// Read Xero's chart again.
    RefreshReference,
    /// Connect (or reconnect) Xero.
    Connect,
    /// Post to this organisation (its tenant id).
    ChooseOrganisation(String),
    /// Disconnect Xero.
    Disconnect,
    /// Download the open export's results as CSV.
    Download,
    /// Retry the open export's failed journals.
    Retry,
    /// Send the confirmed void.
    Void,
    /// Send the ManualJournalID found in Xero for a journal that needs attention.
    Resolve,
    /// Preview from the first unsynced day (the banner's button).
    PreviewUnsynced(NaiveDate),
    /// Open the Reconcile view.
    OpenReconcile,
    /// Compare SRM with Xero for the days typed.
    Reconcile,
    /// Re-post a journal voided or deleted in Xero (export, key).
    Repost(u64, JournalKey),
    /// Download the reconciliation as CSV.
    DownloadReconciliation,
}

/// What the Export Transaction # field holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Typed {
    /// Nothing: a new export.
    Blank,
    /// An export number.
    Number(u64),
    /// A date: SRM's old page took the sync-from date in this field.
    Date(NaiveDate),
    /// Neither.
    Other(String),
}

impl Typed {
    /// Reads the field.
    pub fn read(text: &str) -> Typed {
        let text = text.trim();
        if text.is_empty() {
            Typed::Blank
        } else if let Ok(number) = text.parse::<u64>() {
            Typed::Number(number)
        } else if let Some(date) = srm_xero_shared::day::parse_date(text, srm_xero_shared::day::ISO)
        {
            Typed::Date(date)
        } else {
            Typed::Other(text.to_owned())
        }
    }
}

/// Carries out `intent` against the page as it is now.
pub fn perform(intent: Intent, state: &State, effects: &Effects) {
    let act = |action| effects.dispatch(action);
    match intent {
        Intent::Preview => match state.sync_from {
            Some(from) => effects.read_feed(from),
            None => act(Action::Fail(
                Area::Preview,
                "Choose the date to sync from first.".into(),
            )),
        },
        Intent::File(file) => effects.read_file(file),
        Intent::Accept => {
            if let (Ok(journals), Some(from)) = (state.acceptable(), state.sync_from) {
                let postings = state.accepted_postings(&journals);
                effects.accept(from, postings, journals, state.feed_ids());
            }
        }
        Intent::OpenTyped => match Typed::read(&state.export_number) {
            Typed::Blank => {}
            Typed::Number(number) => effects.open_export(number),
            Typed::Date(date) => {
                act(Action::SetSyncFrom(Some(date)));
                act(Action::SetExportNumber(String::new()));
            }
            Typed::Other(text) => act(Action::Fail(
                Area::Export,
                format!(
                    "\"{text}\" is not an export number: type a number, or leave it blank for a new export."
                ),
            )),
        },
        Intent::OpenExport(number) => effects.open_export(number),
        Intent::Lookup => act(Action::OpenLookup),
        Intent::SaveMapping(settings) => {
            let version = state.mapping.as_ref().map_or(0, |m| m.version);
            let settings = Rc::unwrap_or_clone(settings);
            effects.save_mapping(MappingChange { settings, version });
        }
        Intent::RefreshReference => effects.refresh_reference(),
        Intent::Connect => effects.connect(),
        Intent::ChooseOrganisation(tenant_id) => effects.choose_organisation(tenant_id),
        Intent::Disconnect => effects.disconnect(),
        Intent::Download => {
            if let Some(popup) = &state.popup {
                effects.download_results(&popup.detail());
            }
        }
        Intent::Retry => {
            if let Some(popup) = &state.popup {
                effects.retry(popup.number(), popup.failed_keys());
            }
        }
        Intent::Void => {
            if let Some(popup) = &state.popup
                && let Some(draft) = popup.void.as_ref().filter(|d| d.confirming)
            {
                let reason = draft.reason.trim().to_owned();
                effects.void(popup.number(), draft.key.clone(), reason);
            }
        }
        Intent::PreviewUnsynced(day) => {
            act(Action::SetSyncFrom(Some(day)));
            effects.read_feed(day);
        }
        Intent::OpenReconcile
        | Intent::Reconcile
        | Intent::Repost(..)
        | Intent::DownloadReconciliation => reconcile(intent, state, effects),
        Intent::Resolve => {
            if let Some(popup) = &state.popup
                && let Some(draft) = popup.resolve.as_ref()
                && !draft.manual_journal_id.trim().is_empty()
            {
                let id = draft.manual_journal_id.trim().to_owned();
                effects.resolve(popup.number(), draft.key.clone(), id);
            }
        }
    }
}

/// The Reconcile view's intents.
fn reconcile(intent: Intent, state: &State, effects: &Effects) {
    let act = |action| effects.dispatch(action);
    match intent {
        Intent::OpenReconcile => {
            // Default: the 31 days up to yesterday.
            let to = format::today()
                .or(state.last_exported_date)
                .and_then(|d| d.pred_opt())
                .unwrap_or_default();
            act(Action::OpenReconcile(to - chrono::Days::new(30), to));
        }
        Intent::Reconcile => {
            if let Some(view) = &state.reconcile {
                match view.query() {
                    Ok(query) => effects.reconcile(query),
                    Err(why) => act(Action::Fail(Area::Reconcile, why.into())),
                }
            }
        }
        Intent::Repost(number, key) => {
            let report = state.reconcile.as_ref().and_then(|v| v.report.clone());
            let sure = gloo_dialogs::confirm(&format!(
                "Re-post journal {key} of export #{number}? Its postings go to Xero again as a new export."
            ));
            if let Some(report) = report.filter(|_| sure) {
                let query = ReconciliationQuery {
                    from: report.from,
                    to: report.to,
                };
                effects.repost(number, key, query);
            }
        }
        Intent::DownloadReconciliation => {
            if let Some(report) = state.reconcile.as_ref().and_then(|v| v.report.as_ref()) {
                effects.download_reconciliation(report);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_export_number_field_takes_a_number_or_a_date() {
        assert_eq!(Typed::read("  "), Typed::Blank);
        assert_eq!(Typed::read(" 12 "), Typed::Number(12));
        assert_eq!(
            Typed::read("2019-08-19"),
            Typed::Date(NaiveDate::from_ymd_opt(2019, 8, 19).unwrap())
        );
        assert_eq!(Typed::read("twelve"), Typed::Other("twelve".into()));
        assert_eq!(Typed::read("-3"), Typed::Other("-3".into()));
    }
}
