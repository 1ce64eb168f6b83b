//! The "Post Xero Journals" component that SRM's Backoffice > Daily Close page embeds.
//!
//! For now it is the page's heading and its two inputs, each holding what the user types: the
//! Export Transaction # (blank starts a new export) and the "Sync from" date. Looking up exports,
//! the G/L feed, the preview and posting arrive with the proxy's API; the custom element and
//! `embed.js` that mount it on SRM's page arrive with them.

use wasm_bindgen::prelude::wasm_bindgen;
use web_sys::{Element, HtmlInputElement};
use yew::Renderer;
use yew::prelude::*;

/// The page title, as SRM's Daily Close menu names it.
pub const TITLE: &str = "Post Xero Journals";

/// The label of the export-number field, word for word from SRM's page.
pub const EXPORT_NUMBER_LABEL: &str = "Export Transaction # (Blank for New)";

/// The label of the date from which postings are synchronised.
pub const SYNC_FROM_LABEL: &str = "Sync from";

/// The Post Xero Journals component: the title and the inputs that choose what to export.
#[component]
pub fn PostJournals() -> Html {
    let export_number = use_state(String::new);
    let sync_from = use_state(String::new);

    html! {
        <section class="srm-xero-post-journals">
            <h2>{ TITLE }</h2>
            <label class="srm-xero-field">
                <span>{ EXPORT_NUMBER_LABEL }</span>
                <input
                    type="text"
                    name="export-number"
                    inputmode="numeric"
                    autocomplete="off"
                    value={(*export_number).clone()}
                    oninput={keep_value(&export_number)}
                />
            </label>
            <label class="srm-xero-field">
                <span>{ SYNC_FROM_LABEL }</span>
                <input
                    type="date"
                    name="sync-from"
                    value={(*sync_from).clone()}
                    oninput={keep_value(&sync_from)}
                />
            </label>
        </section>
    }
}

/// A callback that stores an input's current value in `state`, so the input is controlled.
fn keep_value(state: &UseStateHandle<String>) -> Callback<InputEvent> {
    let state = state.clone();
    Callback::from(move |event: InputEvent| {
        let input: HtmlInputElement = event.target_unchecked_into();
        state.set(input.value());
    })
}

/// Renders [`PostJournals`] inside `element`, replacing nothing outside it.
///
/// The returned handle can `destroy()` the component; dropping it leaves the component mounted.
pub fn mount(element: Element) -> AppHandle<PostJournals> {
    Renderer::<PostJournals>::with_root_and_props(element, ()).render()
}

/// [`mount`] for JavaScript (`wasmBindings.mount(element)`): the component lives as long as the page.
#[wasm_bindgen(js_name = mount)]
pub fn mount_from_js(element: Element) {
    mount(element);
}
