//! The component's state and every change to it, as one reducer.
//!
//! Everything the page shows is derived from [`State`]; every answer from the proxy or the feed and
//! every user intent is an [`Action`]. The plan is recomputed here (with `shared::plan`) whenever one
//! of its inputs changes, so the preview is always the plan of what is on screen. No I/O happens
//! here: the effects in `app.rs` call the API and dispatch the answers.

use std::rc::Rc;

use chrono::NaiveDate;
use srm_xero_shared::api::{
    ConnectionStatus, ExportDetail, ExportSearch, ExportSummary, ExportedPostings, JournalDetail,
    JournalRow, JournalState, MappingDocument, MappingHistoryEntry, Progress, ReferenceSnapshot,
    RetryRequest,
};
use srm_xero_shared::{JournalKey, Plan, PlanRequest, Posting, plan};
use yew::Reducible;

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

/// How the popup's list is ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortKey {
    /// By date, then group (the plan's order).
    #[default]
    Date,
    /// By total.
    Total,
    /// By state.
    State,
    /// By group.
    Group,
}

/// How progress reaches the popup.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LiveMode {
    /// Server-sent events.
    #[default]
    Events,
    /// Polling `/progress` (events failed).
    Polling,
}

/// A void being prepared: the reason, then a confirmation step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VoidDraft {
    /// The journal.
    pub key: JournalKey,
    /// Why.
    pub reason: String,
    /// The user pressed "Void" once and is asked to confirm.
    pub confirming: bool,
}

/// A journal that needs attention being marked posted: the ManualJournalID someone found in
/// Xero (the proxy checks it there before it takes it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolveDraft {
    /// The journal.
    pub key: JournalKey,
    /// The id as typed.
    pub manual_journal_id: String,
}

/// The Export Journals popup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Popup {
    /// The export as the proxy last described it.
    pub detail: ExportDetail,
    /// The newest progress applied (by `sequence`).
    pub progress: Option<Progress>,
    /// The journal rows are older than the progress counts: re-read the export.
    pub rows_stale: bool,
    /// Only journals in this state.
    pub filter: Option<JournalState>,
    /// The order of the list.
    pub sort: SortKey,
    /// Descending order.
    pub descending: bool,
    /// Text the rows must contain.
    pub search: String,
    /// The journal whose detail is open, and the detail once read.
    pub selected: Option<(JournalKey, Option<JournalDetail>)>,
    /// A void being prepared.
    pub void: Option<VoidDraft>,
    /// A journal that needs attention being marked posted.
    pub resolve: Option<ResolveDraft>,
    /// A retry, void or resolve is being sent.
    pub busy: bool,
    /// Events or polling.
    pub live: LiveMode,
}

impl Popup {
    fn new(detail: ExportDetail) -> Popup {
        Popup {
            detail,
            progress: None,
            rows_stale: false,
            filter: None,
            sort: SortKey::Date,
            descending: false,
            search: String::new(),
            selected: None,
            void: None,
            resolve: None,
            busy: false,
            live: LiveMode::Events,
        }
    }

    /// The export number.
    pub fn number(&self) -> u64 {
        self.detail.summary.number
    }

    /// The newest counts: from progress when some arrived, else from the detail.
    pub fn counts(&self) -> srm_xero_shared::api::Counts {
        self.progress
            .as_ref()
            .map_or(self.detail.summary.counts, |p| p.counts)
    }

    /// Why posting is paused, newest first.
    pub fn waiting(&self) -> Option<&srm_xero_shared::api::Waiting> {
        match &self.progress {
            Some(p) => p.waiting.as_ref(),
            None => self.detail.waiting.as_ref(),
        }
    }

    /// Whether the worker still has journals to post.
    pub fn running(&self) -> bool {
        let c = self.counts();
        c.pending + c.posting > 0
    }

    /// The rows after filter, search and sort.
    pub fn visible_rows(&self) -> Vec<&JournalRow> {
        let needle = self.search.trim().to_lowercase();
        let mut rows: Vec<&JournalRow> = self
            .detail
            .journals
            .iter()
            .filter(|r| self.filter.is_none_or(|f| r.state == f))
            .filter(|r| needle.is_empty() || row_text(r).contains(&needle))
            .collect();
        srm_xero_shared::sort::sort_by(&mut rows, &|a, b| {
            let order = match self.sort {
                SortKey::Date => (a.date, &a.group).cmp(&(b.date, &b.group)),
                SortKey::Total => a.total.cmp(&b.total),
                SortKey::State => state_rank(a.state).cmp(&state_rank(b.state)),
                SortKey::Group => (&a.group, a.date).cmp(&(&b.group, b.date)),
            };
            if self.descending {
                order.reverse()
            } else {
                order
            }
        });
        rows
    }

