//! The component's state and every change to it, as one reducer.
//!
//! Everything the page shows is derived from [`State`]; every answer from the proxy or the feed and
//! every user intent is an [`Action`]. The plan is recomputed here (with `shared::plan`) whenever one
//! of its inputs changes, so the preview is always the plan of what is on screen. The popup and the
//! lookup have their own actions ([`PopupAction`], [`LookupAction`]). No I/O happens here: the
//! effects (`effects.rs`) call the API and dispatch the answers.

mod lookup;
mod popup;
mod reconcile;

use std::rc::Rc;

use chrono::NaiveDate;
use srm_xero_shared::api::{
    ConnectionStatus, ExportDetail, ExportedPostings, JournalProblems, MappingDocument,
    MappingHistoryEntry, ReferenceSnapshot,
};
use srm_xero_shared::{JournalKey, Plan, PlanRequest, Posting, plan};
use yew::Reducible;

pub use lookup::{Lookup, LookupAction};
pub use popup::{LiveMode, Popup, PopupAction, ResolveDraft, SortKey, VoidDraft};
pub use reconcile::{Reconcile, ReconcileAction};

/// Where a message belongs on the page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Area {
    /// The Xero connection panel.
    Connection,
    /// Reading the G/L feed or a file, and planning.
    Preview,
    /// Accept, the popup, retry and void.
    Export,
    /// The lookup of past exports.
    Lookup,
    /// The mapping screen.
    Mapping,
    /// The Reconcile view.
    Reconcile,
}

/// A failure shown to the user: what happened and what to do, in one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    /// Where it is shown.
    pub area: Area,
    /// The words.
    pub text: String,
}

/// Where the postings came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FeedOrigin {
    /// SRM's G/L feed, from a date.
    Srm,
    /// A CSV file the user chose or dropped.
    File(String),
}

/// Postings read, ready to plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Feed {
    /// The postings, in feed order.
    pub postings: Rc<Vec<Posting>>,
    /// The company, when the feed named it.
    pub company: Option<String>,
    /// The feed's currency, when it named one.
    pub currency: Option<String>,
    /// Where they came from.
    pub origin: FeedOrigin,
}

/// Reading the feed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum FeedState {
    /// Nothing read yet.
    #[default]
    Idle,
    /// Pages are arriving.
    Loading {
        /// Pages read so far.
        pages: usize,
        /// Postings read so far.
        postings: usize,
    },
    /// All read.
    Loaded(Feed),
}

/// The page's two screens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Screen {
    /// Preview and Accept.
    #[default]
    Post,
    /// The mapping (admins).
    Mapping,
    /// SRM against Xero.
    Reconcile,
}

/// Everything the page shows. Cloning it is cheap: what is large (the reference data, the
/// mapping, the feed, the plan, the popup's export, the lookup) is shared behind `Rc`, and an
/// action copies only the part it changes.
#[allow(clippy::struct_excessive_bools)] // independent flags, each shown on its own
#[derive(Debug, Clone, PartialEq, Default)]
pub struct State {
    /// The Xero connection, once read.
    pub connection: Option<Rc<ConnectionStatus>>,
    /// Xero's reference data, once read.
    pub reference: Option<Rc<ReferenceSnapshot>>,
    /// The mapping, once read.
    pub mapping: Option<Rc<MappingDocument>>,
    /// The mapping is being saved.
    pub mapping_saving: bool,
    /// Who changed the mapping when, newest first (read when the mapping screen opens).
    pub mapping_history: Option<Rc<Vec<MappingHistoryEntry>>>,
    /// The feed.
    pub feed: FeedState,
    /// Which of the feed's postings are exported (`None` until the proxy answered for this feed).
    pub exported: Option<Rc<ExportedPostings>>,
    /// The latest posting date ever exported.
    pub last_exported_date: Option<NaiveDate>,
    /// The "Sync from" date.
    pub sync_from: Option<NaiveDate>,
    /// The user typed a date: defaults no longer replace it.
    pub sync_from_touched: bool,
    /// The "Export Transaction #" field as typed.
    pub export_number: String,
    /// The plan of the feed with the mapping and reference data.
    pub plan: Option<Rc<Plan>>,
    /// Post only the valid journals, leaving those with problems out.
    pub post_only_valid: bool,
    /// Accept was pressed and the proxy has not answered yet.
    pub accepting: bool,
    /// Accept is sending the postings: (sent, of).
    pub accept_sent: Option<(usize, usize)>,
    /// The Export Journals popup.
    pub popup: Option<Rc<Popup>>,
    /// The lookup of past exports.
    pub lookup: Option<Rc<Lookup>>,
    /// Days before today with postings that no export holds (from the already-exported lookup
    /// of the feed's recent postings); `None` until looked at.
    pub unsynced: Option<Rc<Vec<NaiveDate>>>,
    /// The Reconcile view, once opened.
    pub reconcile: Option<Rc<Reconcile>>,
    /// Which screen.
    pub screen: Screen,
    /// Failures shown to the user, one per area.
    pub notices: Vec<Notice>,
    /// How many times the proxy refused the caller token (each asks the host page for a new one).
    pub token_expiries: u32,
}

