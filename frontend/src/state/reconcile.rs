//! The Reconcile view: the days compared, the proxy's report of SRM against Xero, and the
//! journals re-posted from it.

use std::rc::Rc;

use chrono::NaiveDate;
use srm_xero_shared::JournalKey;
use srm_xero_shared::api::{Change, Reconciliation, ReconciliationQuery};

/// Everything that changes the Reconcile view alone.
#[derive(Debug, Clone, PartialEq)]
pub enum ReconcileAction {
    /// The first day typed.
    SetFrom(String),
    /// The last day typed.
    SetTo(String),
    /// The proxy is asked.
    Asking,
    /// The proxy answered.
    Loaded(Rc<Reconciliation>),
    /// A journal was re-posted as this export.
    Reposted(JournalKey, u64),
    /// A request failed (the page shows why).
    Failed,
}

/// The Reconcile view.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Reconcile {
    /// The first day, `YYYY-MM-DD` as typed.
    pub from: String,
    /// The last day, `YYYY-MM-DD` as typed.
    pub to: String,
    /// The last report.
    pub report: Option<Rc<Reconciliation>>,
    /// A request is on its way.
    pub busy: bool,
    /// Journals re-posted from here, with their new export.
    pub reposted: Vec<(JournalKey, u64)>,
}

impl Reconcile {
    /// The view for `from..=to`.
    pub fn new(from: NaiveDate, to: NaiveDate) -> Reconcile {
        Reconcile {
            from: from.to_string(),
            to: to.to_string(),
            ..Reconcile::default()
        }
    }

    /// The days typed, or why they cannot be compared.
    pub fn query(&self) -> Result<ReconciliationQuery, &'static str> {
        let (Ok(from), Ok(to)) = (self.from.trim().parse(), self.to.trim().parse()) else {
            return Err("Choose the first and the last day to compare.");
        };
        if from > to {
            return Err("The first day is after the last: swap them.");
        }
        Ok(ReconciliationQuery { from, to })
    }

    /// The export a journal was re-posted as, if it was.
    pub fn reposted_as(&self, key: &JournalKey) -> Option<u64> {
        self.reposted
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, n)| *n)
    }

    /// Whether a journal that changed this way can be re-posted from here (an edited one still
    /// stands in Xero: a person voids it there first).
    pub fn can_repost(change: Change) -> bool {
        matches!(change, Change::Voided | Change::Deleted)
    }

    /// Applies one change.
    pub fn apply(&mut self, action: ReconcileAction) {
        match action {
            ReconcileAction::SetFrom(text) => self.from = text,
            ReconcileAction::SetTo(text) => self.to = text,
            ReconcileAction::Asking => self.busy = true,
            ReconcileAction::Loaded(report) => {
                self.busy = false;
                self.report = Some(report);
            }
            ReconcileAction::Reposted(key, number) => {
                self.busy = false;
                self.reposted.push((key, number));
            }
            ReconcileAction::Failed => self.busy = false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_days_typed_are_checked_before_the_proxy_is_asked() {
        let day = |d| NaiveDate::from_ymd_opt(2019, 8, d).unwrap();
        let mut view = Reconcile::new(day(1), day(31));
        assert_eq!(
            view.query(),
            Ok(ReconciliationQuery {
                from: day(1),
                to: day(31)
            })
        );
        view.apply(ReconcileAction::SetTo("2019-07-31".into()));
        assert_eq!(
            view.query(),
            Err("The first day is after the last: swap them.")
        );
        view.apply(ReconcileAction::SetFrom(String::new()));
        assert!(view.query().is_err());
        view.apply(ReconcileAction::Asking);
        assert!(view.busy);
        let key = JournalKey::from_posting_ids(["GL-1"]);
        view.apply(ReconcileAction::Reposted(key.clone(), 14));
        assert_eq!((view.busy, view.reposted_as(&key)), (false, Some(14)));
        assert!(Reconcile::can_repost(Change::Voided) && !Reconcile::can_repost(Change::Edited));
    }
}
