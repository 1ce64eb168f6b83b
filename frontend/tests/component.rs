//! The component in headless Chromium, driven like a user would, against a fake proxy and feed
//! made of fixtures (no network). Layers: finding elements, user actions, waiting for conditions.
#![cfg(target_arch = "wasm32")]

mod fixtures;

use std::cell::RefCell;
use std::rc::Rc;

use chrono::NaiveDate;
use srm_xero_frontend::api::{Backend, BackendRef, Failure, FeedRead, Fut, OnPage};
use srm_xero_frontend::{AppProps, EXPORT_NUMBER_LABEL, SYNC_FROM_LABEL, TITLE, mount};
use srm_xero_shared::JournalKey;
use srm_xero_shared::api::{
    ConnectionStatus, DraftAccept, DraftCreated, DraftPiece, DraftReceived, ExportCreated,
    ExportDetail, ExportSearch, ExportSummary, ExportedLookup, ExportedPostings, JournalDetail,
    MappingChange, MappingDocument, MappingHistoryEntry, NewDraft, Progress, Reconciliation,
    ReconciliationQuery, ReferenceSnapshot, ResolveRequest, StreamTicket,
};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};
use web_sys::{
    Element, Event, EventInit, HtmlElement, HtmlInputElement, HtmlSelectElement, KeyboardEvent,
    KeyboardEventInit,
};

wasm_bindgen_test_configure!(run_in_browser);

/// An admin's caller token: {"sub":"u1","name":"Dana","exp":2000000000,"scope":"xero:post xero:admin"}.
const ADMIN_TOKEN: &str = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1MSIsIm5hbWUiOiJEYW5hIiwiZXhwIjoyMDAwMDAwMDAwLCJzY29wZSI6Inhlcm86cG9zdCB4ZXJvOmFkbWluIn0.sig";

// ---------------------------------------------------------------------------------------------
// The fake proxy and feed.

#[derive(Default)]
struct Fake {
    mapping: RefCell<Option<MappingDocument>>,
    saved: RefCell<Vec<MappingChange>>,
    /// Drafts opened (Accept), each with the pieces of postings it received, in order.
    drafts: RefCell<Vec<(NewDraft, Vec<DraftPiece>)>>,
    /// The journals each Accept named.
    created: RefCell<Vec<DraftAccept>>,
    /// How many ids each `POST /api/exported` asked about.
    lookups: RefCell<Vec<usize>>,
    /// How many times an export was read whole (`GET /api/exports/{n}`).
    reads: std::cell::Cell<u32>,
    /// The feed instead of the fixture's: its postings, sent in pages of 500.
    feed: Option<Rc<Vec<srm_xero_shared::Posting>>>,
    /// A feed that says it has this many postings on its first page (and holds none).
    feed_claims: Option<usize>,
    /// The export (numbered 77) instead of the fixture's.
    big: Option<Rc<ExportDetail>>,
    /// The one progress stream of export 77 (server-sent events), instead of one event a stream.
    big_stream: RefCell<Option<String>>,
    exports: RefCell<Vec<ExportSummary>>,
    /// What the lookup asked `GET /api/exports`, beyond the latest exports.
    asked: RefCell<Vec<ExportSearch>>,
    history: RefCell<Vec<MappingHistoryEntry>>,
    /// Journals marked posted with the id found in Xero.
    resolved: RefCell<Vec<(u64, JournalKey, ResolveRequest)>>,
    /// The proxy refuses the caller token (401).
    token_refused: bool,
    /// The proxy issues stream tickets (a newer proxy); each stream brings one event, then ends.
    streams: bool,
    /// The stream tickets issued, in order.
    tickets: RefCell<Vec<String>>,
    /// The tickets progress streams were opened with, in order.
    opened: RefCell<Vec<String>>,
    /// How many times `/progress` was polled.
    polls: std::cell::Cell<u32>,
    /// The days each reconciliation asked for.
    reconciled: RefCell<Vec<ReconciliationQuery>>,
    /// Journals re-posted (export, key).
    reposted: RefCell<Vec<(u64, JournalKey)>>,
}

fn ready<T: 'static>(value: T) -> Fut<T> {
    Box::pin(async move { Ok(value) })
}

fn detail_numbered(number: u64) -> ExportDetail {
    if number == 13 {
        return fixtures::export_needing_attention();
    }
    let mut detail = fixtures::export_detail();
    detail.summary.number = number;
    detail
}