/// Everything that changes the state.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// `GET /api/connection` answered.
    ConnectionLoaded(ConnectionStatus),
    /// `GET /api/reference` answered.
    ReferenceLoaded(ReferenceSnapshot),
    /// `GET /api/mapping` (or a save) answered.
    MappingLoaded(MappingDocument),
    /// A mapping save was sent.
    MappingSaving,
    /// `GET /api/mapping/history` answered.
    MappingHistoryLoaded(Vec<MappingHistoryEntry>),
    /// `POST /api/exported` answered; `for_feed` when it was asked about the loaded feed.
    ExportedLoaded {
        /// The answer.
        answer: ExportedPostings,
        /// Asked about the loaded feed's postings (not just for the default date).
        for_feed: bool,
    },
    /// The user typed a "Sync from" date.
    SetSyncFrom(Option<NaiveDate>),
    /// The user typed in the Export Transaction # field.
    SetExportNumber(String),
    /// Reading the feed started.
    FeedStarted,
    /// A feed page arrived.
    FeedProgress {
        /// Pages so far.
        pages: usize,
        /// Postings so far.
        postings: usize,
    },
    /// The feed (or a file) was read.
    FeedLoaded(Feed),
    /// The user ticked or unticked "post only the valid journals".
    SetPostOnlyValid(bool),
    /// Accept was pressed.
    Accepting,
    /// Accept sent a piece of the postings: (sent so far, of).
    AcceptSent(usize, usize),
    /// The proxy has an export to show (Accept, reopening, reload or a refresh of the rows).
    ExportOpened(ExportDetail),
    /// A change inside the Export Journals popup.
    Popup(PopupAction),
    /// Open the lookup of past exports.
    OpenLookup,
    /// A change inside the lookup.
    Lookup(LookupAction),
    /// The days before today with postings no export holds.
    UnsyncedFound(Vec<NaiveDate>),
    /// Open the Reconcile view on these days (the last view kept, when there is one).
    OpenReconcile(NaiveDate, NaiveDate),
    /// A change inside the Reconcile view.
    Reconcile(ReconcileAction),
    /// Switch screens.
    Show(Screen),
    /// Something failed: show the message in its area (and stop what was waiting on it).
    Fail(Area, String),
    /// The user dismissed an area's message.
    Dismiss(Area),
    /// The proxy refused the caller token (401): ask the host page for a new one.
    TokenExpired,
}

impl State {
    /// The organisation's currency (Xero's base currency, else the feed's).
    pub fn currency(&self) -> Option<&str> {
        let from_xero = self
            .reference
            .as_ref()
            .and_then(|r| r.reference.organisation.base_currency.as_deref());
        let from_feed = match &self.feed {
            FeedState::Loaded(feed) => feed.currency.as_deref(),
            _ => None,
        };
        from_xero.or(from_feed).filter(|c| !c.is_empty())
    }

    /// The unsynced days worth a banner: those on or after the mapping's cut-off date.
    pub fn unsynced_days(&self) -> Vec<NaiveDate> {
        let cutoff = self.mapping.as_ref().and_then(|m| m.settings.cutoff_date);
        self.unsynced
            .iter()
            .flat_map(|days| days.iter())
            .copied()
            .filter(|d| cutoff.is_none_or(|c| *d >= c))
            .collect()
    }

    /// The message shown in an area, if any.
    pub fn notice(&self, area: Area) -> Option<&str> {
        self.notices
            .iter()
            .find(|n| n.area == area)
            .map(|n| n.text.as_str())
    }

