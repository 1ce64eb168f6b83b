//! The component in headless Chromium, driven like a user would, against a fake proxy and feed
//! made of fixtures (no network). Layers: finding elements, user actions, waiting for conditions.
#![cfg(target_arch = "wasm32")]

use std::cell::RefCell;
use std::rc::Rc;

use chrono::NaiveDate;
use srm_xero_frontend::api::{Backend, BackendRef, FeedRead, Fut, OnPage};
use srm_xero_frontend::{AppProps, EXPORT_NUMBER_LABEL, SYNC_FROM_LABEL, TITLE, fixtures, mount};
use srm_xero_shared::JournalKey;
use srm_xero_shared::api::{
    ConnectionStatus, ExportCreated, ExportDetail, ExportSummary, ExportedLookup, ExportedPostings,
    JournalDetail, MappingChange, MappingDocument, NewExport, Progress, ReferenceSnapshot,
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
    created: RefCell<Vec<NewExport>>,
    exports: RefCell<Vec<ExportSummary>>,
}

fn ready<T: 'static>(value: T) -> Fut<T> {
    Box::pin(async move { Ok(value) })
}

fn detail_numbered(number: u64) -> ExportDetail {
    let mut detail = fixtures::export_detail();
    detail.summary.number = number;
    detail
}

impl Backend for Fake {
    fn connection(&self) -> Fut<ConnectionStatus> {
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
        self.saved.borrow_mut().push(change);
        *self.mapping.borrow_mut() = Some(saved.clone());
        ready(saved)
    }
    fn exported(&self, lookup: ExportedLookup) -> Fut<ExportedPostings> {
        let mut answer = fixtures::exported();
        answer
            .exported
            .retain(|id, _| lookup.posting_ids.contains(id));
        ready(answer)
    }
    fn exports(&self, _: Option<u64>, _: Option<NaiveDate>) -> Fut<Vec<ExportSummary>> {
        let list = self.exports.borrow().clone();
        ready(if list.is_empty() {
            fixtures::export_list()
        } else {
            list
        })
    }
    fn create_export(&self, export: NewExport) -> Fut<ExportCreated> {
        self.created.borrow_mut().push(export);
        ready(ExportCreated { number: 12 })
    }
    fn export(&self, number: u64) -> Fut<ExportDetail> {
        ready(detail_numbered(number))
    }
    fn progress(&self, number: u64) -> Fut<Progress> {
        let detail = detail_numbered(number);
        ready(Progress {
            number,
            status: detail.summary.status,
            counts: detail.summary.counts,
            waiting: None,
            eta_seconds: Some(2),
            sequence: 1,
        })
    }
    fn journal(&self, _: u64, key: JournalKey) -> Fut<JournalDetail> {
        let mut detail = fixtures::journal_detail();
        detail.row.key = key;
        ready(detail)
    }
    fn feed(&self, _: NaiveDate, on_page: OnPage) -> Fut<FeedRead> {
        let postings = fixtures::postings();
        on_page(1, postings.len());
        ready(FeedRead {
            postings,
            company: Some("Acme Equipment Rentals".into()),
            currency: Some("CAD".into()),
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

async fn click(element: &Element) {
    element
        .dyn_ref::<HtmlElement>()
        .expect("an HTML element")
        .click();
    yew::scheduler::flush().await;
}

/// Mounts the page with a fake backend into a fresh host and waits until it has read everything.
async fn mounted(fake: Rc<Fake>, token: &str) -> Element {
    let host = document().create_element("div").expect("a div");
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
    assert!(
        summaries[0].starts_with("2019-08-19Division 12"),
        "{summaries:?}"
    );
    assert!(summaries[0].contains("1,250.00") && summaries[0].ends_with("Ready"));
    assert!(summaries[1].contains("Division 2") && summaries[1].ends_with("Has problems"));
    assert!(summaries[2].starts_with("2019-08-20Division 1"));
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
    assert_eq!(
        created[0].from,
        NaiveDate::from_ymd_opt(2019, 8, 19).unwrap()
    );
    let ids: Vec<&str> = created[0].postings.iter().map(|p| p.id.as_str()).collect();
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
