//! The page's side effects, each a named operation: it calls the proxy, the feed or the browser,
//! and dispatches what came back as an [`Action`]. Nothing here decides what the page shows: the
//! reducer (`state.rs`) does, and `intent.rs` and the page's hooks decide when to call what.

mod accept;
mod live;

use std::rc::Rc;

use chrono::NaiveDate;
use futures::FutureExt;
use srm_xero_shared::JournalKey;
use srm_xero_shared::api::{
    ChooseOrganisation, ConnectionState, ConnectionStatus, EXPORTED_LOOKUP_IDS, ExportDetail,
    ExportSearch, ExportedLookup, ExportedPostings, JournalDetail, MappingChange, Reconciliation,
    ReconciliationQuery, ResolveRequest, RetryRequest, VoidRequest,
};
use srm_xero_shared::feed::parse_csv;
use yew::UseReducerDispatcher;

pub use accept::pieces;
pub use live::{Outcome, Reconnect, Step, Watch};

use crate::api::{Backend, Failure, FailureKind, Fut, file_invalid, file_unreadable, within_limit};
use crate::browser;
use crate::format;
use crate::state::{
    Action, Area, Feed, FeedOrigin, LiveMode, LookupAction, PopupAction, ReconcileAction, State,
};

/// How far back the unsynced-days banner looks.
const UNSYNCED_DAYS: u64 = 31;

/// Which of `posting_ids` are exported, asked in pieces of [`EXPORTED_LOOKUP_IDS`] ids (none:
/// just the last exported date).
fn exported_in_pieces(backend: Rc<dyn Backend>, posting_ids: Vec<String>) -> Fut<ExportedPostings> {
    Box::pin(async move {
        if posting_ids.is_empty() {
            let none = ExportedLookup {
                posting_ids: Vec::new(),
            };
            return backend.exported(none).await;
        }
        let mut all = ExportedPostings::default();
        for piece in posting_ids.chunks(EXPORTED_LOOKUP_IDS) {
            let lookup = ExportedLookup {
                posting_ids: piece.to_vec(),
            };
            let answer = backend.exported(lookup).await?;
            all.exported.extend(answer.exported);
            all.last_exported_date = answer.last_exported_date;
        }
        Ok(all)
    })
}

/// The named operations, bound to one backend and the page's reducer.
#[derive(Clone)]
pub struct Effects {
    backend: Rc<dyn Backend>,
    dispatch: UseReducerDispatcher<State>,
}

/// Equal while the backend is the same one (a new caller token makes a new backend).
impl PartialEq for Effects {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.backend, &other.backend) && self.dispatch == other.dispatch
    }
}

impl Effects {
    /// Operations on `backend` whose answers go to `dispatch`.
    pub fn new(backend: Rc<dyn Backend>, dispatch: UseReducerDispatcher<State>) -> Effects {
        Effects { backend, dispatch }
    }

    /// Dispatches an action to the page's reducer.
    pub fn dispatch(&self, action: Action) {
        self.dispatch.dispatch(action);
    }

    /// Shows a failure in its area; an expired caller token also asks the host page for a new one.
    pub fn fail(&self, area: Area, failure: Failure) {
        if failure.kind == FailureKind::TokenExpired {
            self.dispatch(Action::TokenExpired);
        }
        self.dispatch(Action::Fail(area, failure.message));
    }