    /// The journals Accept would send, or why Accept is disabled.
    pub fn acceptable(&self) -> Result<Vec<JournalKey>, String> {
        let Some(plan) = &self.plan else {
            return Err("Preview the postings first.".into());
        };
        if self.accepting {
            return Err(match self.accept_sent {
                Some((sent, of)) if sent < of => format!(
                    "Sending the export: {} of {} postings…",
                    crate::format::count(sent as u64),
                    crate::format::count(of as u64)
                ),
                _ => "Sending the export…".into(),
            });
        }
        if plan.has_blocking() && !self.post_only_valid {
            return Err(
                "Some journals have problems: fix them, or tick \"post only the valid journals\"."
                    .into(),
            );
        }
        let keys: Vec<JournalKey> = plan.postable().map(|j| j.key.clone()).collect();
        if keys.is_empty() {
            return Err("There is no journal to post.".into());
        }
        Ok(keys)
    }

    /// The postings of the journals Accept would send.
    pub fn accepted_postings(&self, keys: &[JournalKey]) -> Vec<Posting> {
        let (Some(plan), FeedState::Loaded(feed)) = (&self.plan, &self.feed) else {
            return Vec::new();
        };
        let keys: std::collections::HashSet<&JournalKey> = keys.iter().collect();
        let ids: std::collections::HashSet<&str> = plan
            .journals
            .iter()
            .filter(|j| keys.contains(&j.key))
            .flat_map(|j| j.postings.iter().map(String::as_str))
            .collect();
        feed.postings
            .iter()
            .filter(|p| ids.contains(p.id.as_str()))
            .cloned()
            .collect()
    }

    /// The ids of the feed's postings (empty when no feed is read).
    pub fn feed_ids(&self) -> Vec<String> {
        match &self.feed {
            FeedState::Loaded(feed) => feed.postings.iter().map(|p| p.id.clone()).collect(),
            _ => Vec::new(),
        }
    }

    fn set_notice(&mut self, area: Area, text: String) {
        self.notices.retain(|n| n.area != area);
        self.notices.push(Notice { area, text });
    }

    fn replan(&mut self) {
        self.plan = self.compute_plan().map(Rc::new);
    }

    fn compute_plan(&self) -> Option<Plan> {
        let FeedState::Loaded(feed) = &self.feed else {
            return None;
        };
        let reference = self.reference.as_ref()?;
        let mapping = self.mapping.as_ref()?;
        let exported = self.exported.as_ref()?;
        let from = self.sync_from?;
        Some(plan(&PlanRequest {
            postings: &feed.postings,
            settings: &mapping.settings,
            exported: &exported.exported,
            from,
            export_number: None,
            reference: &reference.reference,
        }))
    }

    /// The popup, copied only if something else still shares it.
    fn popup_mut(&mut self) -> Option<&mut Popup> {
        self.popup.as_mut().map(Rc::make_mut)
    }

    fn apply(&mut self, action: Action) {
        match action {
            Action::ConnectionLoaded(status) => {
                self.connection = Some(Rc::new(status));
                self.notices.retain(|n| n.area != Area::Connection);
            }
            Action::ReferenceLoaded(reference) => {
                self.reference = Some(Rc::new(reference));
                self.replan();
            }
            Action::MappingLoaded(mapping) => {
                self.mapping = Some(Rc::new(mapping));
                self.mapping_saving = false;
                self.notices.retain(|n| n.area != Area::Mapping);
                self.replan();
            }
            Action::MappingSaving => self.mapping_saving = true,
            Action::MappingHistoryLoaded(history) => self.mapping_history = Some(Rc::new(history)),
            Action::ExportedLoaded { answer, for_feed } => self.exported_loaded(answer, for_feed),
            Action::SetSyncFrom(date) => {
                self.sync_from = date;
                self.sync_from_touched = true;
                self.replan();
            }
            Action::SetExportNumber(text) => self.export_number = text,
            Action::FeedStarted => {
                self.feed = FeedState::Loading {
                    pages: 0,
                    postings: 0,
                };
                self.exported = None;
                self.plan = None;
                self.notices.retain(|n| n.area != Area::Preview);
            }
            Action::FeedProgress { pages, postings } => {
                self.feed = FeedState::Loading { pages, postings };
            }
            Action::FeedLoaded(feed) => {
                self.feed = FeedState::Loaded(feed);
                self.exported = None;
                self.notices.retain(|n| n.area != Area::Preview);
                self.replan();
            }
            Action::SetPostOnlyValid(on) => self.post_only_valid = on,
            Action::Accepting => {
                self.accepting = true;
                self.accept_sent = None;
                self.notices.retain(|n| n.area != Area::Export);
            }
            Action::AcceptSent(sent, of) => self.accept_sent = Some((sent, of)),
            Action::ExportOpened(detail) => self.open_export(detail),
            Action::Popup(PopupAction::Close) => self.popup = None,
            Action::Popup(action) => {
                if let Some(popup) = self.popup_mut() {
                    popup.apply(action);
                }
            }
            Action::OpenLookup => {
                self.lookup = Some(Rc::new(Lookup {
                    number: self.export_number.trim().to_owned(),
                    ..Lookup::default()
                }));
            }
            Action::Lookup(LookupAction::Close) => self.lookup = None,
            Action::Lookup(action) => {
                if let Some(lookup) = &mut self.lookup {
                    Rc::make_mut(lookup).apply(action);
                }
            }
            Action::UnsyncedFound(days) => self.unsynced = Some(Rc::new(days)),
            Action::OpenReconcile(from, to) => {
                if self.reconcile.is_none() {
                    self.reconcile = Some(Rc::new(Reconcile::new(from, to)));
                }
                self.screen = Screen::Reconcile;
            }
            Action::Reconcile(action) => {
                if let Some(view) = &mut self.reconcile {
                    Rc::make_mut(view).apply(action);
                }
            }
            Action::Show(screen) => self.screen = screen,
            Action::Fail(area, text) => self.fail(area, text),
            Action::Dismiss(area) => self.notices.retain(|n| n.area != area),
            Action::TokenExpired => self.token_expiries = self.token_expiries.saturating_add(1),
        }
    }