impl Backend for Fake {
    fn connection(&self) -> Fut<ConnectionStatus> {
        if self.token_refused {
            let refused = Failure::from_answer(
                401,
                r#"{"error":"unauthorized","message":"the caller token has expired"}"#,
            );
            return Box::pin(async move { Err(refused) });
        }
        ready(fixtures::connected())
    }
    fn reference(&self) -> Fut<ReferenceSnapshot> {
        ready(fixtures::reference())
    }
    fn mapping(&self) -> Fut<MappingDocument> {
        ready(
            self.mapping
                .borrow()
                .clone()
                .unwrap_or_else(fixtures::mapping),
        )
    }
    fn save_mapping(&self, change: MappingChange) -> Fut<MappingDocument> {
        let saved = MappingDocument {
            settings: change.settings.clone(),
            version: change.version + 1,
            updated_by: Some("Dana".into()),
            updated_at: None,
        };
        self.history.borrow_mut().insert(
            0,
            MappingHistoryEntry {
                version: saved.version,
                settings: saved.settings.clone(),
                changed_by: "Dana".into(),
                changed_at: chrono::DateTime::from_timestamp(1_566_400_000, 0).unwrap(),
            },
        );
        self.saved.borrow_mut().push(change);
        *self.mapping.borrow_mut() = Some(saved.clone());
        ready(saved)
    }
    fn mapping_history(&self) -> Fut<Vec<MappingHistoryEntry>> {
        ready(self.history.borrow().clone())
    }
    fn exported(&self, lookup: ExportedLookup) -> Fut<ExportedPostings> {
        self.lookups.borrow_mut().push(lookup.posting_ids.len());
        let mut answer = fixtures::exported();
        answer
            .exported
            .retain(|id, _| lookup.posting_ids.contains(id));
        ready(answer)
    }
    fn exports(&self, search: ExportSearch) -> Fut<Vec<ExportSummary>> {
        if search != ExportSearch::default() {
            self.asked.borrow_mut().push(search);
        }
        let list = self.exports.borrow().clone();
        ready(if list.is_empty() {
            fixtures::export_list()
        } else {
            list
        })
    }
    fn new_draft(&self, draft: NewDraft) -> Fut<DraftCreated> {
        let mut drafts = self.drafts.borrow_mut();
        drafts.push((draft, Vec::new()));
        ready(DraftCreated {
            draft: format!("d{}", drafts.len()),
            piece_postings: 5_000,
            max_postings: 1_000_000,
            expires_at: chrono::DateTime::from_timestamp(2_000_000_000, 0).unwrap(),
        })
    }
    fn send_piece(&self, draft: String, piece: DraftPiece) -> Fut<DraftReceived> {
        let mut drafts = self.drafts.borrow_mut();
        let n: usize = draft[1..].parse().unwrap();
        let pieces = &mut drafts[n - 1].1;
        pieces.push(piece);
        let received = pieces.iter().map(|p| p.postings.len()).sum::<usize>();
        ready(DraftReceived {
            received: u64::try_from(received).unwrap(),
        })
    }
    fn accept_draft(&self, _draft: String, accept: DraftAccept) -> Fut<ExportCreated> {
        self.created.borrow_mut().push(accept);
        ready(ExportCreated { number: 12 })
    }
    fn export(&self, number: u64) -> Fut<ExportDetail> {
        self.reads.set(self.reads.get() + 1);
        match &self.big {
            Some(big) if number == 77 => ready(ExportDetail::clone(big)),
            _ => ready(detail_numbered(number)),
        }
    }
    fn progress(&self, number: u64, _since: Option<u64>) -> Fut<Progress> {
        self.polls.set(self.polls.get() + 1);
        let detail = detail_numbered(number);
        ready(Progress {
            number,
            status: detail.summary.status,
            counts: detail.summary.counts,
            waiting: None,
            eta_seconds: Some(2),
            sequence: 1,
            changes: Vec::new(),
            complete: false,
        })
    }
    fn journal(&self, number: u64, key: JournalKey) -> Fut<JournalDetail> {
        let mut detail = fixtures::journal_detail();
        if let Some(row) = detail_numbered(number)
            .journals
            .into_iter()
            .find(|r| r.key == key)
        {
            detail.row.state = row.state;
            detail.row.messages = row.messages;
        }
        detail.row.key = key;
        ready(detail)
    }
    fn resolve(&self, number: u64, key: JournalKey, request: ResolveRequest) -> Fut<JournalDetail> {
        self.resolved
            .borrow_mut()
            .push((number, key.clone(), request));
        self.journal(number, key)
    }
    fn stream_ticket(&self) -> Fut<StreamTicket> {
        if !self.streams {
            return Box::pin(async { Err(Failure::from_answer(404, "")) });
        }
        let mut tickets = self.tickets.borrow_mut();
        let ticket = format!("t{}", tickets.len() + 1);
        tickets.push(ticket.clone());
        ready(StreamTicket {
            ticket,
            expires_at: chrono::DateTime::from_timestamp(2_000_000_000, 0).unwrap(),
        })
    }
    fn events_url(&self, number: u64, ticket: &str, _since: Option<u64>) -> Option<String> {
        if number == 77 {
            return self.big_stream.borrow_mut().take();
        }
        // The stream of ticket n: one `progress` event with n + 2 journals posted, then its end.
        let mut opened = self.opened.borrow_mut();
        opened.push(ticket.to_owned());
        let n = u32::try_from(opened.len()).unwrap();
        let mut counts = detail_numbered(number).summary.counts;
        counts.posted = n + 2;
        let progress = Progress {
            number,
            status: srm_xero_shared::api::ExportStatus::Open,
            counts,
            waiting: None,
            eta_seconds: None,
            sequence: u64::from(n) + 1,
            changes: Vec::new(),
            complete: false,
        };
        let text = format!(
            "event: progress\ndata: {}\n\n",
            serde_json::to_string(&progress).unwrap()
        );
        let options = web_sys::BlobPropertyBag::new();
        options.set_type("text/event-stream");
        let parts = js_sys::Array::of1(&JsValue::from_str(&text));
        let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options).ok()?;
        web_sys::Url::create_object_url_with_blob(&blob).ok()
    }
    fn reconciliation(&self, query: ReconciliationQuery) -> Fut<Reconciliation> {
        self.reconciled.borrow_mut().push(query);
        ready(fixtures::reconciliation())
    }
    fn repost(&self, number: u64, key: JournalKey) -> Fut<ExportCreated> {
        self.reposted.borrow_mut().push((number, key));
        ready(ExportCreated { number: 14 })
    }
    fn feed(&self, from: NaiveDate, on_page: OnPage) -> Fut<FeedRead> {
        if let Some(claimed) = self.feed_claims {
            return Box::pin(async move {
                on_page(1, claimed)?;
                panic!("the page goes on reading a feed of {claimed} postings");
            });
        }
        let Some(feed) = &self.feed else {
            let postings = fixtures::postings();
            on_page(1, postings.len()).unwrap();
            return ready(FeedRead {
                postings,
                company: Some("Acme Equipment Rentals".into()),
                currency: Some("CAD".into()),
            });
        };
        // Page after page, as SRM's feed answers them, from the day asked.
        let feed: Vec<_> = feed.iter().filter(|p| p.date >= from).cloned().collect();
        Box::pin(async move {
            let mut collector = srm_xero_shared::feed::FeedCollector::default();
            for (n, page) in feed.chunks(500).enumerate() {
                collector
                    .add_page(srm_xero_shared::feed::FeedPage {
                        company: "Acme Equipment Rentals".into(),
                        currency: "CAD".into(),
                        postings: page.to_vec(),
                        next_cursor: None,
                    })
                    .unwrap();
                on_page(n + 1, collector.len())?;
            }
            Ok(FeedRead {
                company: collector.company().map(str::to_owned),
                currency: collector.currency().map(str::to_owned),
                postings: collector.into_postings(),
            })
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Finding elements.

fn document() -> web_sys::Document {
    web_sys::window()
        .and_then(|w| w.document())
        .expect("a document")
}

fn find(host: &Element, selector: &str) -> Option<Element> {
    host.query_selector(selector).expect("a valid selector")
}

fn get(host: &Element, selector: &str) -> Element {
    find(host, selector).unwrap_or_else(|| panic!("no element matches {selector}"))
}

fn all(host: &Element, selector: &str) -> Vec<Element> {
    let list = host.query_selector_all(selector).expect("a valid selector");
    (0..list.length())
        .filter_map(|i| list.item(i))
        .filter_map(|n| n.dyn_into::<Element>().ok())
        .collect()
}

fn text(element: &Element) -> String {
    element.text_content().unwrap_or_default()
}

fn input(host: &Element, name: &str) -> HtmlInputElement {
    get(host, &format!("input[name='{name}']"))
        .dyn_into()
        .expect("an <input>")
}

fn button(host: &Element, name: &str) -> HtmlElement {
    get(host, &format!("button[name='{name}']"))
        .dyn_into()
        .expect("a <button>")
}

// ---------------------------------------------------------------------------------------------
// Waiting for conditions: render, let pending futures run, look again. No fixed delays.

async fn yield_to_browser() {
    let resolved = js_sys::Promise::resolve(&JsValue::NULL);
    let _ = wasm_bindgen_futures::JsFuture::from(resolved).await;
}

/// Waits for a condition that needs the browser's event loop (a stream, a timer): checks every
/// 20 ms, for at most 10 s.
async fn wait_while_the_browser_works(what: &str, mut condition: impl FnMut() -> bool) {
    for _ in 0..500 {
        yew::scheduler::flush().await;
        if condition() {
            return;
        }
        gloo_timers::future::TimeoutFuture::new(20).await;
    }
    panic!("gave up waiting for {what}");
}

async fn wait_for(what: &str, mut condition: impl FnMut() -> bool) {
    for _ in 0..400 {
        yew::scheduler::flush().await;
        if condition() {
            return;
        }
        yield_to_browser().await;
    }
    panic!("gave up waiting for {what}");
}

// ---------------------------------------------------------------------------------------------
// User actions.

fn dispatch(target: &Element, name: &str) {
    let init = EventInit::new();
    init.set_bubbles(true);
    let event = Event::new_with_event_init_dict(name, &init).expect("an event");
    target.dispatch_event(&event).expect("dispatched");
}

async fn type_into(field: &HtmlInputElement, value: &str) {
    field.set_value(value);
    dispatch(field, "input");
    yew::scheduler::flush().await;
}

async fn choose(select: &Element, value: &str) {
    let select: &HtmlSelectElement = select.dyn_ref().expect("a <select>");
    select.set_value(value);
    assert_eq!(select.value(), value, "the select offers {value}");
    dispatch(select, "change");
    yew::scheduler::flush().await;
}

async fn tick(checkbox: &HtmlInputElement) {
    checkbox.set_checked(true);
    dispatch(checkbox, "change");
    yew::scheduler::flush().await;
}

async fn press(target: &Element, key: &str) {
    let init = KeyboardEventInit::new();
    init.set_key(key);
    init.set_bubbles(true);
    init.set_cancelable(true);
    let event = KeyboardEvent::new_with_keyboard_event_init_dict("keydown", &init).expect("a key");
    target.dispatch_event(&event).expect("dispatched");
    yew::scheduler::flush().await;
}

async fn press_shift_tab(target: &Element) {
    let init = KeyboardEventInit::new();
    init.set_key("Tab");
    init.set_shift_key(true);
    init.set_bubbles(true);
    init.set_cancelable(true);
    let event = KeyboardEvent::new_with_keyboard_event_init_dict("keydown", &init).expect("a key");
    target.dispatch_event(&event).expect("dispatched");
    yew::scheduler::flush().await;
}

/// Focuses an element, then clicks it (as a pointer does).
async fn focus_and_click(element: &Element) {
    let _ = element
        .dyn_ref::<HtmlElement>()
        .expect("an HTML element")
        .focus();
    click(element).await;
}

async fn click(element: &Element) {
    element
        .dyn_ref::<HtmlElement>()
        .expect("an HTML element")
        .click();
    yew::scheduler::flush().await;
}

/// Mounts the page with a fake backend into a fresh host and waits until it has read everything.
async fn mounted(fake: Rc<Fake>, token: &str) -> Element {
    mounted_with_style(fake, token, "").await
}

/// [`mounted`], with the host element styled (a width, say).
async fn mounted_with_style(fake: Rc<Fake>, token: &str, style: &str) -> Element {
    let host = document().create_element("div").expect("a div");
    host.set_attribute("style", style).expect("styled");
    document()
        .body()
        .expect("a body")
        .append_child(&host)
        .expect("attached");
    let props = AppProps {
        caller_token: token.to_owned().into(),
        backend: Some(BackendRef(fake)),
        ..AppProps::default()
    };
    mount(host.clone(), props);
    wait_for("the default sync-from date", || {
        find(&host, "input[name='sync-from']")
            .and_then(|e| e.dyn_into::<HtmlInputElement>().ok())
            .is_some_and(|i| i.value() == "2019-08-19")
    })
    .await;
    host
}

async fn previewed(host: &Element) {
    click(&button(host, "preview")).await;
    wait_for("the preview's journals", || {
        find(host, "[data-testid='journal-count']").is_some()
    })
    .await;
}

async fn open_export(host: &Element, number: &str) {
    type_into(&input(host, "export-number"), number).await;
    click(&button(host, "open-export")).await;
    wait_for("the Export Journals popup", || {
        find(host, "[role='dialog'] table.export-list").is_some()
    })
    .await;
}

/// The element with focus (inside shadow roots too).
fn focused() -> Option<Element> {
    let mut active = document().active_element()?;
    while let Some(inner) = active.shadow_root().and_then(|s| s.active_element()) {
        active = inner;
    }
    Some(active)
}

fn has_focus(element: &Element) -> bool {
    focused().is_some_and(|f| f.is_same_node(Some(element)))
}

fn describe_focus() -> String {
    focused().map_or_else(
        || "nothing".into(),
        |f| f.outer_html().chars().take(160).collect(),
    )
}

const FOCUSABLE: &str = "button:not([disabled]), [href], input:not([disabled]), select:not([disabled]), [tabindex]:not([tabindex='-1'])";

// ---------------------------------------------------------------------------------------------
// Checks.

#[wasm_bindgen_test]
async fn it_shows_the_title_labels_connection_and_default_date() {
    let host = mounted(Rc::new(Fake::default()), "").await;
    assert_eq!(text(&get(&host, "h2")), TITLE);
    let all_text = text(&host);
    assert!(all_text.contains(EXPORT_NUMBER_LABEL), "{all_text}");
    assert!(all_text.contains(SYNC_FROM_LABEL), "{all_text}");
    assert!(
        all_text.contains("Posting to Acme Equipment Rentals"),
        "{all_text}"
    );
    assert_eq!(input(&host, "export-number").value(), "");
    assert!(
        find(&host, "button[name='lookup']").is_some(),
        "the search button"
    );
    assert!(
        !all_text.contains("Mapping"),
        "a non-admin sees no admin controls"
    );
}

#[wasm_bindgen_test]
async fn the_preview_shows_the_right_journals_and_problems_for_a_fixture_feed() {
    let fake = Rc::new(Fake::default());
    let host = mounted(Rc::clone(&fake), "").await;
    previewed(&host).await;

    let value = |id: &str| text(&get(&host, &format!("[data-testid='{id}']")));
    assert_eq!(value("postings-read"), "7");
    assert_eq!(value("already-exported"), "1 (in export #11)");
    assert_eq!(value("journal-count"), "3");
    assert_eq!(value("total-debits"), "CAD 2,750.50");
    assert_eq!(value("total-credits"), "CAD 2,750.50");

    let journals = all(&host, "tbody.journal");
    assert_eq!(journals.len(), 3);
    let summaries: Vec<String> = journals.iter().map(|j| text(&all(j, "tr")[0])).collect();
    // Days in the browser's locale (en-US in headless Chromium).
    assert!(
        summaries[0].starts_with("8/19/2019Division 12"),
        "{summaries:?}"
    );
    assert!(summaries[0].contains("1,250.00") && summaries[0].ends_with("Ready"));
    assert!(summaries[1].contains("Division 2") && summaries[1].ends_with("Has problems"));
    assert!(summaries[2].starts_with("8/20/2019Division 1"));
    let problems = all(&journals[1], "tr.problem");
    assert_eq!(problems.len(), 1);
    let problem = text(&problems[0]);
    assert!(
        problem.contains("Xero account 4100 Rental Revenue (old) is ARCHIVED."),
        "{problem}"
    );
    assert!(
        problem.contains("Fix: Map to an active Xero account instead"),
        "{problem}"
    );
    assert_eq!(all(&journals[0], "tr.problem").len(), 0);

    // Accept waits until the user chooses to post only the valid journals.
    let accept = button(&host, "accept");
    assert!(accept.has_attribute("disabled"));
    tick(&input(&host, "post-only-valid")).await;
    let accept = button(&host, "accept");
    assert!(!accept.has_attribute("disabled"));
    assert_eq!(text(&accept), "Accept: post 2 journals");
    click(&accept).await;
    wait_for("the popup after Accept", || {
        find(&host, "[role='dialog']").is_some()
    })
    .await;
    let created = fake.created.borrow();
    assert_eq!(created.len(), 1);
    assert_eq!(created[0].journals.len(), 2);
    let drafts = fake.drafts.borrow();
    assert_eq!(drafts.len(), 1);
    assert_eq!(
        drafts[0].0.from,
        NaiveDate::from_ymd_opt(2019, 8, 19).unwrap()
    );
    let ids: Vec<&str> = drafts[0]
        .1
        .iter()
        .flat_map(|piece| piece.postings.iter().map(|p| p.id.as_str()))
        .collect();
    assert_eq!(ids, vec!["GL-1", "GL-2", "GL-5", "GL-7"]);
}

#[wasm_bindgen_test]
async fn the_popup_lists_every_state_from_a_fixture_export() {
    let host = mounted(Rc::new(Fake::default()), "").await;
    open_export(&host, "12").await;

    let dialog = get(&host, "[role='dialog']");
    assert_eq!(dialog.get_attribute("aria-modal").as_deref(), Some("true"));
    let title_id = dialog.get_attribute("aria-labelledby").expect("labelled");
    assert!(text(&get(&host, &format!("#{title_id}"))).contains("Export Transaction #12"));

    let counts = text(&get(&host, "[data-testid='counts']"));
    assert!(
        counts.contains("2 posted · 1 failed · 1 pending · 1 voided"),
        "{counts}"
    );
    let rows = all(&host, "table.export-list tbody tr");
    assert_eq!(rows.len(), 5);
    let states: Vec<String> = rows.iter().map(|r| text(&all(r, "td")[5])).collect();
    assert!(states[0].starts_with("Created") && states[0].contains("View in Xero"));
    assert!(states[2].contains("Failed") && states[2].contains("has been archived"));
    assert!(states[2].contains("retry"), "{}", states[2]);
    assert_eq!(states[3], "Pending");
    assert!(states[4].contains("Voided by Dana") && states[4].contains("Keyed into Xero by hand"));
    assert_eq!(all(&host, "a[href^='https://go.xero.com']").len(), 2);
    assert!(text(&get(&host, "[data-testid='summary-line']")).starts_with("Showing 5 of 5"));
    assert_eq!(text(&button(&host, "retry")), "Retry 1 failed");

    choose(&get(&host, "select[name='filter']"), "failed").await;
    assert_eq!(all(&host, "table.export-list tbody tr").len(), 1);
    choose(&get(&host, "select[name='filter']"), "").await;
    type_into(&input(&host, "search"), "INV").await;
    assert_eq!(all(&host, "table.export-list tbody tr").len(), 0);
    type_into(&input(&host, "search"), "").await;

    press(&dialog, "Escape").await;
    assert!(
        find(&host, "[role='dialog']").is_none(),
        "Esc closes the popup"
    );
}

#[wasm_bindgen_test]
async fn clicking_a_journal_shows_lines_that_sum_to_its_total() {
    let host = mounted(Rc::new(Fake::default()), "").await;
    open_export(&host, "12").await;
    let first = all(&host, "table.export-list tbody tr").remove(0);
    let total = text(&all(&first, "td")[3]);
    assert_eq!(total, "1,250.00");
    click(&first).await;
    wait_for("the journal's lines", || {
        find(&host, "table.lines tr.line").is_some()
    })
    .await;

    let cents = |s: String| -> i64 {
        let digits: String = s.chars().filter(char::is_ascii_digit).collect();
        digits.parse().unwrap_or(0)
    };
    let debits: i64 = all(&host, "table.lines td.debit")
        .into_iter()
        .map(|c| cents(text(&c)))
        .sum();
    let credits: i64 = all(&host, "table.lines td.credit")
        .into_iter()
        .map(|c| cents(text(&c)))
        .sum();
    assert_eq!(debits, 125_000);
    assert_eq!(credits, 125_000);
    assert_eq!(text(&get(&host, "[data-testid='total-debit']")), total);
    assert_eq!(text(&get(&host, "[data-testid='total-credit']")), total);
    let lines = all(&host, "table.lines tr.line");
    assert_eq!(lines.len(), 2);
    assert!(
        text(&lines[0]).contains("1200 SRM A/R Clearing"),
        "{}",
        text(&lines[0])
    );
    assert!(text(&lines[0]).contains("Division: 1"));
    let detail = text(&get(&host, ".journal-detail"));
    assert!(detail.contains("GL-1") && detail.contains("INV-1") && detail.contains("A/R invoices"));
    assert!(detail.contains("Xero ManualJournalID mj-1"), "{detail}");
    assert!(detail.contains("Posted to Xero"));

    click(&button(&host, "back")).await;
    assert!(find(&host, "table.export-list").is_some());
}

#[wasm_bindgen_test]
async fn the_lookup_finds_an_export_by_number_and_opens_it_with_the_keyboard() {
    let host = mounted(Rc::new(Fake::default()), "").await;
    click(&button(&host, "lookup")).await;
    wait_for("the past exports", || {
        all(&host, "table.lookup tbody tr").len() == 4
    })
    .await;
    let number = input(&host, "lookup-number");
    type_into(&number, "10").await;
    let rows = all(&host, "table.lookup tbody tr");
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].get_attribute("data-number").as_deref(), Some("10"));
    assert_eq!(
        rows[0].get_attribute("aria-selected").as_deref(),
        Some("true")
    );
    press(&number, "Enter").await;
    wait_for("export 10's popup", || {
        find(&host, "[role='dialog'] table.export-list").is_some()
    })
    .await;
    assert!(text(&get(&host, "[role='dialog'] h3")).contains("#10"));
    assert!(find(&host, "table.lookup").is_none());
    assert_eq!(input(&host, "export-number").value(), "10");

    // Arrows move the highlight.
    press(&get(&host, "[role='dialog']"), "Escape").await;
    click(&button(&host, "lookup")).await;
    wait_for("the past exports again", || {
        all(&host, "table.lookup tbody tr").len() == 1
    })
    .await;
    type_into(&input(&host, "lookup-number"), "").await;
    press(&input(&host, "lookup-number"), "ArrowDown").await;
    let active = get(&host, "table.lookup tr[aria-selected='true']");
    assert_eq!(active.get_attribute("data-number").as_deref(), Some("11"));
}

#[wasm_bindgen_test]
async fn the_highlighted_export_stays_in_sight_in_a_long_list() {
    let fake = Rc::new(Fake::default());
    let template = fixtures::export_list().remove(0);
    *fake.exports.borrow_mut() = (1..=80)
        .rev()
        .map(|number| ExportSummary {
            number,
            ..template.clone()
        })
        .collect();
    let host = mounted(Rc::clone(&fake), "").await;
    click(&button(&host, "lookup")).await;
    wait_for("the 80 past exports", || {
        all(&host, "table.lookup tbody tr").len() == 80
    })
    .await;
    let number = input(&host, "lookup-number");
    for _ in 0..6 {
        press(&number, "PageDown").await;
    }
    let active = get(&host, "table.lookup tr[aria-selected='true']");
    assert_eq!(active.get_attribute("data-number").as_deref(), Some("20"));
    let dialog = active.closest(".dialog").unwrap().unwrap();
    let (row, frame) = (
        active.get_bounding_client_rect(),
        dialog.get_bounding_client_rect(),
    );
    // Within a pixel: "nearest" puts it at the scrolling box's edge, in sub-pixel units.
    assert!(
        row.top() >= frame.top() - 1.0 && row.bottom() <= frame.bottom() + 1.0,
        "row {}..{} outside the dialog {}..{}",
        row.top(),
        row.bottom(),
        frame.top(),
        frame.bottom()
    );
}

#[wasm_bindgen_test]
async fn the_mapping_screen_saves_and_the_preview_re_plans() {
    let fake = Rc::new(Fake::default());
    let host = mounted(Rc::clone(&fake), ADMIN_TOKEN).await;
    previewed(&host).await;
    assert_eq!(all(&host, "tr.problem").len(), 1);

    let mapping = all(&host, "button")
        .into_iter()
        .find(|b| text(b) == "Mapping")
        .expect("the admin's Mapping button");
    click(&mapping).await;
    let row = get(
        &host,
        "table.map tr[data-account='4100'][data-division='2']",
    );
    assert!(
        text(&row).contains("archived: choose another"),
        "{}",
        text(&row)
    );
    assert!(
        text(&row).contains("Use 4000 Rental Revenue"),
        "suggested by name"
    );
    assert!(
        button(&host, "save-mapping").has_attribute("disabled"),
        "nothing changed yet"
    );

    choose(&get(&row, "select"), "4000").await;
    let row = get(
        &host,
        "table.map tr[data-account='4100'][data-division='2']",
    );
    assert!(find(&row, ".inline-error").is_none());
    click(&button(&host, "save-mapping")).await;
    wait_for("the saved mapping", || {
        text(&get(&host, "section.mapping")).contains("version 4")
    })
    .await;
    {
        let saved = fake.saved.borrow();
        assert_eq!(saved.len(), 1);
        assert_eq!(saved[0].version, 3);
        assert_eq!(saved[0].settings.xero_code("4100", Some("2")).0, "4000");
    }

    click(&button(&host, "close-mapping")).await;
    wait_for("the re-planned preview", || {
        find(&host, "tbody.journal").is_some()
    })
    .await;
    assert!(
        all(&host, "tr.problem").is_empty(),
        "the archived account is mapped away"
    );
    assert_eq!(text(&button(&host, "accept")), "Accept: post 3 journals");
}

#[wasm_bindgen_test]
async fn a_reload_mid_export_reopens_its_popup() {
    let fake = Rc::new(Fake::default());
    let mut running = fixtures::export_list();
    running[3].counts.pending = 4;
    *fake.exports.borrow_mut() = running;
    let host = mounted(Rc::clone(&fake), "").await;
    wait_for("the running export's popup", || {
        find(&host, "[role='dialog'] table.export-list").is_some()
    })
    .await;
    assert!(text(&get(&host, "[role='dialog'] h3")).contains("#12"));
    assert!(text(&host).contains("Posting to Xero…"));
}

#[wasm_bindgen_test]
async fn the_element_mounts_in_a_shadow_root_and_takes_a_new_caller_token() {
    // What embed.js does: a shadow root, a <div> in it, mountElement, then attribute changes.
    let element = document().create_element("section").expect("an element");
    document()
        .body()
        .expect("a body")
        .append_child(&element)
        .expect("attached");
    let shadow = element
        .attach_shadow(&web_sys::ShadowRootInit::new(web_sys::ShadowRootMode::Open))
        .expect("a shadow root");
    let root = document().create_element("div").expect("a div");
    shadow.append_child(&root).expect("attached");
    let mut embedded = srm_xero_frontend::mount_element(
        root.clone(),
        String::new(),
        "/no-feed-here".into(),
        String::new(),
    );
    wait_for("the component inside the shadow root", || {
        find(&root, "h2").is_some()
    })
    .await;
    assert_eq!(
        element.child_element_count(),
        0,
        "nothing rendered outside the shadow root"
    );
    assert!(
        find(&root, "style").is_some(),
        "styles live inside the shadow root"
    );
    assert!(
        !text(&root).contains("Connect to Xero"),
        "no admin controls without a token"
    );

    embedded.set("caller-token", Some(ADMIN_TOKEN.into()));
    wait_for("the admin's controls after the new token", || {
        text(&root).contains("Connect to Xero") || text(&root).contains("Reconnect")
    })
    .await;
    assert!(text(&root).contains("Dana"));
    embedded.destroy();
    yew::scheduler::flush().await;
    assert!(find(&root, "h2").is_none(), "destroyed");
}

#[wasm_bindgen_test]
async fn the_lookup_keeps_focus_inside_closes_on_esc_and_gives_focus_back() {
    let host = mounted(Rc::new(Fake::default()), "").await;
    // Focus starts in the number field, Tab wraps at both ends, Esc gives it back.
    let search = get(&host, "button[name='lookup']");
    focus_and_click(&search).await;
    wait_for("the past exports", || {
        all(&host, "table.lookup tbody tr").len() == 4
    })
    .await;
    assert!(
        has_focus(&get(&host, "input[name='lookup-number']")),
        "{}",
        describe_focus()
    );
    let dialog = get(&host, "[role='dialog']");
    let inside = all(&dialog, FOCUSABLE);
    let (first, last) = (&inside[0], &inside[inside.len() - 1]);
    let _ = last.dyn_ref::<HtmlElement>().unwrap().focus();
    press(last, "Tab").await;
    assert!(
        has_focus(first),
        "Tab on the last wraps to the first: {}",
        describe_focus()
    );
    press_shift_tab(first).await;
    assert!(
        has_focus(last),
        "Shift+Tab on the first wraps to the last: {}",
        describe_focus()
    );
    press(&dialog, "Escape").await;
    assert!(
        find(&host, "[role='dialog']").is_none(),
        "Esc closes the lookup"
    );
    assert!(has_focus(&search), "back on Search…: {}", describe_focus());
}

#[wasm_bindgen_test]
async fn the_popup_gives_focus_back_from_the_void_step_the_journal_and_itself() {
    let host = mounted(Rc::new(Fake::default()), "").await;
    // Opened from the lookup: the popup gives focus back to Search… (the lookup is gone).
    let search = get(&host, "button[name='lookup']");
    focus_and_click(&search).await;
    wait_for("the past exports again", || {
        all(&host, "table.lookup tbody tr").len() == 4
    })
    .await;
    type_into(&input(&host, "lookup-number"), "12").await;
    press(&input(&host, "lookup-number"), "Enter").await;
    wait_for("export 12's popup", || {
        find(&host, "[role='dialog'] table.export-list").is_some()
    })
    .await;

    // A journal's detail: focus on Back; Esc returns to the list with focus on its row.
    let failed = get(&host, "table.export-list tr.state-failed");
    let key = failed.get_attribute("data-key").expect("a key");
    focus_and_click(&failed).await;
    wait_for("the failed journal's detail", || {
        find(&host, "button[name='void']").is_some()
    })
    .await;
    assert!(has_focus(&button(&host, "back")), "{}", describe_focus());

    // The void step: reason, confirmation, and Esc cancels it with focus back on "Void…".
    focus_and_click(&button(&host, "void")).await;
    assert!(
        has_focus(&input(&host, "void-reason")),
        "{}",
        describe_focus()
    );
    type_into(&input(&host, "void-reason"), "Keyed by hand").await;
    focus_and_click(&button(&host, "void-next")).await;
    assert!(
        has_focus(&button(&host, "void-confirm")),
        "{}",
        describe_focus()
    );
    press(&button(&host, "void-confirm"), "Escape").await;
    assert!(
        find(&host, "input[name='void-reason']").is_none(),
        "Esc cancels the void"
    );
    assert!(
        find(&host, "[role='dialog']").is_some(),
        "…and only the void"
    );
    assert!(has_focus(&button(&host, "void")), "{}", describe_focus());

    press(&button(&host, "void"), "Escape").await;
    wait_for("the list again", || {
        find(&host, "table.export-list").is_some()
    })
    .await;
    let row = get(&host, &format!("table.export-list tr[data-key='{key}']"));
    assert!(
        has_focus(&row),
        "back on the journal's row: {}",
        describe_focus()
    );

    press(&row, "Escape").await;
    assert!(
        find(&host, "[role='dialog']").is_none(),
        "Esc closes the popup"
    );
    assert!(has_focus(&search), "back on Search…: {}", describe_focus());
}

#[wasm_bindgen_test]
async fn the_popup_opened_with_open_gives_focus_back_to_it_when_closed() {
    let host = mounted(Rc::new(Fake::default()), "").await;
    // Opened with "Open": the close button gives focus back to it.
    type_into(&input(&host, "export-number"), "11").await;
    let open = get(&host, "button[name='open-export']");
    focus_and_click(&open).await;
    wait_for("export 11's popup", || {
        find(&host, "[role='dialog'] table.export-list").is_some()
    })
    .await;
    assert!(
        get(&host, "[role='dialog']").contains(focused().as_ref().map(JsCast::unchecked_ref)),
        "focus moved into the popup: {}",
        describe_focus()
    );
    click(&get(&host, "button[name='close-dialog']")).await;
    assert!(find(&host, "[role='dialog']").is_none());
    assert!(has_focus(&open), "back on Open: {}", describe_focus());
}

#[wasm_bindgen_test]
async fn the_lookup_finds_exports_by_days_and_asks_the_proxy_about_them() {
    let fake = Rc::new(Fake::default());
    let host = mounted(Rc::clone(&fake), "").await;
    click(&button(&host, "lookup")).await;
    wait_for("the past exports", || {
        all(&host, "table.lookup tbody tr").len() == 4
    })
    .await;
    let numbers = || -> Vec<String> {
        all(&host, "table.lookup tbody tr")
            .iter()
            .filter_map(|r| r.get_attribute("data-number"))
            .collect()
    };
    type_into(&input(&host, "lookup-from"), "2019-08-10").await;
    type_into(&input(&host, "lookup-to"), "2019-08-10").await;
    assert_eq!(numbers(), vec!["10", "9"], "synced from or made on 10 Aug");
    let day = NaiveDate::from_ymd_opt(2019, 8, 10);
    assert_eq!(
        fake.asked.borrow().last().map(|s| (s.from, s.to)),
        Some((day, day)),
        "the days are asked of the proxy too"
    );
    type_into(&input(&host, "lookup-to"), "2019-08-11").await;
    assert_eq!(numbers(), vec!["11", "10", "9"]);
    assert_eq!(
        fake.asked.borrow().last().map(ExportSearch::query),
        Some("?from=2019-08-10&to=2019-08-11".to_owned())
    );
    let row = get(&host, "table.lookup tr[data-number='9']");
    assert!(
        text(&row).contains("Dana") && text(&row).contains("Exported"),
        "{}",
        text(&row)
    );

    // The keyboard: down twice, Enter opens export 9.
    let to = input(&host, "lookup-to");
    press(&to, "ArrowDown").await;
    press(&to, "ArrowDown").await;
    let active = get(&host, "table.lookup tr[aria-selected='true']");
    assert_eq!(active.get_attribute("data-number").as_deref(), Some("9"));
    press(&to, "Enter").await;
    wait_for("export 9's popup", || {
        find(&host, "[role='dialog'] table.export-list").is_some()
    })
    .await;
    assert!(text(&get(&host, "[role='dialog'] h3")).contains("#9"));
}

#[wasm_bindgen_test]
async fn the_mapping_screen_shows_who_changed_it_when() {
    let fake = Rc::new(Fake::default());
    *fake.history.borrow_mut() = vec![
        MappingHistoryEntry {
            version: 3,
            settings: fixtures::mapping().settings,
            changed_by: "Dana".into(),
            changed_at: chrono::DateTime::from_timestamp(1_566_000_000, 0).unwrap(),
        },
        MappingHistoryEntry {
            version: 2,
            settings: fixtures::mapping().settings,
            changed_by: "Lee Park".into(),
            changed_at: chrono::DateTime::from_timestamp(1_565_000_000, 0).unwrap(),
        },
    ];
    let host = mounted(Rc::clone(&fake), ADMIN_TOKEN).await;
    previewed(&host).await;
    let mapping = get(&host, "button[name='mapping']");
    focus_and_click(&mapping).await;
    wait_for("the mapping's history", || {
        all(&host, ".mapping-history li").len() == 2
    })
    .await;
    assert!(
        has_focus(&get(&host, "h3.mapping-title")),
        "{}",
        describe_focus()
    );
    let items: Vec<String> = all(&host, ".mapping-history li").iter().map(text).collect();
    assert!(
        items[0].starts_with("Version 3 · ") && items[0].ends_with(" · Dana"),
        "{items:?}"
    );
    assert!(
        items[1].starts_with("Version 2 · ") && items[1].ends_with(" · Lee Park"),
        "{items:?}"
    );
    assert!(items[0].contains("2019"), "when: {items:?}");

    // A save adds the new version at the top.
    let row = get(
        &host,
        "table.map tr[data-account='4100'][data-division='2']",
    );
    choose(&get(&row, "select"), "4000").await;
    // Esc does not throw away unsaved changes.
    press(&get(&host, "section.mapping"), "Escape").await;
    assert!(
        find(&host, "section.mapping").is_some(),
        "unsaved changes keep the screen open"
    );
    click(&button(&host, "save-mapping")).await;
    wait_for("the new version in the history", || {
        all(&host, ".mapping-history li").len() == 3
    })
    .await;
    let newest = text(&all(&host, ".mapping-history li")[0]);
    assert!(
        newest.starts_with("Version 4 · ") && newest.ends_with(" · Dana"),
        "{newest}"
    );

    // Saved: Esc goes back to the preview, with focus on the Mapping button.
    press(&get(&host, "section.mapping"), "Escape").await;
    wait_for("the preview again", || {
        find(&host, "section.mapping").is_none()
    })
    .await;
    assert!(
        has_focus(&get(&host, "button[name='mapping']")),
        "{}",
        describe_focus()
    );
}

#[wasm_bindgen_test]
async fn at_tablet_width_nothing_overflows_and_touch_targets_are_40px() {
    let host = mounted_with_style(Rc::new(Fake::default()), ADMIN_TOKEN, "width: 768px").await;
    previewed(&host).await;
    let root = get(&host, ".srm-xero-post-journals");
    let fits = |what: &str, el: &Element| {
        assert!(
            el.scroll_width() <= el.client_width(),
            "{what} overflows: scrollWidth {} > clientWidth {}",
            el.scroll_width(),
            el.client_width()
        );
    };
    let tall_enough = |within: &Element| {
        let buttons: Vec<HtmlElement> = all(within, "button")
            .into_iter()
            .filter_map(|b| b.dyn_into::<HtmlElement>().ok())
            .filter(|b| b.offset_width() > 0)
            .collect();
        assert_ne!(buttons.len(), 0, "buttons to measure");
        for b in buttons {
            let height = b.offset_height();
            assert!(height >= 40, "{} is {height}px tall", b.outer_html());
        }
    };
    assert_eq!(host.client_width(), 768);
    fits("the host", &host);
    fits("the component", &root);
    tall_enough(&root);
    let wrap = get(&host, ".preview .table-wrap");
    assert!(
        wrap.scroll_width() >= wrap.client_width(),
        "the journals table sits in its scrolling container"
    );

    // The mapping screen and the popup too; the popup still covers the window.
    click(&button(&host, "mapping")).await;
    fits("the mapping screen", &root);
    tall_enough(&get(&host, "section.mapping"));
    click(&button(&host, "close-mapping")).await;
    open_export(&host, "12").await;
    let dialog = get(&host, "[role='dialog']");
    fits("the popup", &dialog);
    tall_enough(&dialog);
    let backdrop = get(&host, ".backdrop")
        .dyn_into::<HtmlElement>()
        .unwrap()
        .offset_width();
    // The backdrop is fixed to the window (the element's container query does not contain it).
    let window_width = document()
        .document_element()
        .expect("<html>")
        .client_width();
    assert_eq!(backdrop, window_width, "the backdrop covers the window");

    // At SRM's desktop width the compact layout stays.
    let wide = mounted_with_style(Rc::new(Fake::default()), "", "width: 1280px").await;
    let preview = button(&wide, "preview").offset_height();
    assert!(preview < 40, "desktop buttons stay compact ({preview}px)");
}

#[wasm_bindgen_test]
async fn an_expired_caller_token_says_so_and_asks_the_host_page_for_a_new_one() {
    use wasm_bindgen::closure::Closure;

    let targets: Rc<RefCell<Vec<web_sys::EventTarget>>> = Rc::default();
    let listener = {
        let targets = Rc::clone(&targets);
        Closure::<dyn FnMut(Event)>::new(move |e: Event| {
            targets.borrow_mut().extend(e.target());
        })
    };
    let body = document().body().expect("a body");
    body.add_event_listener_with_callback(
        srm_xero_frontend::app::TOKEN_EXPIRED_EVENT,
        listener.as_ref().unchecked_ref(),
    )
    .expect("listening");
    let fake = Fake {
        token_refused: true,
        ..Fake::default()
    };
    let host = mounted(Rc::new(fake), "").await;
    wait_for("the token-expired notice", || {
        find(&host, ".connection .notice").is_some()
    })
    .await;
    let notice = text(&get(&host, ".connection .notice"));
    assert!(notice.contains("ask SRM for a new one"), "{notice}");
    let ours = targets
        .borrow()
        .iter()
        .filter(|t| {
            t.dyn_ref::<web_sys::Node>()
                .is_some_and(|n| host.contains(Some(n)))
        })
        .count();
    assert!(ours >= 1, "the host page was asked for a new token");
    body.remove_event_listener_with_callback(
        srm_xero_frontend::app::TOKEN_EXPIRED_EVENT,
        listener.as_ref().unchecked_ref(),
    )
    .expect("removed");
}

#[wasm_bindgen_test]
async fn progress_streams_open_with_a_fresh_ticket_each_time() {
    let fake = Rc::new(Fake {
        streams: true,
        ..Fake::default()
    });
    let host = mounted(Rc::clone(&fake), "").await;
    open_export(&host, "12").await;
    let counts = || text(&get(&host, "[data-testid='counts']"));
    wait_while_the_browser_works("the first stream's event", || counts().contains("3 posted"))
        .await;
    // The stream ended: the page opens another with a new ticket, never the spent one.
    wait_while_the_browser_works("the second stream's event", || {
        counts().contains("4 posted")
    })
    .await;
    assert_eq!(&fake.opened.borrow()[..2], ["t1", "t2"]);
    assert_eq!(&fake.tickets.borrow()[..2], ["t1", "t2"]);
    assert_eq!(fake.polls.get(), 0, "streams worked: nothing polled");
    // Closing the popup stops following the export.
    press(&get(&host, "[role='dialog']"), "Escape").await;
    assert!(find(&host, "[role='dialog']").is_none());
}

#[wasm_bindgen_test]
async fn without_stream_tickets_the_popup_polls_progress() {
    // A proxy without the stream-ticket route (404): the page polls `/progress` at once.
    let fake = Rc::new(Fake::default());
    let host = mounted(Rc::clone(&fake), "").await;
    open_export(&host, "12").await;
    wait_while_the_browser_works("a poll of /progress", || fake.polls.get() > 0).await;
    assert!(
        fake.opened.borrow().is_empty(),
        "no stream without a ticket"
    );
    press(&get(&host, "[role='dialog']"), "Escape").await;
    assert!(find(&host, "[role='dialog']").is_none());
}

#[wasm_bindgen_test]
async fn a_journal_that_needs_attention_says_what_to_do_and_is_marked_posted_with_the_id_found() {
    let fake = Rc::new(Fake::default());
    let host = mounted(Rc::clone(&fake), ADMIN_TOKEN).await;
    open_export(&host, "13").await;
    let counts = text(&get(&host, "[data-testid='counts']"));
    assert!(counts.contains("1 need attention"), "{counts}");
    let block = text(&get(&host, ".progress-block"));
    assert!(
        block.contains("1 need attention — Xero never confirmed them"),
        "{block}"
    );
    let rows = all(&host, "table.export-list tbody tr");
    let row = rows[1].clone();
    assert!(
        row.class_name().contains("state-needs-attention"),
        "{}",
        row.class_name()
    );
    assert!(
        text(&row).contains("Needs attention") && text(&row).contains("mark this journal posted")
    );
    choose(&get(&host, "select[name='filter']"), "needs_attention").await;
    assert_eq!(all(&host, "table.export-list tbody tr").len(), 1);

    click(&all(&host, "table.export-list tbody tr")[0]).await;
    wait_for("the journal's detail", || {
        find(&host, "button[name='resolve']").is_some()
    })
    .await;
    let detail = text(&get(&host, ".journal-detail"));
    assert!(detail.contains(fixtures::NEEDS_ATTENTION), "{detail}");
    assert!(
        find(&host, "button[name='void']").is_some(),
        "it can be voided too"
    );
    click(&button(&host, "resolve")).await;
    let confirm = button(&host, "resolve-confirm");
    assert!(confirm.has_attribute("disabled"), "no id yet");
    type_into(
        &input(&host, "resolve-id"),
        "  6f1c2d3e-0000-4000-8000-000000000000 ",
    )
    .await;
    click(&button(&host, "resolve-confirm")).await;
    wait_for("the id sent to the proxy", || {
        !fake.resolved.borrow().is_empty()
    })
    .await;
    let sent = fake.resolved.borrow();
    let key = fixtures::export_needing_attention().journals[1].key.clone();
    assert_eq!(sent[0].0, 13);
    assert_eq!(sent[0].1, key);
    assert_eq!(
        sent[0].2.manual_journal_id,
        "6f1c2d3e-0000-4000-8000-000000000000"
    );
}

#[wasm_bindgen_test]
async fn a_100000_posting_feed_read_in_pages_previews_and_is_accepted_in_pieces() {
    use srm_xero_shared::api::{EXPORTED_LOOKUP_IDS, PIECE_POSTINGS};
    let fake = Rc::new(Fake {
        feed: Some(Rc::new(fixtures::close_of(100_000))),
        ..Fake::default()
    });
    let host = mounted(Rc::clone(&fake), "").await;
    type_into(&input(&host, "sync-from"), "2019-05-20").await;
    click(&button(&host, "preview")).await;
    wait_while_the_browser_works("the preview of 100,000 postings", || {
        find(&host, "[data-testid='journal-count']").is_some()
    })
    .await;
    let value = |id: &str| text(&get(&host, &format!("[data-testid='{id}']")));
    assert_eq!(value("postings-read"), "100000");
    assert_eq!(value("journal-count"), "184", "92 days × 2 divisions");
    // Which postings are exported: asked in pieces the proxy takes.
    let asked = fake.lookups.borrow().clone();
    assert!(asked.iter().all(|n| *n <= EXPORTED_LOOKUP_IDS), "{asked:?}");
    assert_eq!(asked.iter().sum::<usize>(), 100_000);

    let accept = button(&host, "accept");
    assert_eq!(text(&accept), "Accept: post 184 journals");
    click(&accept).await;
    wait_while_the_browser_works("the popup after Accept", || {
        find(&host, "[role='dialog']").is_some()
    })
    .await;
    let drafts = fake.drafts.borrow();
    assert_eq!(drafts.len(), 1, "one draft");
    let pieces = &drafts[0].1;
    assert_eq!(pieces.len(), 100_000 / PIECE_POSTINGS);
    assert!(pieces.iter().all(|p| p.postings.len() <= PIECE_POSTINGS));
    let ids: std::collections::HashSet<&str> = pieces
        .iter()
        .flat_map(|p| p.postings.iter().map(|p| p.id.as_str()))
        .collect();
    assert_eq!(ids.len(), 100_000, "every posting once");
    assert_eq!(fake.created.borrow()[0].journals.len(), 184);
}

#[wasm_bindgen_test]
async fn a_feed_larger_than_an_export_may_hold_is_refused_before_anything_is_sent() {
    let too_many = usize::try_from(srm_xero_shared::api::MAX_POSTINGS_PER_EXPORT).unwrap() + 500;
    let fake = Rc::new(Fake {
        feed_claims: Some(too_many),
        ..Fake::default()
    });
    let host = mounted(Rc::clone(&fake), "").await;
    type_into(&input(&host, "sync-from"), "2019-05-20").await;
    click(&button(&host, "preview")).await;
    wait_while_the_browser_works("the refusal", || {
        text(&host).contains("one export can hold")
    })
    .await;
    let said = text(&host);
    assert!(
        said.contains("more than the 1,000,000 one export can hold"),
        "{said}"
    );
    assert!(said.contains("Choose a later Sync from date"), "{said}");
    assert!(
        find(&host, "[data-testid='journal-count']").is_none(),
        "nothing planned"
    );
    assert!(fake.drafts.borrow().is_empty(), "nothing sent");
}

/// Export 77 (10,000 journals, all pending) opened in the popup, with one progress stream of
/// 100 events that post 100 journals each. Answers the milliseconds from pressing Open to its
/// rows on screen, and from then to the last event on screen.
async fn ten_thousand_journals_followed() -> (Rc<Fake>, Element, f64, f64) {
    let events = fixtures::big_events(10_000, 100, 100);
    let mut text_stream = String::new();
    for event in &events {
        text_stream.push_str("event: progress\ndata: ");
        text_stream.push_str(&serde_json::to_string(event).unwrap());
        text_stream.push_str("\n\n");
    }
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("text/event-stream");
    let parts = js_sys::Array::of1(&JsValue::from_str(&text_stream));
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options).unwrap();
    let url = web_sys::Url::create_object_url_with_blob(&blob).unwrap();
    let fake = Rc::new(Fake {
        big: Some(Rc::new(fixtures::big_export(10_000))),
        streams: true,
        big_stream: RefCell::new(Some(url)),
        ..Fake::default()
    });
    let host = mounted(Rc::clone(&fake), "").await;
    let performance = web_sys::window().unwrap().performance().unwrap();
    type_into(&input(&host, "export-number"), "77").await;
    let started = performance.now();
    click(&button(&host, "open-export")).await;
    wait_while_the_browser_works("the 10,000 journals on screen", || {
        find(&host, "[role='dialog'] table.export-list tbody tr").is_some()
    })
    .await;
    let opened = performance.now();
    wait_while_the_browser_works("the last event on screen", || {
        text(&get(&host, "[data-testid='counts']")).contains("10000 posted")
    })
    .await;
    let followed = performance.now();
    (fake, host, opened - started, followed - opened)
}