    /// Runs `call`; its answer goes to `then`, its failure to `area`. A `map`, not an async
    /// block, so each call site adds its `then` and little else to the bundle.
    fn spawn<T: 'static>(
        &self,
        call: Fut<T>,
        area: Area,
        then: impl FnOnce(T, &Effects) + 'static,
    ) {
        let effects = self.clone();
        wasm_bindgen_futures::spawn_local(call.map(move |answer| match answer {
            Ok(value) => then(value, &effects),
            Err(failure) => effects.fail(area, failure),
        }));
    }

    /// What the page needs at start (and again with a new token), and the export still running
    /// when the page was reloaded.
    pub fn load_page(&self) {
        self.read_connection();
        self.spawn(self.backend.mapping(), Area::Mapping, |m, e| {
            e.dispatch(Action::MappingLoaded(m));
        });
        self.read_exported(Vec::new(), false, true);
        self.spawn(
            self.backend.exports(ExportSearch::default()),
            Area::Export,
            |list, e| {
                let running = list
                    .iter()
                    .filter(|s| s.counts.pending + s.counts.posting > 0)
                    .map(|s| s.number)
                    .max();
                if let Some(number) = running {
                    e.open_export(number);
                }
            },
        );
    }

    /// Reads the connection, then (when connected) Xero's reference data.
    pub fn read_connection(&self) {
        self.spawn(self.backend.connection(), Area::Connection, |c, e| {
            e.connection_read(c);
        });
    }

    /// Shows the connection, and reads Xero's reference data when it is connected.
    fn connection_read(&self, status: ConnectionStatus) {
        let connected = status.state == ConnectionState::Connected;
        self.dispatch(Action::ConnectionLoaded(status));
        if connected {
            self.spawn(self.backend.reference(), Area::Connection, |r, e| {
                e.dispatch(Action::ReferenceLoaded(r));
            });
        }
    }

    /// Asks which of these postings are exported (none: just the last exported date), in
    /// pieces of [`EXPORTED_LOOKUP_IDS`] ids; with `scan`, then looks for unsynced days since.
    fn read_exported(&self, posting_ids: Vec<String>, for_feed: bool, scan: bool) {
        let read = exported_in_pieces(Rc::clone(&self.backend), posting_ids);
        self.spawn(read, Area::Preview, move |answer, e| {
            let last = answer.last_exported_date;
            e.dispatch(Action::ExportedLoaded { answer, for_feed });
            if scan {
                e.scan_unsynced(last);
            }
        });
    }

    /// Finds the days before today with postings that no export holds: the feed of the last
    /// month after the last exported date. Nothing there is in an export (the date is the latest
    /// posting date any export holds), so the proxy is not asked again. Quiet when it fails: the
    /// banner is a hint.
    pub fn scan_unsynced(&self, last_exported: Option<NaiveDate>) {
        let Some(today) = format::today() else {
            return;
        };
        let month_back = today - chrono::Days::new(UNSYNCED_DAYS);
        let from = last_exported
            .and_then(|d| d.succ_opt())
            .map_or(month_back, |d| d.max(month_back));
        let (backend, dispatch) = (Rc::clone(&self.backend), self.dispatch.clone());
        wasm_bindgen_futures::spawn_local(async move {
            let limit = Box::new(|_, read| within_limit(read, "SRM's G/L feed", ""));
            let Ok(read) = backend.feed(from, limit).await else {
                return;
            };
            let mut days: Vec<NaiveDate> = read
                .postings
                .iter()
                .map(|p| p.date)
                .filter(|&d| d >= from && d < today)
                .collect();
            days.sort_unstable();
            days.dedup();
            dispatch.dispatch(Action::UnsyncedFound(days));
        });
    }

    /// A feed or file was read: show it, and ask the proxy which of its postings are exported.
    fn feed_read(&self, feed: Feed) {
        let ids = feed.postings.iter().map(|p| p.id.clone()).collect();
        self.dispatch(Action::FeedLoaded(feed));
        self.read_exported(ids, true, false);
    }

    /// Reads SRM's G/L feed from a date, page after page.
    pub fn read_feed(&self, from: NaiveDate) {
        self.dispatch(Action::FeedStarted);
        let progress = self.dispatch.clone();
        let on_page = Box::new(move |pages, postings| {
            progress.dispatch(Action::FeedProgress { pages, postings });
            // Stopped as soon as it is too big: nothing of it is planned or sent.
            within_limit(
                postings,
                "SRM's G/L feed from this Sync from date",
                "Choose a later Sync from date (a shorter range), export it, then export the rest.",
            )
        });
        self.spawn(
            self.backend.feed(from, on_page),
            Area::Preview,
            |read, e| {
                e.feed_read(Feed {
                    postings: Rc::new(read.postings),
                    company: read.company,
                    currency: read.currency,
                    origin: FeedOrigin::Srm,
                });
            },
        );
    }

    /// Reads a dropped CSV file (SRM's G/L detail report).
    pub fn read_file(&self, file: web_sys::File) {
        self.dispatch(Action::FeedStarted);
        let name = file.name();
        let read: Fut<_> = Box::pin(async move {
            let name = file.name();
            let text = browser::file_text(&file)
                .await
                .map_err(|()| file_unreadable(&name))?;
            let postings = parse_csv(&text).map_err(|e| file_invalid(&name, &e))?;
            within_limit(
                postings.len(),
                &format!("The file {name}"),
                "Save SRM's G/L detail report for shorter date ranges and drop each part in turn.",
            )?;
            Ok(postings)
        });
        self.spawn(read, Area::Preview, move |postings, e| {
            e.feed_read(Feed {
                postings: Rc::new(postings),
                company: None,
                currency: None,
                origin: FeedOrigin::File(name),
            });
        });
    }

    /// Opens (or refreshes) export #N in the popup.
    pub fn open_export(&self, number: u64) {
        self.spawn(self.backend.export(number), Area::Export, |detail, e| {
            e.dispatch(Action::ExportOpened(detail));
        });
    }

    /// Lists past exports for the lookup.
    pub fn list_exports(&self, search: ExportSearch) {
        self.spawn(self.backend.exports(search), Area::Lookup, |list, e| {
            e.dispatch(Action::Lookup(LookupAction::Loaded(list)));
        });
    }

    /// Saves the mapping with the version it was edited from.
    pub fn save_mapping(&self, change: MappingChange) {
        self.dispatch(Action::MappingSaving);
        let save = self.backend.save_mapping(change);
        let effects = self.clone();
        wasm_bindgen_futures::spawn_local(async move {
            match save.await {
                Ok(saved) => effects.dispatch(Action::MappingLoaded(saved)),
                Err(f) => effects.fail(Area::Mapping, mapping_save_failed(f)),
            }
        });
    }

    /// Reads who changed the mapping when.
    pub fn read_mapping_history(&self) {
        self.spawn(self.backend.mapping_history(), Area::Mapping, |h, e| {
            e.dispatch(Action::MappingHistoryLoaded(h));
        });
    }

    /// Reads Xero's chart of accounts again.
    pub fn refresh_reference(&self) {
        self.spawn(self.backend.refresh_reference(), Area::Mapping, |r, e| {
            e.dispatch(Action::ReferenceLoaded(r));
        });
    }

    /// Connect: a pop-up opened now, inside the click (so pop-up blockers allow it), pointed at
    /// Xero's consent page once the proxy says where that is.
    pub fn connect(&self) {
        let Some(window) = browser::open_popup() else {
            self.dispatch(Action::Fail(
                Area::Connection,
                "The browser blocked the Xero sign-in window: allow pop-ups for this page and press Connect again.".into(),
            ));
            return;
        };
        let start = self.backend.connect_start();
        let effects = self.clone();
        wasm_bindgen_futures::spawn_local(async move {
            match start.await {
                Ok(start) => browser::navigate(&window, &start.authorize_url),
                Err(f) => {
                    let _ = window.close();
                    effects.fail(Area::Connection, f);
                }
            }
        });
    }

    /// Reads the connection again whenever the OAuth callback page says it changed. Listening
    /// stops when the returned listener is dropped.
    pub fn listen_for_connection(&self) -> Option<gloo_events::EventListener> {
        let effects = self.clone();
        browser::on_connection_message(self.backend.proxy_origin(), move |message| {
            if !message.ok {
                effects.dispatch(Action::Fail(Area::Connection, message.message));
            }
            effects.read_connection();
        })
    }

    /// Chooses the organisation journals go to.
    pub fn choose_organisation(&self, tenant_id: String) {
        let choice = ChooseOrganisation { tenant_id };
        self.spawn(
            self.backend.choose_organisation(choice),
            Area::Connection,
            |status, e| e.connection_read(status),
        );
    }

    /// Disconnects Xero, once the user confirms.
    pub fn disconnect(&self) {
        let sure = gloo_dialogs::confirm(
            "Disconnect Xero? Nothing can be posted until an admin connects again.",
        );
        if sure {
            self.spawn(self.backend.disconnect(), Area::Connection, |(), e| {
                e.read_connection();
            });
        }
    }

    /// Saves the export's journals as a CSV file.
    pub fn download_results(&self, detail: &ExportDetail) {
        let csv = format::results_csv(detail);
        let name = format!("srm-xero-export-{}.csv", detail.summary.number);
        self.download(&name, &csv, Area::Export);
    }

    /// Saves `csv` as the file `name`; a refusal is shown in `area`.
    fn download(&self, name: &str, csv: &str, area: Area) {
        if browser::download(name, csv).is_err() {
            self.dispatch(Action::Fail(
                area,
                "The browser refused the download: allow downloads for this page and try again."
                    .into(),
            ));
        }
    }

    /// Retry: the proxy plans the failed journals again with today's mapping from the postings
    /// it stored; those that still cannot be posted stay failed and the others go again.
    pub fn retry(&self, number: u64, keys: Vec<JournalKey>) {
        if keys.is_empty() {
            return self.dispatch(Action::Fail(
                Area::Export,
                "There is no failed journal to retry.".into(),
            ));
        }
        self.dispatch(Action::Popup(PopupAction::SetBusy(true)));
        let effects = self.clone();
        wasm_bindgen_futures::spawn_local(async move {
            let request = RetryRequest {
                journals: keys.clone(),
            };
            let mut left_failed = None;
            let mut answer = effects.backend.retry(number, request).await;
            if let Err(refused) = &answer
                && refused.kind == FailureKind::Refused
                && !refused.journals.is_empty()
            {
                let (rest, words) = crate::state::retry_rest(&keys, &refused.journals);
                left_failed = Some(words);
                if let Some(journals) = rest {
                    answer = effects
                        .backend
                        .retry(number, RetryRequest { journals })
                        .await;
                }
            }
            match (answer, left_failed) {
                (Ok(detail), left_failed) => {
                    effects.dispatch(Action::Popup(PopupAction::SetBusy(false)));
                    effects.dispatch(Action::ExportOpened(detail));
                    if let Some(words) = left_failed {
                        effects.dispatch(Action::Fail(Area::Export, words));
                    }
                }
                (Err(_), Some(words)) => effects.dispatch(Action::Fail(Area::Export, words)),
                (Err(f), None) => effects.fail(Area::Export, f),
            }
        });
    }

    /// Voids a journal with a reason, then shows it as the proxy now has it.
    pub fn void(&self, number: u64, key: JournalKey, reason: String) {
        self.dispatch(Action::Popup(PopupAction::SetBusy(true)));
        let call = self
            .backend
            .void(number, key.clone(), VoidRequest { reason });
        self.show_changed_journal(call, key);
    }

    /// Marks a journal that needs attention posted with the ManualJournalID found in Xero (the
    /// proxy checks it there), then shows it as the proxy now has it.
    pub fn resolve(&self, number: u64, key: JournalKey, manual_journal_id: String) {
        self.dispatch(Action::Popup(PopupAction::SetBusy(true)));
        let call = self
            .backend
            .resolve(number, key.clone(), ResolveRequest { manual_journal_id });
        self.show_changed_journal(call, key);
    }

    /// Waits for a change to one journal (void, resolve) and opens the journal as answered.
    fn show_changed_journal(&self, call: Fut<JournalDetail>, key: JournalKey) {
        self.spawn(call, Area::Export, move |detail, e| {
            e.dispatch(Action::Popup(PopupAction::SetBusy(false)));
            e.dispatch(Action::Popup(PopupAction::SelectJournal(key)));
            e.dispatch(Action::Popup(PopupAction::JournalLoaded(Rc::new(detail))));
        });
    }

    /// Reads the detail of a journal the user opened.
    pub fn read_journal(&self, number: u64, key: JournalKey) {
        self.spawn(
            self.backend.journal(number, key),
            Area::Export,
            |detail, e| {
                e.dispatch(Action::Popup(PopupAction::JournalLoaded(Rc::new(detail))));
            },
        );
    }

    /// Reads the export's rows again (they are older than its progress); `done` once answered.
    pub fn refresh_rows(&self, number: u64, done: impl FnOnce() + 'static) {
        let read = self.backend.export(number);
        let effects = self.clone();
        wasm_bindgen_futures::spawn_local(async move {
            let answer = read.await;
            done();
            match answer {
                Ok(detail) => effects.dispatch(Action::ExportOpened(detail)),
                Err(f) => effects.fail(Area::Export, f),
            }
        });
    }

    /// Compares SRM with Xero for the days asked.
    pub fn reconcile(&self, query: ReconciliationQuery) {
        self.dispatch(Action::Reconcile(ReconcileAction::Asking));
        self.spawn(
            self.backend.reconciliation(query),
            Area::Reconcile,
            |report, e| e.dispatch(Action::Reconcile(ReconcileAction::Loaded(Rc::new(report)))),
        );
    }

    /// Re-posts a journal voided or deleted in Xero, then compares the same days again.
    pub fn repost(&self, number: u64, key: JournalKey, query: ReconciliationQuery) {
        self.dispatch(Action::Reconcile(ReconcileAction::Asking));
        let call = self.backend.repost(number, key.clone());
        self.spawn(call, Area::Reconcile, move |created, e| {
            e.dispatch(Action::Reconcile(ReconcileAction::Reposted(
                key,
                created.number,
            )));
            e.reconcile(query);
        });
    }

    /// Saves a reconciliation as a CSV file.
    pub fn download_reconciliation(&self, report: &Reconciliation) {
        let csv = format::reconciliation_csv(report);
        let name = format!("srm-xero-reconciliation-{}-{}.csv", report.from, report.to);
        self.download(&name, &csv, Area::Reconcile);
    }

    /// Follows export #N's progress from change `since` (events, or polling); stops when the
    /// [`Watch`] is dropped.
    pub fn watch_progress(&self, number: u64, mode: LiveMode, since: u64) -> Watch {
        live::watch(self.clone(), number, mode, since)
    }
}

/// The words for a failed mapping save: only a stale version means someone else saved meanwhile
/// (a 409 can also mean Xero is not connected; that failure says so itself).
pub fn mapping_save_failed(mut failure: Failure) -> Failure {
    if failure.kind == FailureKind::Conflict {
        failure.message.push_str(" Someone else saved the mapping meanwhile: reload the page to see their version, then make your change again.");
    }
    failure
}
