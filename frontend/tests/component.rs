//! The component rendered in headless Chromium: what it shows and how its fields hold input.
#![cfg(target_arch = "wasm32")]

use srm_xero_frontend::{EXPORT_NUMBER_LABEL, SYNC_FROM_LABEL, TITLE, mount};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};
use web_sys::{Element, Event, EventInit, HtmlInputElement};

wasm_bindgen_test_configure!(run_in_browser);

/// A fresh `<div>` attached to the page's body, so every test starts from an empty host.
fn fresh_host() -> Element {
    let document = web_sys::window()
        .and_then(|window| window.document())
        .expect("a browser document");
    let host = document.create_element("div").expect("a div");
    document
        .body()
        .expect("a body")
        .append_child(&host)
        .expect("the div attached to the body");
    host
}

/// Mounts the component into a fresh host and waits for its first render.
async fn mounted() -> Element {
    let host = fresh_host();
    mount(host.clone());
    yew::scheduler::flush().await;
    host
}

fn input(host: &Element, name: &str) -> HtmlInputElement {
    host.query_selector(&format!("input[name='{name}']"))
        .expect("a valid selector")
        .unwrap_or_else(|| panic!("an input named {name}"))
        .dyn_into()
        .expect("an <input>")
}

/// Types `text` into `field` the way a browser does: new value, then an `input` event that bubbles.
async fn type_into(field: &HtmlInputElement, text: &str) {
    field.set_value(text);
    let init = EventInit::new();
    init.set_bubbles(true);
    let event = Event::new_with_event_init_dict("input", &init).expect("an input event");
    field.dispatch_event(&event).expect("the event dispatched");
    yew::scheduler::flush().await;
}

#[wasm_bindgen_test]
async fn it_shows_the_title_and_both_field_labels() {
    let host = mounted().await;

    let title = host
        .query_selector("h2")
        .expect("a valid selector")
        .expect("a heading");
    assert_eq!(title.text_content().as_deref(), Some(TITLE));
    assert_eq!(TITLE, "Post Xero Journals");

    let text = host.text_content().unwrap_or_default();
    assert!(
        text.contains("Export Transaction # (Blank for New)"),
        "{text}"
    );
    assert!(text.contains(EXPORT_NUMBER_LABEL), "{text}");
    assert!(text.contains(SYNC_FROM_LABEL), "{text}");
}

#[wasm_bindgen_test]
async fn both_fields_start_blank_and_the_date_is_a_date_input() {
    let host = mounted().await;

    assert_eq!(input(&host, "export-number").value(), "");
    let sync_from = input(&host, "sync-from");
    assert_eq!(sync_from.value(), "");
    assert_eq!(sync_from.type_(), "date");
}

#[wasm_bindgen_test]
async fn typing_an_export_number_keeps_it_through_later_renders() {
    let host = mounted().await;
    let export_number = input(&host, "export-number");

    type_into(&export_number, "12").await;
    assert_eq!(export_number.value(), "12");

    // Changing the other field re-renders the component from its state: the number must survive.
    type_into(&input(&host, "sync-from"), "2019-08-19").await;
    assert_eq!(input(&host, "export-number").value(), "12");
    assert_eq!(input(&host, "sync-from").value(), "2019-08-19");
}

#[wasm_bindgen_test]
async fn two_mounted_components_keep_separate_values() {
    let first = mounted().await;
    let second = mounted().await;

    type_into(&input(&first, "export-number"), "7").await;

    assert_eq!(input(&first, "export-number").value(), "7");
    assert_eq!(input(&second, "export-number").value(), "");
}
