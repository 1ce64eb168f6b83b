//! The Export Journals popup's state and its own actions: progress, the list's filter, sort and
//! search, a journal's detail, the steps of a void, and marking a journal that needs attention
//! posted.

use std::rc::Rc;

use srm_xero_shared::JournalKey;
use srm_xero_shared::api::{
    Counts, ExportDetail, JournalDetail, JournalRow, JournalState, Progress, Waiting,
};

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

/// Everything that changes the popup alone.
#[derive(Debug, Clone, PartialEq)]
pub enum PopupAction {
    /// A progress event or poll answer.
    Progress(Progress),
    /// Events failed; poll instead.
    SetLive(LiveMode),
    /// Filter the list by state.
    SetFilter(Option<JournalState>),
    /// Sort the list (the same key again flips the order).
    SetSort(SortKey),
    /// Search the list.
    SetSearch(String),
    /// Open a journal's detail.
    SelectJournal(JournalKey),
    /// A journal's detail was read.
    JournalLoaded(Rc<JournalDetail>),
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
    /// A retry, void or resolve is being sent (`true`) or was answered (`false`).
    SetBusy(bool),
    /// Close the popup (the page removes it).
    Close,
}

/// The Export Journals popup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Popup {
    /// The export as the proxy last described it (shared: actions never copy its rows).
    pub detail: Rc<ExportDetail>,
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
    pub selected: Option<(JournalKey, Option<Rc<JournalDetail>>)>,
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
    pub(super) fn new(detail: ExportDetail) -> Popup {
        Popup {
            detail: Rc::new(detail),
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
    pub fn counts(&self) -> Counts {
        self.progress
            .as_ref()
            .map_or(self.detail.summary.counts, |p| p.counts)
    }

    /// Why posting is paused, newest first.
    pub fn waiting(&self) -> Option<&Waiting> {
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
        rows.sort_by(|a, b| {
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

    /// A newer description of this export (a refresh of the rows): what the user chose stays.
    pub(super) fn refresh(&mut self, detail: ExportDetail) {
        // Still behind the newest event? Then the rows are read again.
        self.rows_stale = self.progress.as_ref().is_some_and(|p| {
            p.counts != detail.summary.counts || p.status != detail.summary.status
        });
        self.detail = Rc::new(detail);
    }

    /// Applies one of the popup's own actions ([`PopupAction::Close`] is the page's).
    pub(super) fn apply(&mut self, action: PopupAction) {
        match action {
            PopupAction::Progress(progress) => self.apply_progress(progress),
            PopupAction::SetLive(mode) => self.live = mode,
            PopupAction::SetFilter(filter) => self.filter = filter,
            PopupAction::SetSort(key) => {
                if self.sort == key {
                    self.descending = !self.descending;
                } else {
                    self.sort = key;
                    self.descending = false;
                }
            }
            PopupAction::SetSearch(text) => self.search = text,
            PopupAction::SelectJournal(key) => {
                self.selected = Some((key, None));
                self.void = None;
                self.resolve = None;
            }
            PopupAction::JournalLoaded(detail) => {
                if let Some((key, slot)) = &mut self.selected
                    && *key == detail.row.key
                {
                    *slot = Some(detail);
                }
            }
            PopupAction::CloseJournal => {
                self.selected = None;
                self.void = None;
                self.resolve = None;
            }
            PopupAction::StartVoid(key) => {
                self.resolve = None;
                self.void = Some(VoidDraft {
                    key,
                    reason: String::new(),
                    confirming: false,
                });
            }
            PopupAction::SetVoidReason(reason) => {
                if let Some(draft) = &mut self.void {
                    draft.reason = reason;
                    draft.confirming = false;
                }
            }
            PopupAction::ConfirmVoid => {
                if let Some(draft) = &mut self.void
                    && !draft.reason.trim().is_empty()
                {
                    draft.confirming = true;
                }
            }
            PopupAction::CancelVoid => self.void = None,
            PopupAction::StartResolve(key) => {
                self.void = None;
                self.resolve = Some(ResolveDraft {
                    key,
                    manual_journal_id: String::new(),
                });
            }
            PopupAction::SetResolveId(id) => {
                if let Some(draft) = &mut self.resolve {
                    draft.manual_journal_id = id;
                }
            }
            PopupAction::CancelResolve => self.resolve = None,
            PopupAction::SetBusy(busy) => {
                self.busy = busy;
                if !busy {
                    self.void = None;
                    self.resolve = None;
                    self.rows_stale = true;
                    // The retry or void changed the export: progress from before it (kept once
                    // the export settled and its events stopped) would hide that, so the re-read
                    // rows count until new progress arrives.
                    self.progress = None;
                }
            }
            PopupAction::Close => {}
        }
    }

    fn apply_progress(&mut self, progress: Progress) {
        if progress.number != self.number() {
            return;
        }
        // Events can overtake each other (an SSE reconnect and a poll, say): keep only newer ones.
        if self
            .progress
            .as_ref()
            .is_some_and(|p| progress.sequence <= p.sequence)
        {
            return;
        }
        self.rows_stale = progress.counts != self.detail.summary.counts
            || progress.status != self.detail.summary.status;
        self.progress = Some(progress);
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