#[wasm_bindgen_test]
async fn a_10000_journal_export_follows_a_burst_of_events_without_reading_it_again() {
    let (fake, host, _, _) = ten_thousand_journals_followed().await;
    assert_eq!(
        fake.reads.get(),
        1,
        "the export was read once, then patched"
    );
    // Only the rows in sight (and a few more) are in the page; the list says how many there are.
    let rows = all(&host, "table.export-list tbody tr");
    assert!(rows.len() < 60, "{} rows in the page", rows.len());
    assert!(
        text(&get(&host, "[data-testid='summary-line']")).starts_with("Showing 10000 of 10000"),
    );
    let first = text(&all(&rows[0], "td")[5]);
    assert!(
        first.starts_with("Created"),
        "patched by the events: {first}"
    );
    // Scrolled to the middle, the rows there are in the page.
    let wrap = get(&host, ".table-wrap.windowed");
    wrap.set_scroll_top(5_000 * 40);
    dispatch(&wrap, "scroll");
    let middle = JournalKey::from_posting_ids(["B-5000"]);
    wait_while_the_browser_works("the middle of the list", || {
        find(&host, &format!("tr[data-key='{middle}']")).is_some()
    })
    .await;
    assert!(all(&host, "table.export-list tbody tr").len() < 60);
    // The keyboard still opens a journal from there.
    let row = get(&host, &format!("tr[data-key='{middle}']"));
    press(&row, "Enter").await;
    wait_for("its detail", || {
        find(&host, "button[name='back']").is_some()
    })
    .await;
}