    /// The failed journals' keys.
    pub fn failed_keys(&self) -> Vec<JournalKey> {
        self.detail
            .journals
            .iter()
            .filter(|r| r.state == JournalState::Failed)
            .map(|r| r.key.clone())
            .collect()
    }
}

fn row_text(row: &JournalRow) -> String {
    format!(
        "{} {} {} {} {} {}",
        row.date,
        row.group,
        row.narration,
        row.total,
        row.key,
        row.messages.join(" ")
    )
    .to_lowercase()
}

fn state_rank(state: JournalState) -> u8 {
    match state {
        JournalState::NeedsAttention => 0,
        JournalState::Failed => 1,
        JournalState::Posting => 2,
        JournalState::Pending => 3,
        JournalState::Posted => 4,
        JournalState::Voided => 5,
    }
}

/// The lookup of past exports.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Lookup {
    /// The exports the proxy listed (`None` while loading).
    pub results: Option<Vec<ExportSummary>>,
    /// Number typed to filter.
    pub number: String,
    /// Earliest day, `YYYY-MM-DD` (empty: no limit): an export's from-date or the day it was made.
    pub from: String,
    /// Latest day, `YYYY-MM-DD` (empty: no limit).
    pub to: String,
    /// The highlighted row among the visible ones.
    pub active: usize,
}

impl Lookup {
    /// The exports that match the filters, newest first.
    pub fn visible(&self) -> Vec<&ExportSummary> {
        let number = self.number.trim();
        let day = |text: &str| srm_xero_shared::xero::dates::parse_iso_date(text.trim());
        let (from, to) = (day(&self.from), day(&self.to));
        let within = |d: NaiveDate| from.is_none_or(|f| d >= f) && to.is_none_or(|t| d <= t);
        let mut rows: Vec<&ExportSummary> = self
            .results
            .iter()
            .flatten()
            .filter(|e| number.is_empty() || e.number.to_string().starts_with(number))
            .filter(|e| within(e.from_date) || within(e.created_at.date_naive()))
            .collect();
        srm_xero_shared::sort::sort_by(&mut rows, &|a, b| b.number.cmp(&a.number));
        rows
    }

    /// What to ask the proxy beyond the latest exports it lists: an exact number, or the days
    /// typed (one end is enough).
    pub fn question(&self) -> Option<ExportSearch> {
        if let Ok(number) = self.number.trim().parse::<u64>() {
            return Some(ExportSearch {
                number: Some(number),
                ..ExportSearch::default()
            });
        }
        let day = |text: &str| srm_xero_shared::xero::dates::parse_iso_date(text.trim());
        let (from, to) = (day(&self.from), day(&self.to));
        (from.is_some() || to.is_some()).then_some(ExportSearch {
            from,
            to,
            ..ExportSearch::default()
        })
    }
}

/// The page's two screens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Screen {
    /// Preview and Accept.
    #[default]
    Post,
    /// The mapping (admins).
    Mapping,
}

