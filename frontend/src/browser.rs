//! The few browser APIs the page uses beyond the DOM and HTTP: the OAuth pop-up and its message,
//! file reading, downloads, the host page's token event.

use gloo_events::EventListener;
use srm_xero_shared::api::{CONNECTION_MESSAGE_TYPE, ConnectionMessage};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::JsValue;

/// A file's text.
pub async fn file_text(file: &web_sys::File) -> Result<String, ()> {
    let text = wasm_bindgen_futures::JsFuture::from(file.text())
        .await
        .map_err(drop)?;
    text.as_string().ok_or(())
}

/// Opens the (blank) pop-up for Xero's consent page.
pub fn open_popup() -> Option<web_sys::Window> {
    web_sys::window()?
        .open_with_url_and_target_and_features(
            "about:blank",
            "srm-xero-connect",
            "popup,width=640,height=760",
        )
        .ok()
        .flatten()
}

/// Points the pop-up at a URL.
pub fn navigate(window: &web_sys::Window, url: &str) {
    let _ = window.location().set_href(url);
}

/// Calls `then` with each [`ConnectionMessage`] the OAuth callback page posts from `origin` (any
/// origin when unknown). Listening stops when the returned listener is dropped.
pub fn on_connection_message(
    origin: Option<String>,
    then: impl Fn(ConnectionMessage) + 'static,
) -> Option<EventListener> {
    let window = web_sys::window()?;
    Some(EventListener::new(&window, "message", move |event| {
        let Some(event) = event.dyn_ref::<web_sys::MessageEvent>() else {
            return;
        };
        if origin.as_deref().is_some_and(|o| o != event.origin()) {
            return;
        }
        let message = js_sys::JSON::stringify(&event.data())
            .ok()
            .and_then(|text| text.as_string())
            .and_then(|text| serde_json::from_str::<ConnectionMessage>(&text).ok())
            .filter(|m| m.kind == CONNECTION_MESSAGE_TYPE);
        if let Some(message) = message {
            then(message);
        }
    }))
}

/// Saves text as a file through a Blob URL.
pub fn download(name: &str, text: &str) -> Result<(), JsValue> {
    let parts = js_sys::Array::of1(&JsValue::from_str(text));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("text/csv;charset=utf-8");
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options)?;
    let url = web_sys::Url::create_object_url_with_blob(&blob)?;
    let document = web_sys::window()
        .and_then(|w| w.document())
        .ok_or(JsValue::NULL)?;
    let link: web_sys::HtmlAnchorElement = document.create_element("a")?.dyn_into()?;
    link.set_href(&url);
    link.set_download(name);
    link.click();
    web_sys::Url::revoke_object_url(&url)
}

/// Sends a bubbling event named `name` that crosses the shadow root, from `element`.
pub fn announce(element: &web_sys::Element, name: &str) {
    let init = web_sys::EventInit::new();
    init.set_bubbles(true);
    init.set_composed(true);
    if let Ok(event) = web_sys::Event::new_with_event_init_dict(name, &init) {
        let _ = element.dispatch_event(&event);
    }
}