#[wasm_bindgen_test]
#[ignore = "a benchmark: cargo xtask bench"]
async fn bench_the_popup_at_10000_journals() {
    let mut opens = Vec::new();
    let mut bursts = Vec::new();
    for _ in 0..5 {
        let (_, host, open, burst) = ten_thousand_journals_followed().await;
        opens.push(open);
        bursts.push(burst);
        host.remove();
    }
    opens.sort_by(f64::total_cmp);
    bursts.sort_by(f64::total_cmp);
    wasm_bindgen_test::console_log!(
        "bench popup_open_ms={:.1} popup_burst_ms={:.1} popup_open_best_ms={:.1} popup_burst_best_ms={:.1} journals=10000 events=100",
        opens[2],
        bursts[2],
        opens[0],
        bursts[0]
    );
}

/// The browser's today (the component's "today" too).
fn browser_today() -> NaiveDate {
    let now = js_sys::Date::new_0();
    NaiveDate::from_ymd_opt(
        i32::try_from(now.get_full_year()).unwrap(),
        now.get_month() + 1,
        now.get_date(),
    )
    .unwrap()
}

#[wasm_bindgen_test]
async fn unsynced_days_show_a_banner_that_previews_from_the_first_in_one_click() {
    let today = browser_today();
    let fake = Rc::new(Fake {
        // Postings 5 and 2 days ago that no export holds (and today's, still open, none).
        feed: Some(Rc::new(fixtures::postings_on(today, [5, 2]))),
        ..Fake::default()
    });
    let host = mounted(Rc::clone(&fake), "").await;
    wait_for("the unsynced-days banner", || {
        find(&host, "[data-testid='unsynced']").is_some()
    })
    .await;
    let banner = text(&get(&host, "[data-testid='unsynced']"));
    assert!(banner.contains("2 unsynced days"), "{banner}");
    let first = today - chrono::Days::new(5);
    // Postings after the last exported date are in no export: the page asked only for that
    // date (no ids), not about each recent posting.
    assert!(
        fake.lookups.borrow().iter().all(|&ids| ids == 0),
        "{:?}",
        fake.lookups.borrow()
    );
    click(&button(&host, "preview-unsynced")).await;
    wait_for("the preview from the first unsynced day", || {
        find(&host, "[data-testid='journal-count']").is_some()
    })
    .await;
    assert_eq!(input(&host, "sync-from").value(), first.to_string());
    assert_eq!(
        text(&get(&host, "[data-testid='postings-read']")),
        "7",
        "every posting since the first unsynced day"
    );
    // The preview asks about its own postings, as always.
    assert!(
        fake.lookups.borrow().contains(&7),
        "{:?}",
        fake.lookups.borrow()
    );
}