/// Everything the page shows.
#[allow(clippy::struct_excessive_bools)] // independent flags, each shown on its own
#[derive(Debug, Clone, PartialEq, Default)]
pub struct State {
    /// The Xero connection, once read.
    pub connection: Option<ConnectionStatus>,
    /// Xero's reference data, once read.
    pub reference: Option<Rc<ReferenceSnapshot>>,
    /// The mapping, once read.
    pub mapping: Option<MappingDocument>,
    /// The mapping is being saved.
    pub mapping_saving: bool,
    /// Who changed the mapping when, newest first (read when the mapping screen opens).
    pub mapping_history: Option<Rc<Vec<MappingHistoryEntry>>>,
    /// The feed.
    pub feed: FeedState,
    /// Which of the feed's postings are exported (`None` until the proxy answered for this feed).
    pub exported: Option<ExportedPostings>,
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
    /// The Export Journals popup.
    pub popup: Option<Popup>,
    /// The lookup of past exports.
    pub lookup: Option<Lookup>,
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
    /// The proxy has an export to show (Accept, reopening, reload or a refresh of the rows).
    ExportOpened(ExportDetail),
    /// A progress event or poll answer.
    ProgressArrived(Progress),
    /// Events failed; poll instead.
    SetLive(LiveMode),
    /// Close the popup.
    ClosePopup,
    /// Filter the list by state.
    SetFilter(Option<JournalState>),
    /// Sort the list (the same key again flips the order).
    SetSort(SortKey),
    /// Search the list.
    SetSearch(String),
    /// Open a journal's detail.
    SelectJournal(JournalKey),
    /// A journal's detail was read.
    JournalLoaded(JournalDetail),
    /// Back from the detail to the list.
    CloseJournal,
    /// Start voiding a journal.
    StartVoid(JournalKey),
    /// The void reason as typed.
    SetVoidReason(String),
    /// Ask for confirmation.
    ConfirmVoid,
    /// Give up voiding.
    CancelVoid,
    /// Start marking a journal that needs attention posted.
    StartResolve(JournalKey),
    /// The ManualJournalID as typed.
    SetResolveId(String),
    /// Give up marking it posted.
    CancelResolve,
    /// A retry or void is being sent (`true`) or was answered (`false`).
    SetBusy(bool),
    /// Open the lookup of past exports.
    OpenLookup,
    /// The proxy listed exports.
    LookupLoaded(Vec<ExportSummary>),
    /// Filter the lookup by number.
    SetLookupNumber(String),
    /// Filter the lookup from a day on.
    SetLookupFrom(String),
    /// Filter the lookup up to a day.
    SetLookupTo(String),
    /// Move the highlighted lookup row up (negative) or down.
    LookupMove(i32),
    /// Close the lookup.
    CloseLookup,
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

    /// The message shown in an area, if any.
    pub fn notice(&self, area: Area) -> Option<&str> {
        self.notices
            .iter()
            .find(|n| n.area == area)
            .map(|n| n.text.as_str())
    }

