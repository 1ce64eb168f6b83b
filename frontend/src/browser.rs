//! The few browser APIs the page uses beyond the DOM: server-sent events, timers, the OAuth
//! pop-up and its message, file reading, downloads.

use std::cell::Cell;
use std::rc::Rc;

use srm_xero_shared::api::{CONNECTION_MESSAGE_TYPE, ConnectionMessage, Progress};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::{Closure, JsValue};
use yew::UseReducerDispatcher;

use crate::state::{Action, State};

/// Waits `ms` milliseconds (a browser timer; never used by tests to wait for conditions).
pub async fn sleep(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(window) = web_sys::window() {
            let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

/// A file's text.
pub async fn file_text(file: &web_sys::File) -> Result<String, ()> {
    let text = wasm_bindgen_futures::JsFuture::from(file.text())
        .await
        .map_err(drop)?;
    text.as_string().ok_or(())
}

/// Asks the user to confirm.
pub fn confirm(question: &str) -> bool {
    web_sys::window()
        .and_then(|w| w.confirm_with_message(question).ok())
        .unwrap_or(false)
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
/// origin when unknown). The returned function stops listening.
pub fn on_message(
    origin: Option<String>,
    then: impl Fn(ConnectionMessage) + 'static,
) -> impl FnOnce() {
    let listener =
        Closure::<dyn Fn(web_sys::MessageEvent)>::new(move |event: web_sys::MessageEvent| {
            if origin.as_deref().is_some_and(|o| o != event.origin()) {
                return;
            }
            let message = js_sys::JSON::stringify(&event.data())
                .ok()
                .and_then(|text| text.as_string())
                .and_then(|text| srm_xero_shared::json::from_str::<ConnectionMessage>(&text).ok())
                .filter(|m| m.kind == CONNECTION_MESSAGE_TYPE);
            if let Some(message) = message {
                then(message);
            }
        });
    let window = web_sys::window();
    if let Some(w) = &window {
        let _ = w.add_event_listener_with_callback("message", listener.as_ref().unchecked_ref());
    }
    move || {
        if let Some(w) = &window {
            let _ =
                w.remove_event_listener_with_callback("message", listener.as_ref().unchecked_ref());
        }
        drop(listener);
    }
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

/// An open server-sent events stream; closed when dropped.
pub struct EventStream {
    source: web_sys::EventSource,
    _on_progress: Closure<dyn Fn(web_sys::MessageEvent)>,
    _on_error: Closure<dyn Fn(web_sys::Event)>,
}

impl Drop for EventStream {
    fn drop(&mut self) {
        self.source.close();
    }
}

/// Listens to an export's progress events (unnamed `message` events or `progress` events, each a
/// [`Progress`] as JSON). The URL's ticket opens one stream, so `EventSource` must never retry
/// it: on the first error the stream is closed and `on_closed` is told whether it had worked
/// (the caller opens a new one with a fresh ticket, or polls).
pub fn progress_events(
    url: &str,
    dispatch: UseReducerDispatcher<State>,
    on_closed: Rc<dyn Fn(bool)>,
) -> Option<EventStream> {
    let source = web_sys::EventSource::new(url).ok()?;
    let received = Rc::new(Cell::new(false));
    let on_progress = {
        let received = Rc::clone(&received);
        Closure::<dyn Fn(web_sys::MessageEvent)>::new(move |event: web_sys::MessageEvent| {
            if let Some(progress) = event
                .data()
                .as_string()
                .and_then(|text| srm_xero_shared::json::from_str::<Progress>(&text).ok())
            {
                received.set(true);
                dispatch.dispatch(Action::ProgressArrived(progress));
            }
        })
    };
    let on_error = {
        let source = source.clone();
        let closed = Cell::new(false);
        Closure::<dyn Fn(web_sys::Event)>::new(move |_: web_sys::Event| {
            source.close();
            if !closed.replace(true) {
                on_closed(received.get());
            }
        })
    };
    for name in ["message", "progress"] {
        let _ = source.add_event_listener_with_callback(name, on_progress.as_ref().unchecked_ref());
    }
    source.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    Some(EventStream {
        source,
        _on_progress: on_progress,
        _on_error: on_error,
    })
}