    fn exported_loaded(&mut self, answer: ExportedPostings, for_feed: bool) {
        self.last_exported_date = answer.last_exported_date;
        if !self.sync_from_touched {
            self.sync_from = answer
                .last_exported_date
                .and_then(|d| d.succ_opt())
                .or(self.sync_from);
        }
        if for_feed {
            self.exported = Some(Rc::new(answer));
            self.replan();
        }
    }

    /// Shows a failure in its area, and stops what was waiting on it.
    fn fail(&mut self, area: Area, text: String) {
        match area {
            Area::Preview => {
                if matches!(self.feed, FeedState::Loading { .. }) {
                    self.feed = FeedState::Idle;
                }
            }
            Area::Export => {
                self.accepting = false;
                self.accept_sent = None;
                if let Some(popup) = self.popup_mut() {
                    popup.busy = false;
                }
            }
            Area::Mapping => self.mapping_saving = false,
            Area::Reconcile => {
                if let Some(view) = &mut self.reconcile {
                    Rc::make_mut(view).apply(ReconcileAction::Failed);
                }
            }
            Area::Connection | Area::Lookup => {}
        }
        self.set_notice(area, text);
    }

    fn open_export(&mut self, detail: ExportDetail) {
        self.accepting = false;
        self.accept_sent = None;
        self.lookup = None;
        self.export_number = detail.summary.number.to_string();
        match self.popup_mut() {
            // A refresh of the open export keeps what the user chose and the newest progress.
            Some(popup) if popup.number() == detail.summary.number => popup.refresh(detail),
            _ => self.popup = Some(Rc::new(Popup::new(detail))),
        }
    }
}

impl Reducible for State {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        // A shallow copy when the page still holds the old state: its large parts are shared.
        let mut next = Rc::unwrap_or_clone(self);
        next.apply(action);
        Rc::new(next)
    }
}

/// Retry sends every failed journal; the proxy plans them again with today's mapping and
/// refuses them all (422, per journal) when some still cannot be posted. Those are left failed
/// and the others retried on their own: answers them (`None` when none is left) and the words
/// for the ones left failed.
pub fn retry_rest(
    asked: &[JournalKey],
    refused: &[JournalProblems],
) -> (Option<Vec<JournalKey>>, String) {
    let rest: Vec<JournalKey> = asked
        .iter()
        .filter(|k| !refused.iter().any(|r| &r.key == *k))
        .cloned()
        .collect();
    let why = refused
        .iter()
        .find_map(|j| j.problems.first())
        .map(|p| format!(" {p} Fix: {}", p.fix()))
        .unwrap_or_default();
    let words = if rest.is_empty() {
        format!("With today's mapping the failed journals still cannot be posted.{why}")
    } else {
        format!(
            "With today's mapping {} of the failed journals still cannot be posted and stay failed; the others are retried.{why}",
            refused.len()
        )
    };
    ((!rest.is_empty()).then_some(rest), words)
}

#[cfg(test)]
mod tests;