    /// The journals Accept would send, or why Accept is disabled.
    pub fn acceptable(&self) -> Result<Vec<JournalKey>, &'static str> {
        let Some(plan) = &self.plan else {
            return Err("Preview the postings first.");
        };
        if self.accepting {
            return Err("Sending the export…");
        }
        if plan.has_blocking() && !self.post_only_valid {
            return Err(
                "Some journals have problems: fix them, or tick \"post only the valid journals\".",
            );
        }
        let keys: Vec<JournalKey> = plan.postable().map(|j| j.key.clone()).collect();
        if keys.is_empty() {
            return Err("There is no journal to post.");
        }
        Ok(keys)
    }

    /// The postings of the journals Accept would send.
    pub fn accepted_postings(&self, keys: &[JournalKey]) -> Vec<Posting> {
        let (Some(plan), FeedState::Loaded(feed)) = (&self.plan, &self.feed) else {
            return Vec::new();
        };
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

    fn popup_mut(&mut self) -> Option<&mut Popup> {
        self.popup.as_mut()
    }

    #[allow(clippy::too_many_lines)] // one short arm per action
    fn apply(&mut self, action: Action) {
        match action {
            Action::ConnectionLoaded(status) => {
                self.connection = Some(status);
                self.notices.retain(|n| n.area != Area::Connection);
            }
            Action::ReferenceLoaded(reference) => {
                self.reference = Some(Rc::new(reference));
                self.replan();
            }
            Action::MappingLoaded(mapping) => {
                self.mapping = Some(mapping);
                self.mapping_saving = false;
                self.notices.retain(|n| n.area != Area::Mapping);
                self.replan();
            }
            Action::MappingSaving => self.mapping_saving = true,
            Action::MappingHistoryLoaded(history) => self.mapping_history = Some(Rc::new(history)),
            Action::ExportedLoaded { answer, for_feed } => {
                self.last_exported_date = answer.last_exported_date;
                if !self.sync_from_touched {
                    self.sync_from = answer
                        .last_exported_date
                        .and_then(|d| d.succ_opt())
                        .or(self.sync_from);
                }
                if for_feed {
                    self.exported = Some(answer);
                    self.replan();
                }
            }
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
                self.notices.retain(|n| n.area != Area::Export);
            }
            Action::ExportOpened(detail) => self.open_export(detail),
            Action::ProgressArrived(progress) => {
                if let Some(popup) = self.popup_mut() {
                    apply_progress(popup, progress);
                }
            }
            Action::SetLive(mode) => {
                if let Some(popup) = self.popup_mut() {
                    popup.live = mode;
                }
            }
            Action::ClosePopup => self.popup = None,
            Action::SetFilter(filter) => {
                if let Some(popup) = self.popup_mut() {
                    popup.filter = filter;
                }
            }
            Action::SetSort(key) => {
                if let Some(popup) = self.popup_mut() {
                    if popup.sort == key {
                        popup.descending = !popup.descending;
                    } else {
                        popup.sort = key;
                        popup.descending = false;
                    }
                }
            }
            Action::SetSearch(text) => {
                if let Some(popup) = self.popup_mut() {
                    popup.search = text;
                }
            }
            Action::SelectJournal(key) => {
                if let Some(popup) = self.popup_mut() {
                    popup.selected = Some((key, None));
                    popup.void = None;
                    popup.resolve = None;
                }
            }
            Action::JournalLoaded(detail) => {
                if let Some(popup) = self.popup_mut()
                    && let Some((key, slot)) = &mut popup.selected
                    && *key == detail.row.key
                {
                    *slot = Some(detail);
                }
            }
            Action::CloseJournal => {
                if let Some(popup) = self.popup_mut() {
                    popup.selected = None;
                    popup.void = None;
                    popup.resolve = None;
                }
            }
            Action::StartVoid(key) => {
                if let Some(popup) = self.popup_mut() {
                    popup.resolve = None;
                    popup.void = Some(VoidDraft {
                        key,
                        reason: String::new(),
                        confirming: false,
                    });
                }
            }
            Action::StartResolve(key) => {
                if let Some(popup) = self.popup_mut() {
                    popup.void = None;
                    popup.resolve = Some(ResolveDraft {
                        key,
                        manual_journal_id: String::new(),
                    });
                }
            }
            Action::SetResolveId(id) => {
                if let Some(draft) = self.popup_mut().and_then(|p| p.resolve.as_mut()) {
                    draft.manual_journal_id = id;
                }
            }
            Action::CancelResolve => {
                if let Some(popup) = self.popup_mut() {
                    popup.resolve = None;
                }
            }
            Action::SetVoidReason(reason) => {
                if let Some(draft) = self.popup_mut().and_then(|p| p.void.as_mut()) {
                    draft.reason = reason;
                    draft.confirming = false;
                }
            }
            Action::ConfirmVoid => {
                if let Some(draft) = self.popup_mut().and_then(|p| p.void.as_mut())
                    && !draft.reason.trim().is_empty()
                {
                    draft.confirming = true;
                }
            }
            Action::CancelVoid => {
                if let Some(popup) = self.popup_mut() {
                    popup.void = None;
                }
            }
            Action::SetBusy(busy) => {
                if let Some(popup) = self.popup_mut() {
                    popup.busy = busy;
                    if !busy {
                        popup.void = None;
                        popup.resolve = None;
                        popup.rows_stale = true;
                        // The retry or void changed the export: progress from before it (kept
                        // once the export settled and its events stopped) would hide that, so the
                        // re-read rows count until new progress arrives.
                        popup.progress = None;
                    }
                }
            }
            Action::OpenLookup => {
                self.lookup = Some(Lookup {
                    number: self.export_number.trim().to_owned(),
                    ..Lookup::default()
                });
            }
            Action::LookupLoaded(results) => {
                // Answers to narrower questions (one number, one day) add to the list.
                if let Some(lookup) = &mut self.lookup {
                    let list = lookup.results.get_or_insert_with(Vec::new);
                    for summary in results {
                        match list.iter_mut().find(|e| e.number == summary.number) {
                            Some(known) => *known = summary,
                            None => list.push(summary),
                        }
                    }
                    lookup.active = lookup.active.min(lookup.visible().len().saturating_sub(1));
                }
            }
            Action::SetLookupNumber(text) => {
                if let Some(lookup) = &mut self.lookup {
                    lookup.number = text;
                    lookup.active = 0;
                }
            }
            Action::SetLookupFrom(text) => {
                if let Some(lookup) = &mut self.lookup {
                    lookup.from = text;
                    lookup.active = 0;
                }
            }
            Action::SetLookupTo(text) => {
                if let Some(lookup) = &mut self.lookup {
                    lookup.to = text;
                    lookup.active = 0;
                }
            }
            Action::LookupMove(delta) => {
                if let Some(lookup) = &mut self.lookup {
                    let count = lookup.visible().len();
                    if count > 0 {
                        let last = count - 1;
                        let step = delta.unsigned_abs() as usize;
                        lookup.active = if delta < 0 {
                            lookup.active.saturating_sub(step)
                        } else {
                            (lookup.active + step).min(last)
                        };
                    }
                }
            }
            Action::CloseLookup => self.lookup = None,
            Action::Show(screen) => self.screen = screen,
            Action::Fail(area, text) => {
                match area {
                    Area::Preview => {
                        if matches!(self.feed, FeedState::Loading { .. }) {
                            self.feed = FeedState::Idle;
                        }
                    }
                    Area::Export => {
                        self.accepting = false;
                        if let Some(popup) = self.popup_mut() {
                            popup.busy = false;
                        }
                    }
                    Area::Mapping => self.mapping_saving = false,
                    Area::Connection | Area::Lookup => {}
                }
                self.set_notice(area, text);
            }
            Action::Dismiss(area) => self.notices.retain(|n| n.area != area),
            Action::TokenExpired => self.token_expiries = self.token_expiries.saturating_add(1),
        }
    }

    fn open_export(&mut self, detail: ExportDetail) {
        self.accepting = false;
        self.lookup = None;
        self.export_number = detail.summary.number.to_string();
        match &mut self.popup {
            // A refresh of the open export keeps what the user chose and the newest progress.
            Some(popup) if popup.number() == detail.summary.number => {
                // Still behind the newest event? Then the effect reads the rows again.
                popup.rows_stale = popup.progress.as_ref().is_some_and(|p| {
                    p.counts != detail.summary.counts || p.status != detail.summary.status
                });
                popup.detail = detail;
            }
            _ => self.popup = Some(Popup::new(detail)),
        }
    }
}

