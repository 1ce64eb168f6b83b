//! The Export Journals popup's state and its own actions: progress, the list's filter, sort and
//! search, a journal's detail, the steps of a void, and marking a journal that needs attention
//! posted.
//!
//! An export can hold 10,000 journals: its rows are kept one `Rc` each, so a change copies
//! pointers, not rows; each progress event patches the rows it names (found by key), and the
//! order the list shows is computed again only when what it depends on changed. The rows are
//! read whole again only when progress and rows disagree (an event missed, a stream that could
//! not say what changed).

use std::collections::HashMap;
use std::rc::Rc;

use srm_xero_shared::api::{
    Counts, ExportDetail, ExportSummary, JournalDetail, JournalRow, JournalState, Progress, Waiting,
};
use srm_xero_shared::{JournalKey, Money};

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
    /// The list was scrolled: this row is the first in sight.
    Scrolled(usize),
    /// Close the popup (the page removes it).
    Close,
}

/// An export's journals as the popup shows them.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Rows {
    /// The rows in the proxy's (planned) order.
    list: Vec<Rc<JournalRow>>,
    /// Where each journal is in `list`.
    at: Rc<HashMap<JournalKey, usize>>,
    /// Journals per state: the proxy's count when the rows were read, moved by each patch.
    counts: Counts,
    /// The rows are as of this change (`Progress::sequence`).
    sequence: u64,
}

impl Rows {
    fn new(journals: Vec<JournalRow>, counts: Counts, sequence: u64) -> Rows {
        let at = journals
            .iter()
            .enumerate()
            .map(|(i, r)| (r.key.clone(), i))
            .collect();
        Rows {
            list: journals.into_iter().map(Rc::new).collect(),
            at: Rc::new(at),
            counts,
            sequence,
        }
    }

    /// Puts each changed row in its place; answers whether a row's state moved.
    fn patch(&mut self, changes: &[JournalRow]) -> bool {
        let mut moved = false;
        for row in changes {
            let Some(&i) = self.at.get(&row.key) else {
                continue;
            };
            let before = self.list[i].state;
            if row.state != before {
                let left = self.counts.of_mut(before);
                *left = left.saturating_sub(1);
                *self.counts.of_mut(row.state) += 1;
                moved = true;
            }
            self.list[i] = Rc::new(row.clone());
        }
        moved
    }
}