#[wasm_bindgen_test]
async fn without_unsynced_days_there_is_no_banner() {
    // The fixture feed is of 2019 (long before the month the banner looks at).
    let fake = Rc::new(Fake::default());
    let host = mounted(Rc::clone(&fake), "").await;
    previewed(&host).await;
    assert!(find(&host, "[data-testid='unsynced']").is_none());
}

#[wasm_bindgen_test]
async fn the_reconcile_view_shows_the_difference_first_with_its_journal_and_re_posts_it() {
    let fake = Rc::new(Fake::default());
    let host = mounted(Rc::clone(&fake), "").await;
    click(&button(&host, "open-reconcile")).await;
    wait_for("the Reconcile view", || {
        find(&host, "input[name='reconcile-from']").is_some()
    })
    .await;
    type_into(&input(&host, "reconcile-from"), "2019-08-01").await;
    type_into(&input(&host, "reconcile-to"), "2019-08-31").await;
    click(&button(&host, "reconcile")).await;
    wait_for("the report", || {
        find(&host, "[data-testid='reconcile-summary']").is_some()
    })
    .await;
    let day = |d| NaiveDate::from_ymd_opt(2019, 8, d).unwrap();
    assert_eq!(
        fake.reconciled.borrow().as_slice(),
        [ReconciliationQuery {
            from: day(1),
            to: day(31)
        }]
    );
    let summary = text(&get(&host, "[data-testid='reconcile-summary']"));
    assert!(
        summary.contains("1 difference") && summary.contains("1 of 2 totals agree"),
        "{summary}"
    );
    // The difference comes first, highlighted, with its journal and a link into Xero.
    let differences = all(&host, "[data-testid='difference']");
    assert_eq!(differences.len(), 1);
    let difference = &differences[0];
    let said = text(difference);
    assert!(
        said.contains("export #12") && said.contains("voided in Xero"),
        "{said}"
    );
    assert!(said.contains("1,000.50"), "{said}");
    let link = get(difference, "a");
    assert!(
        link.get_attribute("href")
            .unwrap()
            .starts_with("https://go.xero.com/"),
        "a link into Xero"
    );
    // The full table, agreeing totals in quiet text, the differing one marked.
    assert_eq!(all(&host, "table.reconciliation tr.muted").len(), 1);
    assert_eq!(
        all(&host, "table.reconciliation tr.off").len(),
        2,
        "in the difference and the table"
    );
    // The CSV downloads without a complaint.
    click(&button(&host, "reconcile-csv")).await;
    assert!(!text(&host).contains("refused the download"));
    // Re-post (confirmed), then the same days are compared again.
    let yes = wasm_bindgen::closure::Closure::<dyn Fn() -> bool>::new(|| true);
    js_sys::Reflect::set(
        &web_sys::window().unwrap(),
        &JsValue::from_str("confirm"),
        yes.as_ref(),
    )
    .unwrap();
    yes.forget();
    click(&get(difference, "button[name='repost']")).await;
    wait_for("the new export named", || {
        text(&host).contains("re-posted as export #14")
    })
    .await;
    let key = JournalKey::from_posting_ids(["GL-5", "GL-7"]);
    assert_eq!(fake.reposted.borrow().as_slice(), [(12, key)]);
    assert_eq!(fake.reconciled.borrow().len(), 2, "compared again");
}