fn apply_progress(popup: &mut Popup, progress: Progress) {
    if progress.number != popup.number() {
        return;
    }
    // Events can overtake each other (an SSE reconnect and a poll, say): keep only newer ones.
    if popup
        .progress
        .as_ref()
        .is_some_and(|p| progress.sequence <= p.sequence)
    {
        return;
    }
    popup.rows_stale = progress.counts != popup.detail.summary.counts
        || progress.status != popup.detail.summary.status;
    popup.progress = Some(progress);
}

impl Reducible for State {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut next = Rc::unwrap_or_clone(self);
        next.apply(action);
        Rc::new(next)
    }
}

/// Retry: re-plans the failed journals' postings with today's mapping and keeps the failed
/// journals whose postings all land in postable journals. Err says why nothing can be retried.
pub fn plan_retry(
    number: u64,
    failed: &[JournalDetail],
    settings: &srm_xero_shared::MappingSettings,
    reference: &srm_xero_shared::ReferenceData,
) -> Result<RetryRequest, String> {
    let postings: Vec<Posting> = failed.iter().flat_map(|d| d.postings.clone()).collect();
    let Some(from) = postings.iter().map(|p| p.date).min() else {
        return Err("There is no failed journal to retry.".into());
    };
    let replanned = plan(&PlanRequest {
        postings: &postings,
        settings,
        exported: &std::collections::HashMap::new(),
        from,
        export_number: Some(number),
        reference,
    });
    let postable: std::collections::HashSet<&str> = replanned
        .postable()
        .flat_map(|j| j.postings.iter().map(String::as_str))
        .collect();
    let retryable: Vec<&JournalDetail> = failed
        .iter()
        .filter(|d| d.postings.iter().all(|p| postable.contains(p.id.as_str())))
        .collect();
    if retryable.is_empty() {
        let why = replanned
            .journals
            .iter()
            .find_map(|j| j.problems.first())
            .map(|p| format!(" {p} Fix: {}", p.fix()))
            .unwrap_or_default();
        return Err(format!(
            "With today's mapping the failed journals still cannot be posted.{why}"
        ));
    }
    Ok(RetryRequest {
        postings: retryable.iter().flat_map(|d| d.postings.clone()).collect(),
        journals: retryable.iter().map(|d| d.row.key.clone()).collect(),
    })
}

#[cfg(test)]
mod tests;