/// The Export Journals popup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Popup {
    /// The export as the proxy last described it.
    pub summary: Rc<ExportSummary>,
    /// Why posting was paused when the export was read.
    read_waiting: Option<Waiting>,
    /// Its journals, patched by progress since they were read.
    rows: Rows,
    /// The rows the list shows (positions in `rows`), and their total.
    shown: Rc<(Vec<usize>, Money)>,
    /// The newest progress applied (by `sequence`).
    pub progress: Option<Progress>,
    /// The journal rows disagree with the progress counts: re-read the export.
    pub rows_stale: bool,
    /// Only journals in this state.
    pub filter: Option<JournalState>,
    /// The order of the list.
    pub sort: SortKey,
    /// Descending order.
    pub descending: bool,
    /// Text the rows must contain.
    pub search: String,
    /// The first row of the list in sight (the list shows a window around it).
    pub first_row: usize,
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
        let rows = Rows::new(detail.journals, detail.summary.counts, detail.sequence);
        let mut popup = Popup {
            summary: Rc::new(detail.summary),
            read_waiting: detail.waiting,
            rows,
            shown: Rc::default(),
            progress: None,
            rows_stale: false,
            filter: None,
            sort: SortKey::Date,
            descending: false,
            search: String::new(),
            first_row: 0,
            selected: None,
            void: None,
            resolve: None,
            busy: false,
            live: LiveMode::Events,
        };
        popup.reorder();
        popup
    }

    /// The export number.
    pub fn number(&self) -> u64 {
        self.summary.number
    }

    /// The newest counts: from progress when some arrived, else from the rows.
    pub fn counts(&self) -> Counts {
        self.progress
            .as_ref()
            .map_or(self.rows.counts, |p| p.counts)
    }

    /// Why posting is paused, newest first.
    pub fn waiting(&self) -> Option<&Waiting> {
        match &self.progress {
            Some(p) => p.waiting.as_ref(),
            None => self.read_waiting.as_ref(),
        }
    }

    /// Whether the worker still has journals to post.
    pub fn running(&self) -> bool {
        let c = self.counts();
        c.pending + c.posting > 0
    }

    /// The change the rows are as of: progress follows from there.
    pub fn rows_sequence(&self) -> u64 {
        self.rows.sequence
    }

    /// Every journal, in the proxy's order.
    pub fn rows(&self) -> impl ExactSizeIterator<Item = &JournalRow> {
        self.rows.list.iter().map(|r| &**r)
    }

    /// How many rows the list shows (after filter and search).
    pub fn visible_len(&self) -> usize {
        self.shown.0.len()
    }

    /// The total of the rows the list shows.
    pub fn visible_total(&self) -> Money {
        self.shown.1
    }

    /// The rows the list shows, positions `range` of them (after filter, search and sort).
    pub fn visible_window(&self, range: std::ops::Range<usize>) -> Vec<&JournalRow> {
        let end = range.end.min(self.shown.0.len());
        let start = range.start.min(end);
        self.shown.0[start..end]
            .iter()
            .map(|&i| &*self.rows.list[i])
            .collect()
    }

    /// The rows after filter, search and sort.
    pub fn visible_rows(&self) -> Vec<&JournalRow> {
        self.visible_window(0..self.visible_len())
    }

    /// The failed journals' keys.
    pub fn failed_keys(&self) -> Vec<JournalKey> {
        self.rows()
            .filter(|r| r.state == JournalState::Failed)
            .map(|r| r.key.clone())
            .collect()
    }

    /// The export as the popup has it now, for the results file.
    pub fn detail(&self) -> ExportDetail {
        ExportDetail {
            summary: ExportSummary::clone(&self.summary),
            journals: self.rows().cloned().collect(),
            waiting: self.waiting().cloned(),
            sequence: self.rows.sequence,
        }
    }

    /// Computes the list's order again (filter, search, sort).
    fn reorder(&mut self) {
        let needle = self.search.trim().to_lowercase();
        let list = &self.rows.list;
        let mut order: Vec<usize> = (0..list.len())
            .filter(|&i| self.filter.is_none_or(|f| list[i].state == f))
            .filter(|&i| needle.is_empty() || row_text(&list[i]).contains(&needle))
            .collect();
        order.sort_by(|&a, &b| {
            let (a, b) = (&list[a], &list[b]);
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
        let total = order.iter().map(|&i| list[i].total).sum();
        self.shown = Rc::new((order, total));
    }

    /// A newer description of this export (a refresh of the rows): what the user chose stays.
    pub(super) fn refresh(&mut self, detail: ExportDetail) {
        self.rows = Rows::new(detail.journals, detail.summary.counts, detail.sequence);
        self.summary = Rc::new(detail.summary);
        self.read_waiting = detail.waiting;
        self.reorder();
        // Still behind the newest event? Then the rows are read again.
        self.rows_stale = self.disagrees();
    }

    /// Whether the newest progress and the rows disagree (the rows missed a change).
    fn disagrees(&self) -> bool {
        self.progress
            .as_ref()
            .is_some_and(|p| p.counts != self.rows.counts)
    }

    /// Applies one of the popup's own actions ([`PopupAction::Close`] is the page's).
    pub(super) fn apply(&mut self, action: PopupAction) {
        match action {
            PopupAction::Progress(progress) => self.apply_progress(progress),
            PopupAction::SetLive(mode) => self.live = mode,
            PopupAction::SetFilter(filter) => {
                self.filter = filter;
                self.first_row = 0;
                self.reorder();
            }
            PopupAction::SetSort(key) => {
                if self.sort == key {
                    self.descending = !self.descending;
                } else {
                    self.sort = key;
                    self.descending = false;
                }
                self.first_row = 0;
                self.reorder();
            }
            PopupAction::SetSearch(text) => {
                self.search = text;
                self.first_row = 0;
                self.reorder();
            }
            PopupAction::Scrolled(row) => self.first_row = row,
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

    fn apply_progress(&mut self, mut progress: Progress) {
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
        // What changed since the rows were read (or the event before) patches them; rows read
        // after this event are newer already.
        if progress.complete && progress.sequence > self.rows.sequence {
            let changes = std::mem::take(&mut progress.changes);
            let moved = self.rows.patch(&changes);
            self.rows.sequence = progress.sequence;
            if moved && (self.filter.is_some() || self.sort == SortKey::State)
                || !changes.is_empty() && !self.search.trim().is_empty()
            {
                self.reorder();
            }
        }
        progress.changes = Vec::new();
        self.progress = Some(progress);
        self.rows_stale = self.disagrees();
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
